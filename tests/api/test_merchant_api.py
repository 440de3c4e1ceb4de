"""The merchant API (/api/v1/): per-shop bearer tokens; a shop confirms the shipment of a Klarna
order as Klarna's own confirm would, reads it, and polls the shipments needing attention.

Shop A is the demo shop, shop B a second one; reservations are made by the reservation
service against the static carrier source.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from merchants.audit import AuditAction
from merchants.demo import demo_merchant_seed
from merchants.models import AuditLog, KlarnaCredential, Merchant, MerchantApiToken
from merchants.selectors import api_token_hash, merchant_api_token_authenticate
from merchants.services import merchant_api_token_issue, merchant_api_token_revoke
from tests.checkout.conftest import STATIC_ADAPTERS
from tests.factories import ShipmentFactory
from tests.shipments.helpers import queue_clear, queued_bookings
from tms_gateway.ksa.authentication import token_issue
from tms_gateway.shipments.models import Shipment, ShipmentEvent, ShipmentStatus

pytestmark = pytest.mark.django_db

ORDER = "klarna-order-4711"
UNAUTHORIZED_HEADER = 'Bearer realm="api"'


@pytest.fixture(autouse=True)
def _static_carriers(settings: Settings) -> Iterator[None]:
    from carriers.breaker import breaker

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def shop_a(db: None) -> Merchant:
    return demo_merchant_seed(identifier="demo", key="demo-key")


@pytest.fixture
def shop_b(db: None) -> Merchant:
    from merchants.models import Carrier, OptionKind
    from tests.factories import DeliveryOptionFactory, MerchantFactory

    merchant = MerchantFactory.create(name="Other Shop", slug="other-shop")
    DeliveryOptionFactory.create(
        merchant=merchant,
        code="b-courier",
        kind=OptionKind.OWN,
        carrier=Carrier.GENERIC,
        carrier_product="",
        names={"en": "B courier"},
        prices={"SEK": 1900},
    )
    return merchant


@pytest.fixture
def token_a(shop_a: Merchant) -> str:
    return merchant_api_token_issue(merchant=shop_a, name="order system", actor=None)[1]


@pytest.fixture
def token_b(shop_b: Merchant) -> str:
    return merchant_api_token_issue(merchant=shop_b, name="shop b erp", actor=None)[1]


@pytest.fixture
def reserved(shop_a: Merchant) -> Shipment:
    return ShipmentFactory.create(merchant=shop_a, option_id="postnord-home", order_id=ORDER)


def bearer(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def confirm(client: Client, token: str, order_id: str = ORDER, body: Any = None) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body or {})
    return client.post(
        f"/api/v1/orders/{order_id}/confirm",
        data=data,
        content_type="application/json",
        **bearer(token),
    )


def state(shipment: Shipment) -> dict[str, Any]:
    """What a refused call must leave alone."""
    shipment.refresh_from_db()
    return {
        "status": shipment.status,
        "confirmed_at": shipment.confirmed_at,
        "confirmed_by": shipment.confirmed_by,
        "merchant_reference": shipment.merchant_reference,
        "attention_since": shipment.attention_since,
        "updated_at": shipment.updated_at,
        "events": list(shipment.events.values_list("from_status", "to_status", "actor")),
    }


def confirm_events(shipment: Shipment) -> list[tuple[str, str, str]]:
    return list(
        ShipmentEvent.objects.filter(shipment=shipment, to_status=ShipmentStatus.CONFIRMED)
        .order_by("id")
        .values_list("from_status", "actor", "reason")
    )


def body_of(shipment: Shipment) -> dict[str, Any]:
    shipment.refresh_from_db()
    return {
        "shipment_id": str(shipment.public_id),
        "klarna_order_id": shipment.klarna_order_id,
        "status": shipment.status,
        "option_id": "postnord-home",
        "carrier": "postnord",
        "carrier_product": shipment.selection["carrier_product"],
        "confirmed_by": shipment.confirmed_by,
        "confirmed_at": (
            shipment.confirmed_at.isoformat().replace("+00:00", "Z")
            if shipment.confirmed_at
            else None
        ),
        "merchant_reference": shipment.merchant_reference,
        "needs_attention": shipment.attention_since is not None,
        "attention_reason": shipment.attention_reason,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
    }


# --- authentication ---------------------------------------------------------------------------


def test_a_confirm_without_a_token_is_401_not_authenticated_and_changes_nothing(
    client: Client, reserved: Shipment
) -> None:
    before = state(reserved)

    response = client.post(f"/api/v1/orders/{ORDER}/confirm", content_type="application/json")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "extra": {},
    }
    assert response["WWW-Authenticate"] == UNAUTHORIZED_HEADER
    assert state(reserved) == before


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer tms_00000000_not-a-token-we-issued",
        "Bearer something-else",
        "Bearer ",
        "bearer tms_00000000_not-a-token-we-issued",
    ],
)
def test_a_wrong_token_is_401_authentication_failed_and_changes_nothing(
    client: Client, reserved: Shipment, token_a: str, authorization: str
) -> None:
    before = state(reserved)

    response = client.post(
        f"/api/v1/orders/{ORDER}/confirm",
        content_type="application/json",
        HTTP_AUTHORIZATION=authorization,
    )

    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_failed",
        "message": "The API token is unknown or revoked.",
        "extra": {},
    }
    assert response["WWW-Authenticate"] == UNAUTHORIZED_HEADER
    assert state(reserved) == before


def test_another_scheme_is_401_not_authenticated(client: Client, token_a: str) -> None:
    response = client.get("/api/v1/shipments", HTTP_AUTHORIZATION=f"Token {token_a}")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_revoked_token_is_refused_and_changes_nothing(
    client: Client, shop_a: Merchant, reserved: Shipment
) -> None:
    api_token, token = merchant_api_token_issue(merchant=shop_a, name="old erp", actor=None)
    merchant_api_token_revoke(merchant=shop_a, token_id=api_token.pk, actor=None)
    before = state(reserved)

    response = confirm(client, token)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == UNAUTHORIZED_HEADER
    assert state(reserved) == before


def test_a_token_of_a_deactivated_shop_is_refused(
    client: Client, shop_a: Merchant, token_a: str, reserved: Shipment
) -> None:
    Merchant.objects.filter(pk=shop_a.pk).update(is_active=False)
    before = state(reserved)

    response = confirm(client, token_a)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert state(reserved) == before


def test_the_token_is_found_by_its_hash_and_last_used_is_written_at_most_once_a_minute(
    shop_a: Merchant,
) -> None:
    api_token, token = merchant_api_token_issue(merchant=shop_a, name="erp", actor=None)
    assert api_token.token_hash == api_token_hash(token)
    assert api_token.prefix == token[:12]
    assert api_token.last_used_at is None
    t0 = timezone.now()

    first = merchant_api_token_authenticate(token=token, now=t0)
    again = merchant_api_token_authenticate(token=token, now=t0 + dt.timedelta(seconds=59))
    stored_after_again = MerchantApiToken.objects.get(pk=api_token.pk).last_used_at
    later = merchant_api_token_authenticate(token=token, now=t0 + dt.timedelta(seconds=61))

    assert first is not None and first.pk == api_token.pk
    assert again is not None and again.pk == api_token.pk
    assert stored_after_again == t0
    assert later is not None
    assert MerchantApiToken.objects.get(pk=api_token.pk).last_used_at == t0 + dt.timedelta(
        seconds=61
    )
    assert merchant_api_token_authenticate(token=token + "x") is None
    assert merchant_api_token_authenticate(token=api_token.token_hash) is None


# --- confirm ------------------------------------------------------------------------------------


def test_the_shop_confirms_by_order_id_with_its_reference_and_the_booking_is_queued(
    client: Client,
    reserved: Shipment,
    token_a: str,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    queue_clear()
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, token_a, body={"merchant_reference": "10042"})

    assert response.status_code == 200, response.content
    reserved.refresh_from_db()
    assert reserved.status == "confirmed"
    assert reserved.confirmed_by == "shop"
    assert reserved.merchant_reference == "10042"
    assert reserved.confirmed_at is not None
    assert before <= reserved.confirmed_at <= timezone.now()
    assert confirm_events(reserved) == [
        ("reserved", "shop api: order system", "confirmed by the shop's order flow (order 10042)")
    ]
    assert queued_bookings() == [reserved.pk]
    assert response.json() == body_of(reserved)
    assert response.json()["confirmed_by"] == "shop"
    assert response.json()["needs_attention"] is False


def test_an_empty_body_confirms_without_a_reference(
    client: Client, reserved: Shipment, token_a: str
) -> None:
    # As `curl -X POST` sends it: no body, no Content-Type.
    response = client.generic("POST", f"/api/v1/orders/{ORDER}/confirm", **bearer(token_a))

    assert response.status_code == 200, response.content
    reserved.refresh_from_db()
    assert (reserved.status, reserved.confirmed_by, reserved.merchant_reference) == (
        "confirmed",
        "shop",
        "",
    )
    assert response.json()["merchant_reference"] == ""


def test_a_null_reference_is_no_reference(client: Client, reserved: Shipment, token_a: str) -> None:
    response = confirm(client, token_a, body={"merchant_reference": None})

    assert response.status_code == 200, response.content
    assert response.json()["merchant_reference"] == ""


def test_a_repeated_confirm_is_idempotent(
    client: Client,
    reserved: Shipment,
    token_a: str,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    queue_clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = confirm(client, token_a, body={"merchant_reference": "10042"})
    after_first = state(reserved)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = confirm(client, token_a, body={"merchant_reference": "other"})

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert state(reserved) == after_first
    assert len(confirm_events(reserved)) == 1
    assert callbacks == []
    assert queued_bookings() == [reserved.pk]


def test_a_klarna_confirm_after_the_shop_confirm_changes_nothing(
    client: Client, shop_a: Merchant, reserved: Shipment, token_a: str
) -> None:
    assert confirm(client, token_a, body={"merchant_reference": "10042"}).status_code == 200
    after_shop = state(reserved)
    klarna_token = token_issue(credential=KlarnaCredential.objects.get(identifier="demo"))

    response = client.post(
        f"/ksa/v1/shipment/{reserved.public_id}/confirm",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {klarna_token}",
    )

    assert response.status_code == 200, response.content
    assert state(reserved) == after_shop
    assert reserved.confirmed_by == "shop"
    assert len(confirm_events(reserved)) == 1


def test_a_shop_confirm_after_klarnas_changes_nothing_but_adds_the_missing_reference(
    client: Client, shop_a: Merchant, reserved: Shipment, token_a: str
) -> None:
    klarna_token = token_issue(credential=KlarnaCredential.objects.get(identifier="demo"))
    klarna = client.post(
        f"/ksa/v1/shipment/{reserved.public_id}/confirm",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {klarna_token}",
    )
    assert klarna.status_code == 200, klarna.content
    after_klarna = state(reserved)

    response = confirm(client, token_a, body={"merchant_reference": "10042"})

    assert response.status_code == 200, response.content
    now = state(reserved)
    assert now["merchant_reference"] == "10042"
    assert {k: v for k, v in now.items() if k not in ("merchant_reference", "updated_at")} == {
        k: v for k, v in after_klarna.items() if k not in ("merchant_reference", "updated_at")
    }
    assert now["confirmed_by"] == "klarna"
    assert confirm_events(reserved) == [("reserved", "klarna", "purchase completed")]
    assert response.json() == body_of(reserved)


def test_a_confirm_books_an_expired_reservation_needing_attention(
    client: Client, shop_a: Merchant, token_a: str
) -> None:
    expired = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        order_id=ORDER,
        status=ShipmentStatus.EXPIRED,
        attention_since=timezone.now() - dt.timedelta(minutes=5),
        attention_reason="Expired without a confirm",
    )

    response = confirm(client, token_a, body={"merchant_reference": "10042"})

    assert response.status_code == 200, response.content
    expired.refresh_from_db()
    assert (expired.status, expired.confirmed_by, expired.attention_since) == (
        "confirmed",
        "shop",
        None,
    )
    assert confirm_events(expired) == [
        (
            "expired",
            "shop api: order system",
            "confirmed by the shop's order flow (order 10042), after the reservation lifetime",
        )
    ]
    assert response.json()["needs_attention"] is False
    assert response.json()["attention_reason"] == ""


def test_another_shops_order_is_404_like_an_unknown_one_and_changes_nothing(
    client: Client, reserved: Shipment, token_b: str
) -> None:
    before = state(reserved)

    other = confirm(client, token_b, body={"merchant_reference": "B-1"})
    unknown = confirm(client, token_b, order_id="no-such-order")
    read = client.get(f"/api/v1/orders/{ORDER}/shipment", **bearer(token_b))

    assert other.status_code == unknown.status_code == read.status_code == 404
    assert other.json() == {
        "code": "order_not_found",
        "message": f"No shipment was reserved for Klarna order {ORDER!r}.",
        "extra": {},
    }
    assert unknown.json()["code"] == read.json()["code"] == "order_not_found"
    assert state(reserved) == before


@pytest.mark.parametrize("order_id", ["a" * 256, "nul%00byte"])
def test_an_order_id_no_shipment_can_have_is_404(
    client: Client, reserved: Shipment, token_a: str, order_id: str
) -> None:
    before = state(reserved)

    response = confirm(client, token_a, order_id=order_id)

    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"
    assert state(reserved) == before


def test_a_cancelled_shipment_is_not_found_by_its_order(
    client: Client, shop_a: Merchant, token_a: str
) -> None:
    # shipment_get_by_order leaves cancelled shipments out: an order whose only shipment was
    # cancelled has no shipment to confirm.
    cancelled = ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", order_id=ORDER, status=ShipmentStatus.CANCELLED
    )
    before = state(cancelled)

    response = confirm(client, token_a)

    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"
    assert state(cancelled) == before


def test_a_shipment_cancelled_between_lookup_and_confirm_is_409(
    client: Client, shop_a: Merchant, token_a: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tms_gateway.shipments import services

    cancelled = ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", order_id=ORDER, status=ShipmentStatus.CANCELLED
    )
    # The lookup ran before a member of staff cancelled it.
    monkeypatch.setattr(services, "shipment_get_by_order", lambda **kwargs: cancelled)
    before = state(cancelled)

    response = confirm(client, token_a)

    assert response.status_code == 409
    assert response.json() == {
        "code": "shipment_not_modifiable",
        "message": "The shipment is cancelled.",
        "extra": {},
    }
    assert state(cancelled) == before


# --- malformed requests -------------------------------------------------------------------------


def test_malformed_json_is_400_and_changes_nothing(
    client: Client, reserved: Shipment, token_a: str
) -> None:
    before = state(reserved)

    response = confirm(client, token_a, body='{"merchant_reference": ')

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert response.json()["message"].startswith("JSON parse error")
    assert response.json()["extra"] == {}
    assert state(reserved) == before


@pytest.mark.parametrize(
    ("body", "message", "fields"),
    [
        (
            {"merchant_reference": 10042},
            "merchant_reference: Not a valid string.",
            {"merchant_reference": ["Not a valid string."]},
        ),
        (
            {"merchant_reference": "x" * 256},
            "merchant_reference: Ensure this field has no more than 255 characters.",
            {"merchant_reference": ["Ensure this field has no more than 255 characters."]},
        ),
        (
            {"merchant_ref": "10042"},
            "merchant_ref: Unknown field.",
            {"merchant_ref": ["Unknown field."]},
        ),
        (["10042"], "The body must be a JSON object.", None),
        ("null", "The body must be a JSON object.", None),
    ],
)
def test_a_body_of_the_wrong_shape_is_400_invalid_request_and_changes_nothing(
    client: Client,
    reserved: Shipment,
    token_a: str,
    body: Any,
    message: str,
    fields: dict[str, list[str]] | None,
) -> None:
    before = state(reserved)

    response = confirm(client, token_a, body=json.dumps(body) if body != "null" else "null")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_request",
        "message": message,
        "extra": {"fields": fields} if fields else {},
    }
    assert state(reserved) == before


def test_an_oversize_body_is_413_and_changes_nothing(
    client: Client, reserved: Shipment, token_a: str
) -> None:
    before = state(reserved)

    response = confirm(client, token_a, body=json.dumps({"merchant_reference": "x" * 20_000}))

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is larger than 16384 bytes.",
        "extra": {},
    }
    assert state(reserved) == before


def test_a_body_that_is_not_json_is_415_and_changes_nothing(
    client: Client, reserved: Shipment, token_a: str
) -> None:
    before = state(reserved)

    response = client.post(
        f"/api/v1/orders/{ORDER}/confirm",
        data="merchant_reference=10042",
        content_type="application/x-www-form-urlencoded",
        **bearer(token_a),
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert state(reserved) == before


def test_get_on_the_confirm_is_405(client: Client, reserved: Shipment, token_a: str) -> None:
    response = client.get(f"/api/v1/orders/{ORDER}/confirm", **bearer(token_a))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- read ---------------------------------------------------------------------------------------


def test_the_shipment_of_an_order_is_read_with_empty_strings_and_nulls(
    client: Client, reserved: Shipment, token_a: str
) -> None:
    response = client.get(f"/api/v1/orders/{ORDER}/shipment", **bearer(token_a))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "shipment_id": str(reserved.public_id),
        "klarna_order_id": ORDER,
        "status": "reserved",
        "option_id": "postnord-home",
        "carrier": "postnord",
        "carrier_product": reserved.selection["carrier_product"],
        "confirmed_by": "",
        "confirmed_at": None,
        "merchant_reference": "",
        "needs_attention": False,
        "attention_reason": "",
        "tracking_number": "",
        "tracking_url": "",
    }


def test_a_booked_shipment_shows_its_tracking(
    client: Client, shop_a: Merchant, token_a: str
) -> None:
    booked = ShipmentFactory.create(
        merchant=shop_a,
        option_id="postnord-home",
        confirmed=True,
        order_id=ORDER,
        status=ShipmentStatus.BOOKED,
        tracking_number="00370712345678901234",
        tracking_url="https://tracking.example/00370712345678901234",
    )

    response = client.get(f"/api/v1/orders/{ORDER}/shipment", **bearer(token_a))

    assert response.status_code == 200
    assert response.json() == body_of(booked)
    assert response.json()["status"] == "booked"
    assert response.json()["confirmed_by"] == "klarna"
    assert response.json()["tracking_number"] == "00370712345678901234"


# --- needs attention ----------------------------------------------------------------------------


@pytest.fixture
def attention(shop_a: Merchant, shop_b: Merchant) -> list[Shipment]:
    """Shop A: three shipments needing attention (newest last) and one that does not; shop B:
    one needing attention."""
    now = timezone.now()
    rows = [
        ShipmentFactory.create(
            merchant=shop_a,
            option_id="postnord-home",
            order_id=f"att-{n}",
            status=ShipmentStatus.EXPIRED,
            attention_since=now - dt.timedelta(minutes=30 - n),
            attention_reason="Expired without a confirm",
        )
        for n in range(3)
    ]
    ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="fine"
    )
    ShipmentFactory.create(
        merchant=shop_b,
        option_id="b-courier",
        order_id="b-att",
        status=ShipmentStatus.EXPIRED,
        attention_since=now,
    )
    return rows


def test_the_shipments_needing_attention_newest_first(
    client: Client, attention: list[Shipment], token_a: str
) -> None:
    response = client.get("/api/v1/shipments?needs_attention=true", **bearer(token_a))

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 3
    assert (data["limit"], data["offset"], data["next"], data["previous"]) == (50, 0, None, None)
    assert [r["klarna_order_id"] for r in data["results"]] == ["att-2", "att-1", "att-0"]
    assert data["results"][0] == body_of(attention[2])
    assert data["results"][0]["needs_attention"] is True
    assert data["results"][0]["attention_reason"] == "Expired without a confirm"


def test_the_attention_list_is_paginated(
    client: Client, attention: list[Shipment], token_a: str
) -> None:
    first = client.get("/api/v1/shipments?needs_attention=true&limit=2", **bearer(token_a))
    second = client.get(first.json()["next"], **bearer(token_a))

    assert first.status_code == second.status_code == 200
    assert [r["klarna_order_id"] for r in first.json()["results"]] == ["att-2", "att-1"]
    assert first.json()["next"] == (
        "http://testserver/api/v1/shipments?limit=2&needs_attention=true&offset=2"
    )
    assert [r["klarna_order_id"] for r in second.json()["results"]] == ["att-0"]
    assert second.json()["next"] is None
    assert second.json()["previous"] == (
        "http://testserver/api/v1/shipments?limit=2&needs_attention=true"
    )


def test_a_confirmed_shipment_leaves_the_attention_list(
    client: Client, attention: list[Shipment], token_a: str
) -> None:
    assert confirm(client, token_a, order_id="att-1").status_code == 200

    response = client.get("/api/v1/shipments?needs_attention=true", **bearer(token_a))

    assert [r["klarna_order_id"] for r in response.json()["results"]] == ["att-2", "att-0"]


def test_without_the_filter_every_shipment_of_the_shop_is_listed(
    client: Client, attention: list[Shipment], token_a: str, token_b: str
) -> None:
    mine = client.get("/api/v1/shipments", **bearer(token_a))
    others = client.get("/api/v1/shipments?needs_attention=false", **bearer(token_a))
    theirs = client.get("/api/v1/shipments?needs_attention=true", **bearer(token_b))

    assert [r["klarna_order_id"] for r in mine.json()["results"]] == [
        "fine",
        "att-2",
        "att-1",
        "att-0",
    ]
    assert [r["klarna_order_id"] for r in others.json()["results"]] == ["fine"]
    assert [r["klarna_order_id"] for r in theirs.json()["results"]] == ["b-att"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=101", "limit: Ensure this value is less than or equal to 100."),
        ("limit=0", "limit: Ensure this value is greater than or equal to 1."),
        ("limit=ten", "limit: A valid integer is required."),
        ("offset=-1", "offset: Ensure this value is greater than or equal to 0."),
        ("needs_attention=maybe", "needs_attention: Must be a valid boolean."),
        ("needs_atention=true", "needs_atention: Unknown field."),
    ],
)
def test_bad_list_parameters_are_400(
    client: Client, attention: list[Shipment], token_a: str, query: str, message: str
) -> None:
    response = client.get(f"/api/v1/shipments?{query}", **bearer(token_a))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["message"] == message


# --- rate limit ---------------------------------------------------------------------------------


def test_calls_are_limited_per_token(
    client: Client, shop_a: Merchant, token_a: str, settings: Settings
) -> None:
    settings.MERCHANT_API_RATE_LIMIT_PER_MINUTE = 2
    other_token = merchant_api_token_issue(merchant=shop_a, name="second", actor=None)[1]

    answers = [client.get("/api/v1/shipments", **bearer(token_a)) for _ in range(3)]
    other = client.get("/api/v1/shipments", **bearer(other_token))

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == {
        "code": "rate_limited",
        "message": "Too many requests; retry after the time in Retry-After.",
        "extra": {},
    }
    assert 1 <= int(answers[2]["Retry-After"]) <= 60
    assert other.status_code == 200


# --- the actor and the audit --------------------------------------------------------------------


def test_a_long_token_name_still_fits_the_history(
    client: Client, shop_a: Merchant, reserved: Shipment
) -> None:
    token = merchant_api_token_issue(merchant=shop_a, name="n" * 100, actor=None)[1]

    response = confirm(client, token)

    assert response.status_code == 200, response.content
    assert confirm_events(reserved)[0][1] == ("shop api: " + "n" * 100)[:100]


def test_issue_and_revoke_are_audited_without_the_token(shop_a: Merchant) -> None:
    api_token, token = merchant_api_token_issue(merchant=shop_a, name="erp", actor=None)
    merchant_api_token_revoke(merchant=shop_a, token_id=api_token.pk, actor=None)
    merchant_api_token_revoke(merchant=shop_a, token_id=api_token.pk, actor=None)

    rows = list(
        AuditLog.objects.filter(object_type="MerchantApiToken")
        .order_by("id")
        .values_list("action", "object_id", "changes")
    )
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    assert rows == [
        (
            AuditAction.API_TOKEN_ISSUE,
            str(api_token.pk),
            {"name": [None, "erp"], "prefix": [None, api_token.prefix]},
        ),
        (
            AuditAction.API_TOKEN_REVOKE,
            str(api_token.pk),
            {"revoked_at": [None, api_token.revoked_at.isoformat()]},
        ),
    ]
    secret = token.split("_", 2)[2]
    assert not AuditLog.objects.filter(changes__icontains=secret).exists()
    assert not AuditLog.objects.filter(object_repr__icontains=secret).exists()


def test_another_shops_token_cannot_be_revoked(shop_a: Merchant, shop_b: Merchant) -> None:
    from tms_gateway.common.errors import NotFound

    api_token, _ = merchant_api_token_issue(merchant=shop_a, name="erp", actor=None)
    audits = AuditLog.objects.count()

    with pytest.raises(NotFound) as refused:
        merchant_api_token_revoke(merchant=shop_b, token_id=api_token.pk, actor=None)

    assert refused.value.code == "api_token_not_found"
    api_token.refresh_from_db()
    assert api_token.revoked_at is None
    assert AuditLog.objects.count() == audits


# --- the schema ---------------------------------------------------------------------------------


def test_the_schema_documents_the_merchant_api_with_bearer_security(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()

    merchant_paths = {p: set(ops) for p, ops in schema["paths"].items() if p.startswith("/api/")}
    assert merchant_paths == {
        "/api/v1/orders/{klarna_order_id}/confirm": {"post"},
        "/api/v1/orders/{klarna_order_id}/shipment": {"get"},
        "/api/v1/shipments": {"get"},
    }
    assert schema["components"]["securitySchemes"]["merchantToken"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["merchantToken"]["scheme"] == "bearer"
    for path in merchant_paths:
        for op in schema["paths"][path].values():
            assert op["security"] == [{"merchantToken": []}], path
            assert op["tags"] == ["merchant"], path
            assert "401" in op["responses"], path
    confirm_op = schema["paths"]["/api/v1/orders/{klarna_order_id}/confirm"]["post"]
    assert set(confirm_op["responses"]) == {"200", "400", "401", "404", "409", "413", "415", "429"}
    assert set(schema["components"]["schemas"]["ShipmentOut"]["properties"]) == {
        "shipment_id",
        "klarna_order_id",
        "status",
        "option_id",
        "carrier",
        "carrier_product",
        "confirmed_by",
        "confirmed_at",
        "merchant_reference",
        "needs_attention",
        "attention_reason",
        "tracking_number",
        "tracking_url",
    }
    assert set(schema["components"]["schemas"]["ApiError"]["properties"]) == {
        "code",
        "message",
        "extra",
    }
    assert [t["name"] for t in schema["tags"]] == ["ksa", "merchant"]
