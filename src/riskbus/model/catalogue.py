"""The instrument registry and the built-in catalogue.

:func:`default_registry` returns a fresh registry holding the built-in instruments:

========== ====== ===== =========== ========== ============= ===============================
symbol     kind   quote tick        step       min notional  economics
========== ====== ===== =========== ========== ============= ===============================
MNQ        future USD   0.25        1          0             $0.50 per tick → multiplier 2
NQ         future USD   0.25        1          0             $5.00 per tick → multiplier 20
MES        future USD   0.25        1          0             $1.25 per tick → multiplier 5
ES         future USD   0.25        1          0             $12.50 per tick → multiplier 50
BTC/USDT   spot   USDT  0.01        0.00001    5
ETH/USDT   spot   USDT  0.01        0.0001     5
SOL/USDT   spot   USDT  0.01        0.001      5
BTC/USDT:USDT perp USDT 0.1         0.001      5             linear perpetual, multiplier 1
========== ====== ===== =========== ========== ============= ===============================

Spot grids follow Binance's filters for those pairs; the perp uses ccxt's unified symbol.
Other instruments are added with :meth:`InstrumentRegistry.add`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from riskbus.core.errors import InvalidValueError
from riskbus.model.enums import InstrumentKind
from riskbus.model.instruments import Instrument

__all__ = ["BUILTIN_INSTRUMENTS", "InstrumentRegistry", "default_registry"]


def _spot(symbol: str, tick: str, step: str, min_notional: str = "5") -> Instrument:
    base, quote = symbol.split("/")
    return Instrument(
        symbol=symbol,
        kind=InstrumentKind.SPOT,
        base=base,
        quote=quote,
        tick_size=Decimal(tick),
        step_size=Decimal(step),
        min_size=Decimal(step),
        min_notional=Decimal(min_notional),
        description=f"{base} spot in {quote}",
    )


BUILTIN_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument.future(
        "MNQ",
        base="NDX",
        tick_size="0.25",
        tick_value="0.50",
        description="Micro E-mini Nasdaq-100",
    ),
    Instrument.future(
        "NQ", base="NDX", tick_size="0.25", tick_value="5.00", description="E-mini Nasdaq-100"
    ),
    Instrument.future(
        "MES", base="SPX", tick_size="0.25", tick_value="1.25", description="Micro E-mini S&P 500"
    ),
    Instrument.future(
        "ES", base="SPX", tick_size="0.25", tick_value="12.50", description="E-mini S&P 500"
    ),
    _spot("BTC/USDT", "0.01", "0.00001"),
    _spot("ETH/USDT", "0.01", "0.0001"),
    _spot("SOL/USDT", "0.01", "0.001"),
    Instrument(
        symbol="BTC/USDT:USDT",
        kind=InstrumentKind.PERP,
        base="BTC",
        quote="USDT",
        tick_size=Decimal("0.1"),
        step_size=Decimal("0.001"),
        min_size=Decimal("0.001"),
        min_notional=Decimal(5),
        description="BTC linear perpetual, margined in USDT",
    ),
)


class InstrumentRegistry:
    """Instruments by symbol.

    Args:
        instruments: the instruments to hold; symbols must be unique.
    """

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._by_symbol: dict[str, Instrument] = {}
        for instrument in instruments:
            self.add(instrument)

    def add(self, instrument: Instrument, *, replace: bool = False) -> None:
        """Register ``instrument``.

        Raises:
            InvalidValueError: the symbol is taken and ``replace`` is false.
        """
        if not replace and instrument.symbol in self._by_symbol:
            raise InvalidValueError.for_value(
                "symbol", instrument.symbol, "is already registered (pass replace=True)"
            )
        self._by_symbol[instrument.symbol] = instrument

    def get(self, symbol: str) -> Instrument:
        """Return the instrument called ``symbol``.

        Raises:
            InvalidValueError: no such symbol; the message lists close matches.
        """
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise InvalidValueError.for_value(
                "symbol", symbol, "unknown instrument" + self._hint(symbol)
            ) from None

    def find(self, symbol: str) -> Instrument | None:
        """Return the instrument called ``symbol``, or ``None``."""
        return self._by_symbol.get(symbol)

    def index(self) -> Mapping[str, Instrument]:
        """The instruments by symbol: the registry's own mapping, live (it follows
        :meth:`add`). Read it, never change it; for lookups on a hot path."""
        return self._by_symbol

    def spot_for(self, base: str, quote: str) -> Instrument | None:
        """Return the spot instrument trading ``base`` against ``quote``, if any."""
        for instrument in self._by_symbol.values():
            if (
                instrument.kind is InstrumentKind.SPOT
                and instrument.base == base
                and instrument.quote == quote
            ):
                return instrument
        return None

    @property
    def symbols(self) -> tuple[str, ...]:
        """The registered symbols, sorted."""
        return tuple(sorted(self._by_symbol))

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._by_symbol

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_symbol.values())

    def __len__(self) -> int:
        return len(self._by_symbol)

    def _hint(self, symbol: str) -> str:
        folded = {known.upper(): known for known in self._by_symbol}
        close = difflib.get_close_matches(symbol.upper(), folded, n=3, cutoff=0.5)
        if close:
            return "; did you mean " + ", ".join(folded[match] for match in close) + "?"
        return f"; known: {', '.join(self.symbols)}" if self._by_symbol else ""


def default_registry() -> InstrumentRegistry:
    """Return a new registry holding :data:`BUILTIN_INSTRUMENTS`."""
    return InstrumentRegistry(BUILTIN_INSTRUMENTS)
