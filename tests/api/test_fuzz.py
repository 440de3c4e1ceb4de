"""Schema-driven fuzzing of the callback API, in-process, as the demo shop.

Every operation of /api/schema/ is called with generated requests (Bearer token of the demo
shop's credential on /ksa/v1/, a merchant API token of the demo shop on /api/v1/) and must never
answer a 5xx. FUZZ_EXAMPLES sets the examples per operation
(25 here; `make fuzz` runs more).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from merchants.models import KlarnaCredential
from merchants.services import merchant_api_token_issue
from tms_gateway.ksa.authentication import token_issue

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

OPERATIONS = [
    ("/ksa/v1/auth", "POST"),
    ("/ksa/v1/shippingoptions", "POST"),
    ("/ksa/v1/shipment", "POST"),
    ("/ksa/v1/shipment/{shipment_id}", "GET"),
    ("/ksa/v1/shipment/{shipment_id}", "PUT"),
    ("/ksa/v1/shipment/{shipment_id}/confirm", "POST"),
    ("/api/v1/orders/{klarna_order_id}/confirm", "POST"),
    ("/api/v1/orders/{klarna_order_id}/shipment", "GET"),
    ("/api/v1/shipments", "GET"),
]


@pytest.fixture
def api_schema(db: None, sandbox: Any, settings: Any) -> Iterator[Any]:
    """The schema served by the app, bound to the app in-process; the demo shop seeded."""
    from merchants.demo import demo_merchant_seed

    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    demo_merchant_seed(identifier="demo", key="demo-key")
    # As Django's test client does: a finished request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_is_fuzzed(api_schema: Any) -> None:
    served = {
        (op.path, op.method.upper())
        for op in (result.ok() for result in api_schema.get_all_operations())
    }
    assert served == set(OPERATIONS)


@pytest.mark.fuzz
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_operation_answers_a_server_error(api_schema: Any, path: str, method: str) -> None:
    credential = KlarnaCredential.objects.get(identifier="demo")
    if path.startswith("/api/v1/"):
        token = merchant_api_token_issue(merchant=credential.merchant, name="fuzz", actor=None)[1]
    else:
        token = token_issue(credential=credential)
    headers = {"Authorization": f"Bearer {token}"}
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    call()
