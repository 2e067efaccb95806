"""Every ccxt exception class maps into the riskbus error tree, reads and writes apart."""

from __future__ import annotations

import inspect

import pytest

from riskbus.core.errors import (
    AuthenticationError,
    ConfigError,
    InvalidValueError,
    OperationalError,
    OutcomeUnknownError,
    RateLimitedError,
    RiskbusError,
    TransientError,
    VenueRejectedError,
)
from riskbus.exchange._ccxt_errors import CCXT_ERRORS, CCXT_ERRORS_MODULE, map_error, rule_for
from riskbus.exchange._ccxt_secrets import Redactor

ERRORS = CCXT_ERRORS_MODULE
CCXT_CLASSES = sorted(
    (
        obj
        for obj in vars(ERRORS).values()
        if inspect.isclass(obj) and issubclass(obj, ERRORS.BaseError)
    ),
    key=lambda c: c.__name__,
)
REDACT = Redactor(["sekret-api-key-123"])


def test_the_walk_finds_ccxts_whole_hierarchy() -> None:
    names = {c.__name__ for c in CCXT_CLASSES}

    # ccxt publishes its hierarchy as a nested dict too; both views must agree.
    def walk(tree: dict[str, dict]) -> set[str]:  # type: ignore[type-arg]
        return {k for k in tree} | {n for v in tree.values() for n in walk(v)}

    assert names == walk(ERRORS.error_hierarchy)
    assert len(names) >= 40
    assert {"RequestTimeout", "ExchangeNotAvailable", "InsufficientFunds"} <= names


@pytest.mark.parametrize("klass", CCXT_CLASSES, ids=lambda c: c.__name__)
def test_every_ccxt_error_class_is_mapped_explicitly(klass: type[Exception]) -> None:
    assert klass.__name__ in CCXT_ERRORS, f"ccxt {klass.__name__} has no rule"
    rule = rule_for(klass("boom"))
    assert rule is CCXT_ERRORS[klass.__name__]
    assert issubclass(rule.error, RiskbusError)
    for operation in ("submit", "cancel", "fetch", "connect"):
        error, _ = map_error(klass("boom"), venue="binance", operation=operation, redact=REDACT)
        assert isinstance(error, RiskbusError)
        assert f"({klass.__name__})" in str(error)
        assert rule.code in str(error)


def test_the_table_names_no_class_ccxt_does_not_have() -> None:
    assert set(CCXT_ERRORS) == {c.__name__ for c in CCXT_CLASSES}


@pytest.mark.parametrize(
    ("name", "submit_type", "fetch_type", "code"),
    [
        ("RequestTimeout", OutcomeUnknownError, TransientError, "VENUE_TIMEOUT"),
        ("ExchangeNotAvailable", OutcomeUnknownError, TransientError, "VENUE_UNAVAILABLE"),
        ("OnMaintenance", OutcomeUnknownError, TransientError, "VENUE_MAINTENANCE"),
        ("NetworkError", OutcomeUnknownError, TransientError, "NETWORK_ERROR"),
        ("BadResponse", OutcomeUnknownError, TransientError, "BAD_RESPONSE"),
        ("NullResponse", OutcomeUnknownError, TransientError, "BAD_RESPONSE"),
        ("RateLimitExceeded", RateLimitedError, RateLimitedError, "RATE_LIMITED"),
        ("InvalidNonce", TransientError, TransientError, "INVALID_NONCE"),
        ("InsufficientFunds", VenueRejectedError, VenueRejectedError, "INSUFFICIENT_BALANCE"),
        ("InvalidOrder", VenueRejectedError, VenueRejectedError, "INVALID_ORDER"),
        ("OrderNotFound", VenueRejectedError, VenueRejectedError, "ORDER_NOT_FOUND"),
        ("DuplicateOrderId", VenueRejectedError, VenueRejectedError, "DUPLICATE_ORDER"),
        ("AuthenticationError", AuthenticationError, AuthenticationError, "AUTHENTICATION_FAILED"),
        ("PermissionDenied", AuthenticationError, AuthenticationError, "PERMISSION_DENIED"),
        ("BadSymbol", InvalidValueError, InvalidValueError, "UNKNOWN_SYMBOL"),
        ("InvalidProxySettings", ConfigError, ConfigError, "INVALID_PROXY_SETTINGS"),
        ("NotSupported", OperationalError, OperationalError, "NOT_SUPPORTED"),
        (
            "ManualInteractionNeeded",
            OperationalError,
            OperationalError,
            "MANUAL_INTERACTION_NEEDED",
        ),
    ],
)
def test_writes_whose_outcome_may_be_unknown_say_so_and_reads_are_transient(
    name: str, submit_type: type[RiskbusError], fetch_type: type[RiskbusError], code: str
) -> None:
    klass = getattr(ERRORS, name)
    submitted, rule = map_error(
        klass("x"), venue="binance", operation="submit", redact=REDACT, client_order_id="o7"
    )
    fetched, _ = map_error(klass("x"), venue="binance", operation="fetch", redact=REDACT)
    assert type(submitted) is submit_type
    assert type(fetched) is fetch_type
    assert rule.code == code
    assert f"binance submit: {code} ({name}): x" in str(submitted)


def test_outcome_unknown_carries_the_client_order_id() -> None:
    error, _ = map_error(
        ERRORS.RequestTimeout("binance POST /api/v3/order"),
        venue="binance",
        operation="cancel",
        redact=REDACT,
        client_order_id="o42",
    )
    assert isinstance(error, OutcomeUnknownError)
    assert error.client_order_id == "o42"


def test_venue_rejection_carries_its_code_and_bad_input_names_the_field() -> None:
    rejected, _ = map_error(
        ERRORS.InsufficientFunds("no"), venue="kraken", operation="submit", redact=REDACT
    )
    bad_symbol, _ = map_error(
        ERRORS.BadSymbol("XYZ"), venue="kraken", operation="fetch", redact=REDACT
    )
    assert isinstance(rejected, VenueRejectedError)
    assert rejected.code == "INSUFFICIENT_BALANCE"
    assert isinstance(bad_symbol, InvalidValueError)
    assert bad_symbol.field == "symbol"


def test_a_subclass_from_a_newer_ccxt_maps_through_its_nearest_ancestor() -> None:
    class GatewayTimeout(ERRORS.RequestTimeout):  # type: ignore[name-defined, misc]
        pass

    error, rule = map_error(GatewayTimeout("late"), venue="okx", operation="submit", redact=REDACT)
    assert rule is CCXT_ERRORS["RequestTimeout"]
    assert isinstance(error, OutcomeUnknownError)


@pytest.mark.parametrize(
    ("operation", "expected"), [("submit", OutcomeUnknownError), ("fetch", OperationalError)]
)
def test_an_error_from_outside_ccxt_is_unknown_for_writes_and_operational_for_reads(
    operation: str, expected: type[RiskbusError]
) -> None:
    error, rule = map_error(
        KeyError("price"),
        venue="coinbase",
        operation=operation,  # type: ignore[arg-type]
        redact=REDACT,
    )
    assert type(error) is expected
    assert rule.code == "CLIENT_ERROR"


def test_the_message_is_redacted() -> None:
    raw = ERRORS.AuthenticationError(
        "binance GET https://x/api?apiKey=sekret-api-key-123&signature=abcdef0123 401"
    )
    error, _ = map_error(raw, venue="binance", operation="fetch", redact=REDACT)
    assert "sekret-api-key-123" not in str(error)
    assert "abcdef0123" not in str(error)
    assert "signature=***" in str(error)
