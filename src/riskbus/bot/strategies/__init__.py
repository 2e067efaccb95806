"""Built-in strategies, by name: ``pool_ladder`` (monitoring cycles) and ``ma_cross`` (bars).

:data:`BUILTIN_STRATEGIES` maps a name to its class or, lazily, to its
``"package.module:Class"`` path; :func:`resolve_strategy` accepts a built-in name or any
user strategy path.
"""

from __future__ import annotations

from riskbus.bot.strategy import Strategy, load_strategy
from riskbus.core.errors import BadInputError

__all__ = ["BUILTIN_STRATEGIES", "resolve_strategy"]

#: Built-in strategies: a class, or the ``package.module:Class`` path it is imported from.
BUILTIN_STRATEGIES: dict[str, str | type[Strategy]] = {
    "pool_ladder": "riskbus.bot.strategies.pool_ladder:PoolLadder",
    "ma_cross": "riskbus.bot.strategies.ma_cross:MaCross",
}


def resolve_strategy(name: str) -> type[Strategy]:
    """Return the strategy class for a built-in ``name`` or a ``package.module:Class`` path.

    Raises:
        BadInputError: neither a built-in name nor a loadable strategy path.
    """
    entry = BUILTIN_STRATEGIES.get(name)
    if entry is None:
        if ":" not in name:
            valid = ", ".join(sorted(BUILTIN_STRATEGIES))
            raise BadInputError(
                f"unknown strategy {name!r}; built-in: {valid}, or 'package.module:Class'",
                field="strategy",
            )
        return load_strategy(name)
    if isinstance(entry, str):
        return load_strategy(entry)
    return entry
