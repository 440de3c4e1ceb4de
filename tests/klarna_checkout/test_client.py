"""Klarna's Checkout API, read order: the request as sent, the answers as parsed, the trace."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from carriers.exceptions import CarrierResponseInvalid, CarrierUnavailable
from carriers.models import CarrierTrace
from carriers.types import CarrierMessage
from merchants.models import KlarnaCheckoutCredential, Merchant
from tests.conftest import Sandbox
from tests.factories import MerchantFactory
from tms_gateway.klarna_checkout.client import (
    CheckoutRateLimited,
    CheckoutRefused,
    base_url,
    checkout_order_read,
)
from tms_gateway.klarna_checkout.mappers import (
    CheckoutOrder,
    parse_error_body,
    parse_order,
    tms_reference_matches,
)

FIXTURES = Path(__file__).parent / "fixtures"
USERNAME = "PK12345_7f3a9c"
PASSWORD = "s3cr3t-Shared-Passw0rd"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def credential(merchant: Merchant, api_base_url: str, **fields: Any) -> KlarnaCheckoutCredential:
    return KlarnaCheckoutCredential.objects.create(
        merchant=merchant,
        username=USERNAME,
        password=PASSWORD,
        api_base_url=api_base_url,
        **fields,
    )


def create_order(sandbox: Sandbox, *, auth: tuple[str, str] = (USERNAME, PASSWORD)) -> str:
    response = requests.post(
        f"{sandbox.url('klarna')}/checkout/v3/orders",
        json={
            "purchase_country": "SE",
            "purchase_currency": "SEK",
            "locale": "sv-SE",
            "order_amount": 59800,
            "order_tax_amount": 11960,
            "order_lines": [{"type": "physical", "name": "Mug", "quantity": 2}],
        },
        auth=auth,
        timeout=5,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


# --- The request, exactly ---------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    """A stand-in for Klarna's host: records each request and answers a fixed order."""

    seen: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.seen.append(  # type: ignore[attr-defined]
            {
                "method": "GET",
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": self.rfile.read(length) if length else b"",
            }
        )
        body = fixture("order-complete.json")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def recorder() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_read_order_sends_get_with_basic_auth_and_accept_json(
    recorder: ThreadingHTTPServer,
) -> None:
    # given
    host, port = recorder.server_address[:2]
    shop = credential(MerchantFactory.create(), f"http://{host!s}:{port}/")

    # when
    order = checkout_order_read(credential=shop, order_id="0b5cf3d6-2f0e-4c55-9a0b-6d7e2c1f8a41")

    # then
    (seen,) = recorder.seen  # type: ignore[attr-defined]
    assert seen["method"] == "GET"
    assert seen["path"] == "/checkout/v3/orders/0b5cf3d6-2f0e-4c55-9a0b-6d7e2c1f8a41"
    assert (
        seen["headers"]["authorization"]
        == "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    )
    assert seen["headers"]["accept"] == "application/json"
    assert "content-type" not in seen["headers"]
    assert seen["body"] == b""
    assert order is not None and order.order_id == "0b5cf3d6-2f0e-4c55-9a0b-6d7e2c1f8a41"


@pytest.mark.django_db
def test_an_order_id_is_sent_as_one_quoted_path_segment(recorder: ThreadingHTTPServer) -> None:
    host, port = recorder.server_address[:2]
    shop = credential(MerchantFactory.create(), f"http://{host!s}:{port}")

    checkout_order_read(credential=shop, order_id="a/b c?d")

    assert recorder.seen[0]["path"] == "/checkout/v3/orders/a%2Fb%20c%3Fd"  # type: ignore[attr-defined]


# --- The answers, parsed ------------------------------------------------------------------------


def test_a_complete_order_is_parsed() -> None:
    assert parse_order(fixture("order-complete.json")) == CheckoutOrder(
        order_id="0b5cf3d6-2f0e-4c55-9a0b-6d7e2c1f8a41",
        status="checkout_complete",
        complete=True,
        tms_reference="7d1f0c52-93b4-4e0e-8f3c-2a6b5d9e1c07",
        merchant_reference="WEB-100234",
        completed_at=dt.datetime(2030, 3, 4, 9, 14, 5, tzinfo=dt.UTC),
    )


def test_an_incomplete_order_is_parsed() -> None:
    assert parse_order(fixture("order-incomplete.json")) == CheckoutOrder(
        order_id="5e2a9c10-7b3d-4f8e-a1c6-0d4b8f2e6a93",
        status="checkout_incomplete",
        complete=False,
        tms_reference="",
        merchant_reference="",
        completed_at=None,
    )


@pytest.mark.parametrize(
    ("status", "complete"),
    [
        ("checkout_incomplete", False),
        ("incomplete", False),  # Order.md's wording
        ("CHECKOUT_INCOMPLETE", False),
        ("checkout_complete", True),
        ("created", True),  # INFERRED: past checkout, so authorized
    ],
)
def test_every_status_but_incomplete_is_complete(status: str, complete: bool) -> None:
    order = parse_order(json.dumps({"order_id": "o-1", "status": status}))

    assert (order.status, order.complete) == (status, complete)


def test_an_order_read_leniently() -> None:
    order = parse_order(
        json.dumps(
            {
                "order_id": 12345,
                "status": "checkout_complete",
                "selected_shipping_option": None,
                "merchant_reference1": None,
                "completed_at": "not a time",
            }
        )
    )

    assert order == CheckoutOrder("12345", "checkout_complete", True, "", "", None)


@pytest.mark.parametrize(
    "body",
    [b"<html>", b"[]", b'{"order_id": "o-1"}', b'{"status": "checkout_complete"}'],
)
def test_a_body_that_is_not_an_order_is_invalid(body: bytes) -> None:
    with pytest.raises(CarrierResponseInvalid):
        parse_order(body)


def test_klarnas_error_body_is_parsed_with_its_correlation_id() -> None:
    assert parse_error_body(fixture("error-no-such-order.json"), 404) == (
        CarrierMessage(
            code="NO_SUCH_ORDER",
            text="No such order: 9f3e2d1c-0000-4000-8000-000000000000 "
            "(correlation id c2a4e8f0-1b3d-4c5e-9f70-8a9b0c1d2e3f)",
        ),
    )


def test_other_error_bodies_keep_their_text_or_status() -> None:
    assert parse_error_body(b"Bad Gateway", 502) == (CarrierMessage("502", "Bad Gateway"),)
    assert parse_error_body(b'{"error_code": "TOO_MANY_REQUESTS"}', 429) == (
        CarrierMessage("TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"),
    )
    assert parse_error_body(b'{"error_messages": "not a list"}', 400) == (
        CarrierMessage("400", "400"),
    )
    assert parse_error_body(b"", 503) == ()


def test_tms_reference_matches_our_shipment_id_however_written() -> None:
    ours = uuid.UUID("7d1f0c52-93b4-4e0e-8f3c-2a6b5d9e1c07")

    assert tms_reference_matches("7d1f0c52-93b4-4e0e-8f3c-2a6b5d9e1c07", ours)
    assert tms_reference_matches("7d1f0c5293b44e0e8f3c2a6b5d9e1c07", ours)
    assert tms_reference_matches(" 7D1F0C52-93B4-4E0E-8F3C-2A6B5D9E1C07 ", ours)
    assert tms_reference_matches("{7d1f0c52-93b4-4e0e-8f3c-2a6b5d9e1c07}", ours)
    assert not tms_reference_matches(str(uuid.uuid4()), ours)
    assert not tms_reference_matches("SHIP-1", ours)
    assert not tms_reference_matches("", ours)


# --- Hosts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "region", "test_mode", "host"),
    [
        ("klarna", "eu", False, "https://api.klarna.com"),
        ("klarna", "na", False, "https://api-na.klarna.com"),
        ("klarna", "oc", False, "https://api-oc.klarna.com"),
        ("klarna", "eu", True, "https://api.playground.klarna.com"),
        ("klarna", "na", True, "https://api-na.playground.klarna.com"),
        ("klarna", "oc", True, "https://api-oc.playground.klarna.com"),
        ("kustom", "eu", False, "https://api.kustom.co"),
        ("kustom", "eu", True, "https://api.playground.kustom.co"),
        # Kustom publishes no other region: its European host.
        ("kustom", "na", False, "https://api.kustom.co"),
        ("kustom", "oc", True, "https://api.playground.kustom.co"),
    ],
)
def test_base_url_follows_provider_region_and_mode(
    provider: str, region: str, test_mode: bool, host: str
) -> None:
    shop = KlarnaCheckoutCredential(provider=provider, region=region, test_mode=test_mode)

    assert base_url(shop) == host


def test_an_api_base_url_overrides_the_providers_host() -> None:
    shop = KlarnaCheckoutCredential(
        provider="klarna",
        region="na",
        test_mode=False,
        api_base_url="http://127.0.0.1:8090/klarna/",
    )

    assert base_url(shop) == "http://127.0.0.1:8090/klarna"


# --- Against the sandbox's fake: outcomes and the trace -------------------------------------------


@pytest.mark.django_db
def test_the_trace_shows_the_call_with_the_credentials_redacted(sandbox: Sandbox) -> None:
    # given
    merchant = MerchantFactory.create()
    shop = credential(merchant, sandbox.url("klarna"))
    order_id = create_order(sandbox)

    # when
    order = checkout_order_read(credential=shop, order_id=order_id)

    # then
    assert order is not None
    assert (order.order_id, order.status, order.complete) == (
        order_id,
        "checkout_incomplete",
        False,
    )
    trace = CarrierTrace.objects.get()
    assert (trace.merchant_id, trace.agreement_id, trace.carrier, trace.operation) == (
        merchant.pk,
        None,
        "klarna-checkout",
        "read_order",
    )
    assert (trace.method, trace.status_code, trace.error) == ("GET", 200, "")
    assert trace.url == f"{sandbox.url('klarna')}/checkout/v3/orders/{order_id}"
    assert trace.request_headers["Authorization"] == "[redacted]"
    assert trace.request_headers["Accept"] == "application/json"
    assert json.loads(trace.response_body)["order_id"] == order_id
    stored = json.dumps(
        {f.attname: str(getattr(trace, f.attname)) for f in CarrierTrace._meta.concrete_fields}
    )
    assert PASSWORD not in stored
    assert base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode() not in stored


@pytest.mark.django_db
def test_an_unknown_order_reads_as_none(sandbox: Sandbox) -> None:
    shop = credential(MerchantFactory.create(), sandbox.url("klarna"))

    assert checkout_order_read(credential=shop, order_id="no-such-order") is None
    trace = CarrierTrace.objects.get()
    assert trace.status_code == 404
    assert json.loads(trace.response_body)["error_code"] == "NO_SUCH_ORDER"


@pytest.mark.django_db
def test_another_stores_order_is_not_found(sandbox: Sandbox) -> None:
    order_id = create_order(sandbox, auth=("another-store", "its-secret"))
    shop = credential(MerchantFactory.create(), sandbox.url("klarna"))

    assert checkout_order_read(credential=shop, order_id=order_id) is None


@pytest.mark.django_db
def test_refused_credentials_raise_checkout_refused(sandbox: Sandbox) -> None:
    shop = credential(MerchantFactory.create(), sandbox.url("klarna"))
    KlarnaCheckoutCredential.objects.filter(pk=shop.pk).update(password="")
    shop.refresh_from_db()

    with pytest.raises(CheckoutRefused) as refused:
        checkout_order_read(credential=shop, order_id="any")

    assert refused.value.status == 401
    assert [m.code for m in refused.value.messages] == ["UNAUTHORIZED"]
    assert CarrierTrace.objects.get().status_code == 401


@pytest.mark.django_db
def test_a_429_is_klarnas_rate_limit_with_its_retry_after(sandbox: Sandbox) -> None:
    shop = credential(MerchantFactory.create(), sandbox.url("klarna"))
    sandbox.fault("klarna", status=429, times=1)

    with pytest.raises(CheckoutRateLimited) as limited:
        checkout_order_read(credential=shop, order_id="any")

    assert limited.value.retry_after == 1.0
    assert [m.code for m in limited.value.messages] == ["TOO_MANY_REQUESTS"]


@pytest.mark.django_db
def test_a_503_is_unavailable_not_a_rate_limit(sandbox: Sandbox) -> None:
    shop = credential(MerchantFactory.create(), sandbox.url("klarna"))
    sandbox.fault("klarna", status=503, times=1)

    with pytest.raises(CarrierUnavailable) as unavailable:
        checkout_order_read(credential=shop, order_id="any")

    assert not isinstance(unavailable.value, CheckoutRateLimited)
    assert [m.code for m in unavailable.value.messages] == ["TEMPORARILY_UNAVAILABLE"]
    trace = CarrierTrace.objects.get()
    assert (trace.status_code, trace.error) == (503, "HTTP 503")


@pytest.mark.django_db
def test_a_broken_body_is_invalid_and_a_hang_times_out(sandbox: Sandbox, settings: Any) -> None:
    shop = credential(MerchantFactory.create(), sandbox.url("klarna"))
    sandbox.fault("klarna", malformed=True, times=1)

    with pytest.raises(CarrierResponseInvalid):
        checkout_order_read(credential=shop, order_id="any")

    settings.KLARNA_CHECKOUT_TIMEOUT = 0.3
    sandbox.fault("klarna", hang=True, times=1)
    with pytest.raises(CarrierUnavailable, match="timeout"):
        checkout_order_read(credential=shop, order_id="any")
