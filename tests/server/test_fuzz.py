"""Property-based fuzzing of the server's own OpenAPI schema (schemathesis): whatever
the generated request — wrong types, odd unicode, huge numbers, missing fields — the
answer is never a 5xx. The server is live on loopback, backed by a ScriptedModel so
each example is fast."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from ladder.models import ScriptedModel
from ladder.server import ServerConfig, create_app


def test_no_server_errors(serve):
    app = create_app(ServerConfig(tasks=["expenses"], max_tokens_cap=64, timeout_s=10),
                     models={"scripted": ScriptedModel(["ok"])})
    url = serve(app)
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(base_url=url, checks=[not_a_server_error])

        fuzz()
