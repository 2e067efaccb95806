"""A plain ccxt script trading against ``riskbus exchange serve``, with only the helper.

Start the server, then run the script::

    riskbus exchange serve --market flash_crash --seed 1 --speed 60 --port 5557
    python examples/ccxt_local_trade.py http://127.0.0.1:5557
"""

from __future__ import annotations

import asyncio
import sys

from riskbus.exchange import ccxt_local


async def main(url: str) -> None:
    exchange = ccxt_local(url=url)  # ccxt.async_support.binance, test credentials filled in
    try:
        await exchange.load_markets()
        ticker = await exchange.fetch_ticker("BTC/USDT")
        print(f"BTC/USDT last {ticker['last']} bid {ticker['bid']} ask {ticker['ask']}")
        candles = await exchange.fetch_ohlcv("BTC/USDT", "1m", limit=5)
        print(f"{len(candles)} candles, last close {candles[-1][4]}")
        bought = await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
        print(f"bought {bought['filled']} BTC at {bought['average']} ({bought['status']})")
        limit_price = round(ticker["last"] * 0.8, 2)
        resting = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, limit_price)
        print(f"limit order {resting['id']} {resting['status']} at {limit_price}")
        canceled = await exchange.cancel_order(resting["id"], "BTC/USDT")
        print(f"limit order {canceled['id']} {canceled['status']}")
        balance = await exchange.fetch_balance()
        print(f"balance BTC {balance['BTC']['total']} USDT {balance['USDT']['total']:.2f}")
    finally:
        await exchange.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5557"))
