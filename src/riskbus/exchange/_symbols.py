"""Per-symbol state of the simulated exchange: quote cache, step volume pool and candles.

One :class:`SymbolState` per traded symbol keeps what every order on the symbol needs, so
the submit → fill path looks it up once: the instrument and its path, the current quote
(cached per price step and price gap), the step's remaining volume that all orders share
(time priority: whoever matches first takes first), and the recent candles of
``MarketPriceFetched`` (each converted to Decimals once).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from riskbus.exchange.book import check_order
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.faults import Faults
from riskbus.market.candles import OHLCV
from riskbus.market.path import PricePath
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderType
from riskbus.model.events.market import Candle
from riskbus.model.instruments import Instrument

__all__ = ["Quote", "SymbolState"]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_MARKET = OrderType.MARKET
#: how many valid sizes a symbol remembers before starting over
_SIZE_CACHE = 1024


@dataclass(frozen=True, slots=True)
class Quote:
    """The venue's quote of one symbol: last price, best bid and best ask."""

    price: Decimal
    bid: Decimal
    ask: Decimal


class SymbolState:
    """What the venue keeps per symbol (see the module docstring).

    Args:
        instrument: the instrument traded.
        path: its price path.
        config: the venue's configuration (volume model).
        buy_factor: the lock per unit price of a spot buy, 1 + the highest fee (default:
            from ``config``).
        slippage_bps: the venue's slippage (default: from ``config``); with any, the
            fast path is off.
    """

    __slots__ = (
        "_buy_factor",
        "_candles",
        "_ohlcv",
        "_quote",
        "_quote_gap",
        "_quote_k",
        "base",
        "buy_rate",
        "cap",
        "fast",
        "fresh",
        "fresh_step",
        "instrument",
        "is_derivative",
        "last_step",
        "min_notional",
        "multiplier",
        "path",
        "pool_left",
        "pool_step",
        "quote_currency",
        "sized",
        "symbol",
        "unit_multiplier",
        "valid_sizes",
    )

    def __init__(
        self,
        instrument: Instrument,
        path: PricePath,
        config: SimulatedExchangeConfig,
        *,
        buy_factor: Decimal | None = None,
        slippage_bps: Decimal | None = None,
    ) -> None:
        self.instrument = instrument
        self.path = path
        self.symbol = instrument.symbol
        self.base = instrument.base
        self.quote_currency = instrument.quote
        self.is_derivative = instrument.is_derivative
        self.multiplier = instrument.multiplier
        self.unit_multiplier = instrument.multiplier == 1
        self.min_notional = instrument.min_notional
        # The matcher's terms (it keeps those of the config it was built with).
        if slippage_bps is None:
            slippage_bps = config.slippage_bps
        self._buy_factor = 1 + config.max_fee if buy_factor is None else buy_factor
        #: Whether the venue's market-order fast path may take orders on the symbol: a spot
        #: instrument (multiplier 1, cash settled) on a venue without slippage.
        self.fast = not (instrument.is_derivative or slippage_bps) and self.unit_multiplier
        self.last_step = len(path) - 1
        step = instrument.step_size
        share = config.volume_per_step * config.max_volume_share
        #: The volume all orders on the symbol may take together in one market step.
        self.cap = (share / step).to_integral_value(ROUND_DOWN) * step
        #: Order quantities already found valid (positive, on the step grid, >= min size).
        self.valid_sizes: set[Decimal] = set()
        #: The market step ``pool_left`` is for, and the volume left at it.
        self.pool_step = -1
        self.pool_left = _ZERO
        self._quote: Quote | None = None
        self._quote_k = -1
        self._quote_gap = _ZERO
        #: The quote of market step ``fresh_step`` without faults, and the lock per unit of
        #: a spot buy at its ask (ask × (1 + highest fee)), as the fast path reads them.
        self.fresh_step = -1
        self.fresh: Quote | None = None
        self.buy_rate = _ZERO
        #: The last market size the fast path took, with the fill quantities it implies:
        #: ``(quantity, quantity - 0, 0 + (quantity - 0), quantity - that)``, each Decimal
        #: with the exponent the general path's arithmetic gives it.
        self.sized: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
        self._ohlcv: OHLCV | None = None
        self._candles: dict[Decimal, list[Candle | None]] = {}

    # -- quotes ---------------------------------------------------------------------------

    def price_step(self, step: int, faults: Faults) -> int:
        """Return the path index prices are read from at market step ``step``."""
        if faults.active:
            step = faults.price_step(step)
        return step if step < self.last_step else self.last_step

    def quote(self, step: int, faults: Faults) -> Quote:
        """Return the quote at market step ``step`` (stale prices and gaps applied)."""
        if faults.active:
            k = min(faults.price_step(step), self.last_step)
            gap = faults.gap
        else:
            k = step if step < self.last_step else self.last_step
            gap = _ZERO
        quote = self._quote
        if quote is None or k != self._quote_k or gap != self._quote_gap:
            quote = self._read_quote(k, gap)
            self._quote, self._quote_k, self._quote_gap = quote, k, gap
        if not faults.active and self.fresh_step != step:
            self.fresh_step, self.fresh = step, quote
            self.buy_rate = quote.ask * self._buy_factor
        return quote

    def _read_quote(self, k: int, gap: Decimal) -> Quote:
        instrument = self.instrument
        if gap:
            raw = self.path.quote_at(k)
            factor = 1 + gap / _HUNDRED
            return Quote(
                price=instrument.quantize_price(raw.price * factor),
                bid=instrument.quantize_price(raw.sell * factor),
                ask=instrument.quantize_price(raw.buy * factor),
            )
        quantized = self.path.quote_at(k, instrument.tick_size)
        return Quote(price=quantized.price, bid=quantized.sell, ask=quantized.buy)

    # -- sizes ----------------------------------------------------------------------------

    def check_size(self, command: SubmitOrder, reference: Decimal) -> str | None:
        """Run :func:`~riskbus.exchange.book.check_order` at ``reference``, skipping the size
        checks of a market size found valid before; return the reason to refuse, if any."""
        quantity = command.quantity
        market = command.order_type is _MARKET
        if market and quantity in self.valid_sizes:
            notional = quantity * reference
            if not self.unit_multiplier:
                notional *= self.multiplier
            if notional >= self.instrument.min_notional:
                return None
        reason = check_order(command, self.instrument, reference)
        if reason is None and market and quantity.is_finite():
            self._remember(quantity)
        return reason

    def known_size(self, quantity: Decimal) -> bool:
        """Whether ``quantity`` passes the size checks of
        :func:`~riskbus.exchange.book.check_order`; remember it if so.

        The same checks in the same order (finite and positive, the minimum size, the step
        grid) for a market order, whose price checks do not apply; the notional is checked
        by the caller.
        """
        if quantity in self.valid_sizes:
            return True
        instrument = self.instrument
        if not quantity.is_finite() or quantity <= 0 or quantity < instrument.min_size:
            return False
        if quantity % instrument.step_size:
            return False
        self._remember(quantity)
        return True

    def _remember(self, quantity: Decimal) -> None:
        sizes = self.valid_sizes
        if len(sizes) >= _SIZE_CACHE:
            sizes.clear()
        sizes.add(quantity)

    # -- step volume ----------------------------------------------------------------------

    def available(self, step: int) -> Decimal:
        """Return the volume still available to fills at market step ``step``."""
        if step != self.pool_step:
            self.pool_step = step
            self.pool_left = self.cap
        return self.pool_left

    # -- candles --------------------------------------------------------------------------

    def candles(self, k: int, count: int, gap: Decimal) -> tuple[Candle, ...]:
        """Return up to ``count`` candles closing at steps ``k-count+1 .. k``, oldest first.

        Candle ``j`` closes at step ``j`` (its close is the path price there, on the tick
        grid, like the quote); ``ts`` is its open time (close time − one step), as in
        :meth:`riskbus.model.events.market.Bar.to_candle`. A price gap shifts the candles'
        prices like the quote's.
        """
        if count <= 0:
            return ()
        cache = self._candles.get(gap)
        if cache is None:
            cache = self._candles[gap] = [None] * (self.last_step + 1)
        first = max(0, k - count + 1)
        out: list[Candle] = []
        for j in range(first, k + 1):
            candle = cache[j]
            if candle is None:
                candle = cache[j] = self._candle(j, gap)
            out.append(candle)
        return tuple(out)

    def _candle(self, j: int, gap: Decimal) -> Candle:
        ohlcv = self._ohlcv
        if ohlcv is None:
            ohlcv = self._ohlcv = self.path.ohlcv()
        instrument = self.instrument
        factor = 1 + gap / _HUNDRED
        prices = [float(column[j]) for column in (ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close)]
        open_, high, low, close = (
            instrument.quantize_price(Decimal(repr(p)) * factor if gap else p, ROUND_HALF_EVEN)
            for p in prices
        )
        return Candle(
            ts=int(ohlcv.ts[j]) - self.path.step,
            open=open_,
            high=max(high, open_, close),
            low=min(low, open_, close),
            close=close,
            volume=instrument.quantize_quantity(float(ohlcv.volume[j])),
        )
