"""carriers/http.py: error mapping, timeouts, tracing and redaction, against the sandbox."""

from __future__ import annotations

import pytest

from carriers.exceptions import CarrierRejected, CarrierResponseInvalid, CarrierUnavailable
from carriers.http import CallContext, CarrierHttp, redact_url
from carriers.models import CarrierTrace
from carriers.types import AgreementCredentials
from tests.conftest import Sandbox
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-api-key-value"


@pytest.fixture
def ctx() -> CallContext:
    merchant = MerchantFactory.create()
    agreement = AgreementCredentials(
        agreement_id=0,
        customer_number="123",
        credentials={"api_key": SECRET},
        merchant_id=merchant.pk,
    )
    return CallContext(carrier="budbee", operation="availability", agreement=agreement)


def test_5xx_is_unavailable_and_traced(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", status=503)

    with pytest.raises(CarrierUnavailable) as raised:
        CarrierHttp("budbee").request("GET", sandbox.url("budbee") + "/x", ctx=ctx)

    assert raised.value.retry_after is None
    trace = CarrierTrace.objects.get()
    assert (trace.carrier, trace.operation, trace.status_code) == ("budbee", "availability", 503)
    assert trace.error == "HTTP 503"
    assert "Injected fault" in trace.response_body


def test_429_carries_retry_after(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", status=429)

    with pytest.raises(CarrierUnavailable) as raised:
        CarrierHttp("budbee").request("GET", sandbox.url("budbee") + "/x", ctx=ctx)

    assert raised.value.retry_after == 1.0


def test_4xx_is_rejected_with_the_carriers_text(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", status=400)

    with pytest.raises(CarrierRejected) as raised:
        CarrierHttp("budbee").request("GET", sandbox.url("budbee") + "/x", ctx=ctx)

    assert raised.value.messages
    assert "Injected fault: HTTP 400" in raised.value.messages[0].text


def test_accepted_4xx_is_returned(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", status=404)

    response = CarrierHttp("budbee").request(
        "GET", sandbox.url("budbee") + "/x", ctx=ctx, accept=(404,)
    )

    assert response.status == 404


def test_a_hanging_carrier_times_out(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", hang=True)

    with pytest.raises(CarrierUnavailable, match="timeout"):
        CarrierHttp("budbee").request(
            "GET", sandbox.url("budbee") + "/x", ctx=ctx, timeout=(0.5, 0.2)
        )

    trace = CarrierTrace.objects.get()
    assert trace.status_code is None
    assert trace.error.startswith("timeout")


def test_connection_refused_is_unavailable(ctx: CallContext) -> None:
    with pytest.raises(CarrierUnavailable, match="connection failed"):
        CarrierHttp("budbee").request("GET", "http://127.0.0.1:9/x", ctx=ctx)


def test_malformed_body_is_invalid_not_a_crash(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", malformed=True)

    response = CarrierHttp("budbee").request("GET", sandbox.url("budbee") + "/x", ctx=ctx)

    with pytest.raises(CarrierResponseInvalid):
        response.json()


def test_retries_only_when_asked(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", status=503, times=1)

    with pytest.raises(CarrierUnavailable):
        CarrierHttp("budbee").request("GET", sandbox.url("budbee") + "/x", ctx=ctx)
    sandbox.fault("budbee", status=503, times=1)
    response = CarrierHttp("budbee").request(
        "GET", sandbox.url("budbee") + "/x", ctx=ctx, retries=1, accept=(401, 403, 404)
    )

    assert response.status != 503
    assert sandbox.requests("budbee") == 3


def test_secrets_never_reach_the_trace(sandbox: Sandbox, ctx: CallContext) -> None:
    sandbox.fault("budbee", status=400)

    with pytest.raises(CarrierRejected):
        CarrierHttp("budbee").request(
            "POST",
            sandbox.url("budbee") + "/x",
            ctx=ctx,
            params={"apikey": "query-secret", "postalCode": "11151"},
            headers={"Authorization": "Basic abc", "X-Custom": f"Bearer {SECRET}"},
            json_body={"password": "pw-in-body", "note": f"key is {SECRET}"},
        )

    trace = CarrierTrace.objects.get()
    stored = " ".join(
        [trace.url, str(trace.request_headers), trace.request_body, trace.response_body]
    )
    for secret in (SECRET, "query-secret", "Basic abc", "pw-in-body"):
        assert secret not in stored
    assert "postalCode=11151" in trace.url
    assert trace.request_headers["Authorization"] == "[redacted]"


def test_redact_url_keeps_other_parameters() -> None:
    assert (
        redact_url("https://api.example/x?apikey=abc&countryCode=SE", ())
        == "https://api.example/x?apikey=[redacted]&countryCode=SE"
    )
