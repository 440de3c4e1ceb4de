"""POST /ksa/v1/shippingoptions: previews, full addresses, shapes and refusals."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from merchants.models import CarrierAgreement
from tms_gateway.shipments.models import Shipment

from .conftest import Klarna, session

pytestmark = pytest.mark.django_db


def ids(options: list[dict[str, object]]) -> list[object]:
    return [o["id"] for o in options]


def test_full_address_gives_every_option_sorted_with_one_preselected(klarna: Klarna) -> None:
    options = klarna.options(session())

    assert ids(options) == ["pn-pickup", "pn-home", "budbee-evening", "store"]
    assert [o["preselected"] for o in options] == [True, False, False, False]
    assert all("delivery_time" in o for o in options)


def test_option_shape_is_the_contract_shape(klarna: Klarna) -> None:
    pickup = klarna.options(session())[0]

    assert set(pickup) == {
        "id",
        "name",
        "type",
        "shipping_method",
        "carrier",
        "class",
        "carrier_product",
        "price",
        "tax_rate",
        "tax_amount",
        "preselected",
        "delivery_time",
        "locations",
    }
    assert pickup["name"] == "Ombud"  # sv-SE
    assert pickup["type"] == "pickup-point"
    assert pickup["shipping_method"] == "PickUpPoint"
    assert pickup["carrier"] == "postnord"
    assert pickup["class"] == "standard"
    assert pickup["carrier_product"] == {"identifier": "19", "name": "MyPack Collect"}
    assert pickup["price"] == 4900
    assert pickup["tax_rate"] == 2500
    assert pickup["tax_amount"] == 980
    assert pickup["delivery_time"] == {"interval": {"earliest": 1, "latest": 3}, "cutoff": "14:00"}


def test_pickup_locations_carry_address_coordinates_and_opening_hours(klarna: Klarna) -> None:
    locations = klarna.options(session())[0]["locations"]

    assert len(locations) == 10
    first = locations[0]
    assert first["id"] == "postnord-SE-12345-1"
    assert first["price"] == 4900
    assert first["address"]["postal_code"] == "12345"
    assert first["address"]["country"] == "SE"
    assert set(first["coordinates"]) == {"lat", "lng"}
    assert 55 < first["coordinates"]["lat"] < 69
    assert first["opening_hours"][0]["day"] == "monday"
    assert set(first["opening_hours"][0]) == {"day", "open", "close"}
    distances = [loc["distance"] for loc in locations]
    assert distances == sorted(distances)


def test_timeslot_option_carries_timeslots(klarna: Klarna) -> None:
    evening = next(o for o in klarna.options(session()) if o["id"] == "budbee-evening")

    assert evening["class"] == "express"
    assert len(evening["timeslots"]) == 5
    slot = evening["timeslots"][0]
    assert set(slot) == {"id", "start", "end", "cutoff", "price"}
    assert slot["start"].endswith(("+01:00", "+02:00"))
    assert slot["price"] == 7900


def test_addons_are_offered_with_their_settings(klarna: Klarna) -> None:
    home = next(o for o in klarna.options(session()) if o["id"] == "pn-home")

    assert home["addons"] == [
        {
            "id": "sms-notice",
            "type": "sms",
            "price": 0,
            "preselected": True,
            "required": False,
            "name": "SMS-avisering",
        },
        {
            "id": "door-code",
            "type": "entry-code",
            "price": 1000,
            "preselected": False,
            "required": False,
            "name": "Portkod",
            "max_length": 10,
        },
    ]


def test_store_pickup_lists_the_shops_stores(klarna: Klarna) -> None:
    store = next(o for o in klarna.options(session()) if o["id"] == "store")

    assert store["type"] == "pickup-point"
    assert store["shipping_method"] == "PickUpStore"
    assert store["carrier"] == "generic"
    assert store["carrier_product"] == {"identifier": "store", "name": "Hämta i butik"}
    assert [loc["id"] for loc in store["locations"]] == ["sthlm"]
    assert store["locations"][0]["coordinates"] == {"lat": 59.3333, "lng": 18.0624}


def test_no_recipient_at_all_gives_a_preview(klarna: Klarna) -> None:
    body = session()
    del body["recipient"]
    options = klarna.options(body)

    assert ids(options) == ["pn-pickup", "pn-home", "budbee-evening", "store"]
    assert "locations" not in options[0]
    assert "timeslots" not in options[2]


def test_only_a_country_filters_by_country(klarna: Klarna) -> None:
    options = klarna.options(session(currency="EUR", locale="fi-FI", recipient={"country": "FI"}))

    assert ids(options) == ["pn-pickup", "pn-home"]
    assert [o["price"] for o in options] == [490, 690]


def test_a_postal_code_alone_brings_locations(klarna: Klarna) -> None:
    options = klarna.options(session(recipient={"country": "SE", "postal_code": "11151"}))

    assert options[0]["locations"][0]["id"] == "postnord-SE-11151-1"


def test_free_over_the_threshold(klarna: Klarna) -> None:
    body = session()
    body["order"]["total_amount"] = 100000
    pickup = klarna.options(body)[0]

    assert pickup["price"] == 0
    assert pickup["tax_amount"] == 0


def test_minimal_body_with_only_currency_and_locale(klarna: Klarna) -> None:
    options = klarna.options({"currency": "SEK", "locale": "en-SE"})
    assert ids(options) == ["pn-pickup", "pn-home", "budbee-evening", "store"]
    assert options[0]["name"] == "Pickup point"


def test_unknown_fields_and_nulls_are_ignored(klarna: Klarna) -> None:
    body = session(extra_field={"a": 1}, recipient={"country": "SE", "postal_code": None})
    body["order"]["lines"][0]["attributes"] = None
    assert ids(klarna.options(body))[0] == "pn-pickup"


def test_vdn_media_type_is_echoed(klarna: Klarna) -> None:
    media_type = "application/vdn.klarna.shipping.shippingoptions-v1+json"
    response = klarna.post("shippingoptions", session(), content_type=media_type)
    assert response.status_code == 200
    assert response["Content-Type"] == media_type


def test_real_currency_without_prices_is_currency_not_supported(klarna: Klarna) -> None:
    response = klarna.post("shippingoptions", session(currency="JPY"))
    assert response.status_code == 400
    assert response.json() == {
        "failure_reason": "currency_not_supported",
        "message": "Leverans kan inte erbjudas i den här valutan.",
    }


@pytest.mark.parametrize(
    "change, field",
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": None}, "currency"),
        ({"locale": 5}, "locale"),
        ({"order": {"total_amount": "59800"}}, "order.total_amount"),
        ({"order": {"total_amount": True}}, "order.total_amount"),
        ({"order": {"total_amount": 1.5}}, "order.total_amount"),
        ({"order": {"total_weight": -1}}, "order.total_weight"),
        ({"order": {"tags": "member"}}, "order.tags"),
        ({"order": {"lines": [{"quantity": "two"}]}}, "order.lines[0].quantity"),
        (
            {"order": {"lines": [{"attributes": {"weight": "1kg"}}]}},
            "order.lines[0].attributes.weight",
        ),
        ({"recipient": {"country": "Sweden"}}, "recipient.country"),
        ({"recipient": {"postal_code": 12345}}, "recipient.postal_code"),
        ({"recipient": []}, "recipient"),
    ],
)
def test_wrong_types_are_400_naming_the_field(
    klarna: Klarna, change: dict[str, object], field: str
) -> None:
    response = klarna.post("shippingoptions", session(**change))
    assert response.status_code == 400
    body = response.json()
    assert body["failure_reason"] == "malformed_request"
    assert body["message"].startswith(f"{field}:"), body["message"]


def test_missing_currency_is_400(klarna: Klarna) -> None:
    response = klarna.post("shippingoptions", {"locale": "sv-SE"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("currency:")


def test_malformed_json_is_400(klarna: Klarna) -> None:
    response = klarna.post("shippingoptions", '{"currency": "SEK",')
    assert response.status_code == 400
    assert response.json()["failure_reason"] == "malformed_request"


def test_oversize_body_is_413_and_nothing_is_stored(klarna: Klarna) -> None:
    body = session(padding="x" * (1024 * 1024 + 1))
    response = klarna.post("shippingoptions", body)
    assert response.status_code == 413
    assert response.json()["failure_reason"] == "payload_too_large"
    assert Shipment.objects.count() == 0


def test_get_is_405_not_500(klarna: Klarna) -> None:
    response = klarna.get("shippingoptions")
    assert response.status_code == 405
    assert response.json()["failure_reason"] == "method_not_allowed"


def test_each_merchant_sees_only_its_own_options(klarna: Klarna, klarna_b: Klarna) -> None:
    CarrierAgreement.objects.filter(merchant=klarna_b.shop.merchant).update(is_active=False)

    assert ids(klarna.options(session())) == ["pn-pickup", "pn-home", "budbee-evening", "store"]
    assert ids(klarna_b.options(session())) == ["store"]


def test_failing_carrier_leaves_its_fallback_options_without_locations(klarna: Klarna) -> None:
    agreement = CarrierAgreement.objects.get(merchant=klarna.shop.merchant, carrier="postnord")
    agreement.credentials = {"static_behaviour": "fail"}
    agreement.save()

    options = klarna.options(session())

    assert ids(options) == ["pn-pickup", "budbee-evening", "store"]
    assert "locations" not in options[0]


def test_carrier_past_the_deadline_is_dropped(klarna: Klarna, settings: object) -> None:
    settings.CHECKOUT_DEADLINE_SECONDS = 0.3  # type: ignore[attr-defined]
    agreement = CarrierAgreement.objects.get(merchant=klarna.shop.merchant, carrier="budbee")
    agreement.credentials = {"static_behaviour": "slow", "static_delay_seconds": 2}
    agreement.save()

    assert ids(klarna.options(session())) == ["pn-pickup", "pn-home", "store"]


def test_other_content_type_is_still_read_as_json(client: Client, klarna: Klarna) -> None:
    response = client.post(
        "/ksa/v1/shippingoptions",
        data=json.dumps(session()),
        content_type="text/plain",
        **klarna.headers(),
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        b'{"currency": "SEK", "locale": "\xff\xfe"}',
        '{"currency": "SEK", "locale": "sv-SE", "session_id": "a\\u0000b"}',
        '{"currency": "SEK", "locale": "' + "x" * 36 + '"}',
        '{"currency": "SEK", "locale": "sv-SE", "order": {"total_amount": 1e400}}',
        '{"currency": "SEK", "locale": "sv-SE", "order": {"total_amount": 99999999999999999999999}}',
    ],
)
def test_hostile_bodies_are_400_never_500(klarna: Klarna, raw: str | bytes) -> None:
    response = klarna.post("shippingoptions", raw)
    assert response.status_code == 400
    assert response.json()["failure_reason"] == "malformed_request"


def test_hostile_reservation_body_is_400_and_stores_nothing(klarna: Klarna) -> None:
    body = session(locale="sv-SE-" + "x" * 40)
    body["selected_shipping_option"] = {"id": "pn-pickup"}
    response = klarna.reserve(body)
    assert response.status_code == 400
    assert Shipment.objects.count() == 0
