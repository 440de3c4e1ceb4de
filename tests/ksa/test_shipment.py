"""POST/PUT/GET /ksa/v1/shipment and /confirm: reservations, idempotency, tenancy, expiry."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tms_gateway.shipments.models import Shipment, ShipmentEvent
from tms_gateway.shipments.services import shipment_expire_stale

from .conftest import SELECT_TYPE, Klarna, Shop, selection_body, session

pytestmark = pytest.mark.django_db


def reserve_ok(klarna: Klarna, body: dict[str, Any]) -> dict[str, Any]:
    response = klarna.reserve(body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_reserve_answers_201_with_location_and_the_shipment(klarna: Klarna) -> None:
    body = selection_body(
        "pn-pickup",
        type="pickup-point",
        carrier="postnord",
        price=4900,
        location={"id": "postnord-SE-12345-2"},
    )
    response = klarna.reserve(body)

    assert response.status_code == 201
    assert response["Content-Type"] == SELECT_TYPE
    shipment_id = response.json()["shipment_id"]
    assert response["Location"] == f"/ksa/v1/shipment/{shipment_id}"
    assert response.json() == {
        "shipment_id": shipment_id,
        "status": "reserved",
        "selected_shipping_option": {
            "id": "pn-pickup",
            "name": "Ombud",
            "type": "pickup-point",
            "shipping_method": "PickUpPoint",
            "carrier": "postnord",
            "class": "standard",
            "price": 4900,
            "tax_rate": 2500,
            "tax_amount": 980,
            "carrier_product": {"identifier": "19", "name": "MyPack Collect"},
            "location": response.json()["selected_shipping_option"]["location"],
        },
    }
    location = response.json()["selected_shipping_option"]["location"]
    assert location["id"] == "postnord-SE-12345-2"
    shipment = Shipment.objects.get(public_id=shipment_id)
    assert shipment.merchant == klarna.shop.merchant
    assert shipment.status == "reserved"
    assert shipment.klarna_order_id == "f3392f8b-6116-4073-ab96-e330819e2c07"
    assert shipment.recipient["phone"] == "+46765260000"
    assert list(shipment.events.values_list("to_status", "actor")) == [("reserved", "klarna")]


def test_pickup_without_location_gets_the_nearest(klarna: Klarna) -> None:
    body = reserve_ok(klarna, selection_body("pn-pickup"))
    assert body["selected_shipping_option"]["location"]["id"] == "postnord-SE-12345-1"


def test_timeslot_and_addons_are_kept_and_priced(klarna: Klarna) -> None:
    home = reserve_ok(
        klarna,
        selection_body(
            "pn-home",
            addons=[
                {"id": "sms-notice", "type": "sms", "data": {"selected": True, "text": ""}},
                {
                    "id": "door-code",
                    "type": "entry-code",
                    "data": {"selected": True, "text": "1234"},
                },
            ],
        ),
    )
    assert home["selected_shipping_option"]["price"] == 6900 + 1000
    assert home["selected_shipping_option"]["addons"] == [
        {"id": "sms-notice", "type": "sms", "price": 0, "data": {"selected": True, "text": ""}},
        {
            "id": "door-code",
            "type": "entry-code",
            "price": 1000,
            "data": {"selected": True, "text": "1234"},
        },
    ]

    slots = next(o for o in klarna.options(session()) if o["id"] == "budbee-evening")["timeslots"]
    evening = reserve_ok(klarna, selection_body("budbee-evening", timeslot={"id": slots[2]["id"]}))
    assert evening["selected_shipping_option"]["timeslot"] == {
        k: slots[2][k] for k in ("id", "start", "end")
    }


def test_repeated_post_for_a_session_keeps_the_id_and_replaces_the_selection(
    klarna: Klarna,
) -> None:
    first = selection_body("pn-pickup")
    second = dict(first, selected_shipping_option={"id": "pn-home"})

    a = reserve_ok(klarna, first)
    b = reserve_ok(klarna, second)

    assert a["shipment_id"] == b["shipment_id"]
    assert b["selected_shipping_option"]["id"] == "pn-home"
    assert Shipment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_for_one_session_make_one_shipment(shop: Shop) -> None:
    body = selection_body("pn-pickup")
    token = Klarna(Client(), shop).login().token
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        try:
            barrier.wait()
            klarna = Klarna(Client(), shop)
            klarna.token = token
            response = klarna.reserve(body)
            results.append((response.status_code, response.json().get("shipment_id", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in results] == [201] * 6
    assert len({shipment_id for _, shipment_id in results}) == 1
    assert Shipment.objects.count() == 1


@pytest.mark.parametrize(
    "chosen, reason, sv_message",
    [
        (
            {"id": "no-such-option"},
            "shipping_option_not_available",
            "Leveranssättet du valde är inte längre tillgängligt. Välj ett annat.",
        ),
        (
            {"id": "pn-pickup", "location": {"id": "elsewhere"}},
            "location_not_available",
            "Utlämningsstället du valde är inte tillgängligt. Välj ett annat.",
        ),
        (
            {"id": "budbee-evening", "timeslot": {"id": "1999-01-01T17:00"}},
            "timeslot_not_available",
            "Leveranstiden du valde är inte längre tillgänglig. Välj en annan.",
        ),
        (
            {
                "id": "pn-home",
                "addons": [{"id": "door-code", "data": {"selected": True, "text": "x" * 11}}],
            },
            "invalid_addon_input",
            "En leveransuppgift du angav är för lång. Korta ner den.",
        ),
        (
            {"id": "pn-home", "addons": [{"id": "gift-wrap", "data": {"selected": True}}]},
            "addon_not_available",
            "Ett leveranstillval du valde är inte tillgängligt. Se över ditt val.",
        ),
    ],
)
def test_bad_selection_is_refused_in_the_shoppers_language_and_stores_nothing(
    klarna: Klarna, chosen: dict[str, Any], reason: str, sv_message: str
) -> None:
    body = session()
    body["selected_shipping_option"] = chosen

    response = klarna.reserve(body)

    assert response.status_code == 400
    assert response.json() == {"failure_reason": reason, "message": sv_message}
    assert Shipment.objects.count() == 0
    assert ShipmentEvent.objects.count() == 0


@pytest.mark.parametrize("phone", ["", "+46812345678", "12", "not a number"])
def test_home_delivery_needs_a_mobile_number(klarna: Klarna, phone: str) -> None:
    body = selection_body("pn-home")
    body["recipient"]["phone"] = phone
    body["locale"] = "de-DE"

    response = klarna.reserve(body)

    assert response.status_code == 400
    assert response.json()["failure_reason"] == "invalid_recipient"
    assert response.json()["message"].startswith("Bitte prüfen Sie Ihre Adresse")
    assert Shipment.objects.count() == 0


def test_national_mobile_format_is_accepted_and_stored_in_e164(klarna: Klarna) -> None:
    body = selection_body("pn-home")
    body["recipient"]["phone"] = "070-123 45 67"
    shipment_id = reserve_ok(klarna, body)["shipment_id"]
    assert Shipment.objects.get(public_id=shipment_id).recipient["phone"] == "+46701234567"


def test_pickup_point_does_not_need_a_mobile_number(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    body["recipient"]["phone"] = ""
    reserve_ok(klarna, body)


def test_home_delivery_without_street_is_invalid_recipient(klarna: Klarna) -> None:
    body = selection_body("pn-home")
    del body["recipient"]["street_address"]
    response = klarna.reserve(body)
    assert response.status_code == 400
    assert response.json()["failure_reason"] == "invalid_recipient"


def test_unknown_locale_gets_english(klarna: Klarna) -> None:
    body = selection_body("nope")
    body["locale"] = "pl-PL"
    response = klarna.reserve(body)
    assert response.json()["message"] == (
        "The delivery option you chose is no longer available. Please choose another."
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"session_id": None}, "session_id"),
        ({"selected_shipping_option": None}, "selected_shipping_option"),
        ({"selected_shipping_option": {"price": 4900}}, "selected_shipping_option.id"),
        ({"selected_shipping_option": {"id": 7}}, "selected_shipping_option.id"),
        (
            {
                "selected_shipping_option": {
                    "id": "pn-home",
                    "addons": [{"id": "a", "data": {"selected": "yes"}}],
                }
            },
            "selected_shipping_option.addons[0].data.selected",
        ),
    ],
)
def test_malformed_reservation_is_400_and_stores_nothing(
    klarna: Klarna, change: dict[str, Any], field: str
) -> None:
    body = selection_body("pn-pickup")
    body.update(change)
    if change.get("session_id", "x") is None:
        del body["session_id"]

    response = klarna.reserve(body)

    assert response.status_code == 400
    assert response.json()["failure_reason"] == "malformed_request"
    assert response.json()["message"].startswith(f"{field}:"), response.json()["message"]
    assert Shipment.objects.count() == 0


def test_put_replaces_the_selection_and_answers_200_with_location(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserve_ok(klarna, body)["shipment_id"]
    body["selected_shipping_option"] = {"id": "store", "location": {"id": "sthlm"}}

    response = klarna.put(f"shipment/{shipment_id}", body)

    assert response.status_code == 200
    assert response["Location"] == f"/ksa/v1/shipment/{shipment_id}"
    assert response.json()["selected_shipping_option"]["id"] == "store"
    assert response.json()["selected_shipping_option"]["location"]["name"] == "Stockholm City"
    assert Shipment.objects.get().selection["option_id"] == "store"


def test_bad_put_changes_nothing(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserve_ok(klarna, body)["shipment_id"]
    body["selected_shipping_option"] = {"id": "vanished"}

    response = klarna.put(f"shipment/{shipment_id}", body)

    assert response.status_code == 400
    assert response.json()["failure_reason"] == "shipping_option_not_available"
    assert Shipment.objects.get().selection["option_id"] == "pn-pickup"


def test_confirm_is_200_and_idempotent(klarna: Klarna) -> None:
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]

    first = klarna.post(f"shipment/{shipment_id}/confirm")
    second = klarna.post(f"shipment/{shipment_id}/confirm")

    assert first.status_code == 200
    assert second.status_code == 200
    assert first.json()["status"] == "confirmed"
    shipment = Shipment.objects.get()
    assert shipment.status == "confirmed"
    assert shipment.confirmed_at is not None
    assert list(shipment.events.values_list("from_status", "to_status")) == [
        ("", "reserved"),
        ("reserved", "confirmed"),
    ]


def test_get_returns_the_shipment(klarna: Klarna) -> None:
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    klarna.post(f"shipment/{shipment_id}/confirm")

    response = klarna.get(f"shipment/{shipment_id}")

    assert response.status_code == 200
    assert response.json()["shipment_id"] == shipment_id
    assert response.json()["status"] == "confirmed"
    assert response.json()["selected_shipping_option"]["carrier_product"]["identifier"] == "19"
    assert "tracking_number" not in response.json()


def test_get_shows_tracking_once_booked(klarna: Klarna) -> None:
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    Shipment.objects.filter(public_id=shipment_id).update(
        status="booked",
        tracking_number="00370712345678901234",
        tracking_url="https://tracking.postnord.com/se/?id=00370712345678901234",
    )

    body = klarna.get(f"shipment/{shipment_id}").json()

    assert body["status"] == "booked"
    assert body["tracking_number"] == "00370712345678901234"
    assert body["tracking_uri"] == "https://tracking.postnord.com/se/?id=00370712345678901234"
    assert body["shipping_company"] == "PostNord"


def test_another_merchants_shipment_is_404_everywhere(klarna: Klarna, klarna_b: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserve_ok(klarna, body)["shipment_id"]

    responses = [
        klarna_b.get(f"shipment/{shipment_id}"),
        klarna_b.put(f"shipment/{shipment_id}", body),
        klarna_b.post(f"shipment/{shipment_id}/confirm"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert all(r.json()["failure_reason"] == "shipment_not_found" for r in responses)
    shipment = Shipment.objects.get()
    assert shipment.status == "reserved"
    assert shipment.events.count() == 1


def test_same_session_id_at_two_merchants_makes_two_shipments(
    klarna: Klarna, klarna_b: Klarna
) -> None:
    body = selection_body("pn-pickup")
    a = reserve_ok(klarna, body)["shipment_id"]
    b = reserve_ok(klarna_b, body)["shipment_id"]
    assert a != b


# A well-formed id no shipment has (fixed: parallel workers must collect the same tests).
@pytest.mark.parametrize("shipment_id", ["not-a-uuid", "4c561d3a-90cb-401f-970c-99a22f6cc19b"])
def test_unknown_shipment_is_404(klarna: Klarna, shipment_id: str) -> None:
    assert klarna.get(f"shipment/{shipment_id}").status_code == 404
    assert klarna.post(f"shipment/{shipment_id}/confirm").status_code == 404


def test_shipment_endpoints_need_a_token(client: Client, klarna: Klarna) -> None:
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    responses = [
        client.get(f"/ksa/v1/shipment/{shipment_id}"),
        client.post(f"/ksa/v1/shipment/{shipment_id}/confirm"),
        client.post("/ksa/v1/shipment", data="{}", content_type="application/json"),
    ]
    assert [(r.status_code, r.content) for r in responses] == [(401, b"")] * 3


def _age(shipment_id: str, minutes: int) -> None:
    Shipment.objects.filter(public_id=shipment_id).update(
        selection_changed_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


def test_confirm_after_an_hour_still_books_the_paid_order(klarna: Klarna) -> None:
    # A confirm is proof of purchase: one that reaches us after the reservation lifetime
    # (Klarna's retries, a network fault) books the shipment rather than losing a paid order.
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    _age(shipment_id, 61)

    response = klarna.post(f"shipment/{shipment_id}/confirm")

    assert response.status_code == 200
    shipment = Shipment.objects.get()
    assert (shipment.status, shipment.confirmed_by) == ("confirmed", "klarna")
    event = ShipmentEvent.objects.get(shipment=shipment, to_status="confirmed")
    assert event.reason == "purchase completed, after the reservation lifetime"


def test_confirm_of_an_expired_reservation_books_it_and_clears_attention(klarna: Klarna) -> None:
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    _age(shipment_id, 61)
    assert shipment_expire_stale() == 1
    assert Shipment.objects.get().attention_since is not None

    response = klarna.post(f"shipment/{shipment_id}/confirm")

    assert response.status_code == 200
    shipment = Shipment.objects.get()
    assert (shipment.status, shipment.attention_since, shipment.attention_reason) == (
        "confirmed",
        None,
        "",
    )


def test_put_on_an_expired_reservation_is_410(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserve_ok(klarna, body)["shipment_id"]
    _age(shipment_id, 61)

    response = klarna.put(f"shipment/{shipment_id}", body)

    assert response.status_code == 410
    assert response.json()["failure_reason"] == "reservation_expired"
    assert response.json()["message"] == "Ditt leveransval har gått ut. Välj leveranssätt igen."


def test_confirm_within_the_hour_succeeds(klarna: Klarna) -> None:
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    _age(shipment_id, 59)
    assert klarna.post(f"shipment/{shipment_id}/confirm").status_code == 200


def test_put_renews_the_reservation_lifetime(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserve_ok(klarna, body)["shipment_id"]
    _age(shipment_id, 50)
    assert klarna.put(f"shipment/{shipment_id}", body).status_code == 200
    Shipment.objects.filter(public_id=shipment_id).update(
        selection_changed_at=Shipment.objects.get().selection_changed_at - dt.timedelta(minutes=30)
    )
    assert klarna.post(f"shipment/{shipment_id}/confirm").status_code == 200


def test_sweeper_expires_stale_reservations_only(klarna: Klarna) -> None:
    stale = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    fresh = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    confirmed = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    klarna.post(f"shipment/{confirmed}/confirm")
    for shipment_id in (stale, confirmed):
        _age(shipment_id, 120)

    assert shipment_expire_stale() == 1

    statuses = dict(Shipment.objects.values_list("public_id", "status"))
    assert statuses == {
        uuid.UUID(stale): "expired",
        uuid.UUID(fresh): "reserved",
        uuid.UUID(confirmed): "confirmed",
    }
    event = ShipmentEvent.objects.get(shipment__public_id=stale, to_status="expired")
    assert (event.from_status, event.actor) == ("reserved", "system")


def test_post_again_after_expiry_reserves_again_with_the_same_id(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserve_ok(klarna, body)["shipment_id"]
    _age(shipment_id, 61)
    shipment_expire_stale()

    Shipment.objects.filter(public_id=shipment_id).update(reconcile_attempts=3)
    assert Shipment.objects.get().attention_since is not None

    again = reserve_ok(klarna, body)

    assert again["shipment_id"] == shipment_id
    assert again["status"] == "reserved"
    # live again: it no longer needs attention, and the checkout API reads start over
    shipment = Shipment.objects.get()
    assert (shipment.attention_since, shipment.attention_reason) == (None, "")
    assert (shipment.reconcile_attempts, shipment.reconcile_next_at) == (0, None)


def test_confirmed_shipment_cannot_be_changed(klarna: Klarna) -> None:
    body = selection_body("pn-pickup")
    shipment_id = reserve_ok(klarna, body)["shipment_id"]
    klarna.post(f"shipment/{shipment_id}/confirm")

    put = klarna.put(f"shipment/{shipment_id}", body)
    post = klarna.reserve(body)

    assert (put.status_code, put.json()["failure_reason"]) == (409, "shipment_not_modifiable")
    assert (post.status_code, post.json()["failure_reason"]) == (409, "shipment_not_modifiable")
    assert Shipment.objects.get().status == "confirmed"


def test_get_after_an_hour_shows_the_reservation_expired(klarna: Klarna) -> None:
    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    _age(shipment_id, 61)

    response = klarna.get(f"shipment/{shipment_id}")

    assert response.status_code == 200
    assert response.json()["status"] == "expired"


def test_expiry_task_runs_the_sweeper(klarna: Klarna) -> None:
    from tms_gateway.shipments.tasks import shipment_expire_stale as task

    shipment_id = reserve_ok(klarna, selection_body("pn-pickup"))["shipment_id"]
    _age(shipment_id, 61)

    assert task.apply().get() == 1
    assert Shipment.objects.get().status == "expired"
