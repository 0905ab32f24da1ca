"""Schema-driven fuzzing of the running auth service from its own OpenAPI document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.case import Case

from tests.system.harness import System


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_generated_requests_never_get_a_server_error(
    system: System, mode: schemathesis.GenerationMode
) -> None:
    """Valid bodies (positive) and bodies that break the schema (negative): never a 5xx."""
    schema = schemathesis.openapi.from_url(f"{system.auth_url}/openapi.json")
    checked = []
    statuses: set[int] = set()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case: Case) -> None:
            response = case.call(base_url=system.auth_url, timeout=10)
            statuses.add(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.text[:300]}")
            if response.status_code >= 400:
                assert isinstance(response.json().get("detail"), str), response.text[:300]

        name = f"{operation.method.upper()} {operation.path}"
        try:
            no_server_error()
        except Unsatisfiable:
            # Nothing in a request without a body or parameters can break its schema.
            assert mode is schemathesis.GenerationMode.NEGATIVE, name
            continue
        checked.append(name)
    assert {"POST /register", "POST /login"} <= set(checked)
    if mode is schemathesis.GenerationMode.POSITIVE:
        assert "GET /users/me" in checked
    if mode is schemathesis.GenerationMode.NEGATIVE:
        assert 422 in statuses
