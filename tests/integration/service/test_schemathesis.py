"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis): no
generated request, valid or not, gets a 5xx from a real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from riskbus.service.app import create_app
from riskbus.service.settings import Settings
from tests.integration.service.conftest import live_server

EXAMPLES_PER_OPERATION = 6


def test_no_generated_request_gets_a_server_error(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(workers=1))
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 25
    server, thread, url = live_server(app)
    seen: dict[str, set[int]] = {}
    try:
        for operation in operations:
            strategy = st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def call(case: schemathesis.Case[Any]) -> None:
                response = case.call(base_url=url, timeout=30)
                seen.setdefault(case.operation.label, set()).add(response.status_code)
                assert response.status_code < 500, (
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

            call()
    finally:
        server.should_exit = True
        thread.join(30)
    assert len(seen) == len(operations)
    assert any(400 <= code < 500 for codes in seen.values() for code in codes)
    assert 200 in seen["GET /health"]
