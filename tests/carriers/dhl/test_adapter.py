"""The DHL adapter against the carrier sandbox: quotes, cache, faults, booking, tracking, traces."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import Settings

from carriers.base import Capability
from carriers.dhl import DhlAdapter
from carriers.dhl.declaration import DECLARATION
from carriers.exceptions import (
    CarrierRejected,
    CarrierResponseInvalid,
    CarrierUnavailable,
    OperationNotSupported,
)
from carriers.models import CarrierTrace
from carriers.sandbox import dhl as dhl_sandbox
from carriers.sandbox.core import ledger
from carriers.types import (
    AddonChoice,
    Address,
    AgreementCredentials,
    Booking,
    CarrierMessage,
    Contact,
    Coordinates,
    DeliveryEstimate,
    Location,
    LocationKind,
    OpeningHours,
    Parcel,
    ProductKind,
    ProductQuery,
    Quote,
    TrackingStatus,
)
from tests.carriers.labels import drawn_lines
from tests.conftest import Sandbox
from tests.factories import CarrierAgreementFactory, MerchantFactory

from .builders import (
    API_KEY,
    CLIENT_KEY,
    agreement,
    booking_request,
    home,
    locker,
    pickup,
    quote_request,
)

# --- contract ---------------------------------------------------------------------------------


def test_the_adapter_declares_its_products_hosts_and_capabilities(adapter: DhlAdapter) -> None:
    assert adapter.products == {
        "103": "DHL Service Point",
        "109": "DHL Parcel Connect",
        "401": "DHL Home Delivery",
    }
    assert adapter.hosts == {
        "live": "https://api.freight-logistics.dhl.com",
        "test": "https://test-api.freight-logistics.dhl.com",
    }
    assert adapter.capabilities == frozenset(
        {Capability.QUOTE, Capability.LOCATIONS, Capability.BOOKING, Capability.TRACKING}
    )
    assert set(adapter.parsers) == {
        "service_points",
        "availability",
        "booking",
        "label",
        "tracking",
        "error",
    }
    assert adapter.declaration is DECLARATION
    assert adapter.slug == "dhl"


def test_group_apis_use_their_own_hosts_unless_dhl_is_pointed_elsewhere(
    adapter: DhlAdapter, settings: Settings
) -> None:
    settings.CARRIER_BASE_URLS = {}
    settings.CARRIER_SANDBOX_URL = ""
    live = AgreementCredentials(agreement_id=1, customer_number="1", test_mode=False)
    proxied = AgreementCredentials(
        agreement_id=1, customer_number="1", base_url="http://proxy.internal/dhl/"
    )

    assert adapter.farm_base(live) == "https://api.freight-logistics.dhl.com"
    assert adapter.group_base(live, "location_finder") == "https://api.dhl.com"
    assert adapter.group_base(live, "tracking") == "https://api-eu.dhl.com"
    assert adapter.group_base(proxied, "tracking") == "http://proxy.internal/dhl"

    settings.CARRIER_SANDBOX_URL = "http://127.0.0.1:8090"
    assert adapter.group_base(live, "location_finder") == "http://127.0.0.1:8090/dhl"


# --- quotes -----------------------------------------------------------------------------------


def test_swedish_service_points_come_from_the_api_farm(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    (quote,) = adapter.quote(request=quote_request(sandboxed, pickup()))

    assert quote.available
    assert [(loc.id, loc.distance_m) for loc in quote.locations] == [
        ("SE-801100", 920),
        ("SE-560300", 1430),
        ("SE-874900", 1830),
    ]
    assert quote.locations[0] == Location(
        id="SE-801100",
        name="DHL SERVICE POINT HEMKÖP STORGATAN",
        kind=LocationKind.SERVICE_POINT,
        address=Address(
            country="SE", postal_code="11151", city="STOCKHOLM", street_address="STORGATAN 67"
        ),
        coordinates=Coordinates(lat=61.384852, lng=16.171652),
        distance_m=920,
    )
    assert quote.locations[0].extra == {
        "source": "api-farm",
        "location_type": "servicepoint",
        "sub_type": "ParcelShop",
    }
    assert (quote.timeslots, quote.price, quote.delivery) == ((), None, None)
    assert sandbox.requests("dhl") == 1


def test_a_locker_option_gets_parcel_stations(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    (quote,) = adapter.quote(request=quote_request(sandboxed, locker()))

    assert [(loc.id, loc.kind, loc.extra["sub_type"]) for loc in quote.locations] == [
        ("SE-277700", LocationKind.LOCKER, "ParcelStation"),
        ("SE-191100", LocationKind.LOCKER, "ParcelStation"),
        ("SE-401900", LocationKind.LOCKER, "ParcelStation"),
    ]


def test_parcel_connect_outside_the_nordics_comes_from_location_finder(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    (quote,) = adapter.quote(
        request=quote_request(sandboxed, pickup("109"), country="DE", postal_code="53113")
    )

    first = quote.locations[0]
    assert quote.available
    assert (first.id, first.name, first.kind, first.distance_m) == (
        "8003-4287970",
        "DHL Service Point EDEKA Bahnhofstraße",
        LocationKind.SERVICE_POINT,
        660,
    )
    assert first.address == Address("DE", "53113", "Berlin", "Bahnhofstraße 97")
    assert first.opening_hours == (
        *(OpeningHours(day, dt.time(8, 0), dt.time(22, 0)) for day in range(5)),
        OpeningHours(5, dt.time(10, 0), dt.time(18, 0)),
        OpeningHours(6, dt.time(10, 0), dt.time(18, 0)),
    )
    assert first.extra == {
        "source": "location-finder",
        "location_type": "servicepoint",
        "sub_type": "ParcelShop",
        "keyword_id": "1070",
    }


@pytest.mark.parametrize("country", ["NO", "GB", "CH"])
def test_parcel_connect_is_not_offered_where_a_customs_declaration_is_needed(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox, country: str
) -> None:
    # Booking there is refused (no goods lines to declare), so the checkout must not offer it.
    before = sandbox.requests("dhl")

    (quote,) = adapter.quote(
        request=quote_request(sandboxed, pickup("109"), country=country, postal_code="0150")
    )

    assert (quote.available, quote.reason) == (False, "country not served")
    assert sandbox.requests("dhl") == before


def test_home_delivery_follows_the_postal_code_route(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    served, unknown, not_bookable, no_home_delivery = (
        adapter.quote(request=quote_request(sandboxed, home(), postal_code=code))[0]
        for code in ("111 51", "99999", "98491", "98138")
    )

    assert served == Quote(product="401", available=True)
    assert unknown == Quote(product="401", available=False, reason="Post code '99999' not found.")
    assert not_bookable == Quote(
        product="401", available=False, reason="DHL does not book to postal code 98491"
    )
    # Kiruna: bookable, but DHL delivers no parcels home there (homeDeliveryParcel false).
    assert no_home_delivery == Quote(
        product="401", available=False, reason="DHL has no home delivery to postal code 98138"
    )


def test_no_service_point_found_makes_the_product_unavailable_with_dhls_text(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    farm, finder = (
        adapter.quote(request=quote_request(sandboxed, pickup(code), country=c, postal_code=pc))[0]
        for code, c, pc in (("103", "SE", "99123"), ("109", "PL", "00-251"))
    )

    assert farm == Quote(
        product="103", available=False, reason="No matching servicepoint was found"
    )
    assert finder == Quote(
        product="109", available=False, reason="no DHL service point near the postal code"
    )


def test_location_finder_not_found_is_no_service_point(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("dhl", status=404, path="/location-finder/")

    (quote,) = adapter.quote(request=quote_request(sandboxed, pickup("109"), country="AT"))

    assert quote == Quote(
        product="109", available=False, reason="no DHL service point near the postal code"
    )


@pytest.mark.parametrize(
    ("query", "country", "reason"),
    [
        (ProductQuery("999", ProductKind.HOME), "SE", "unknown product"),
        (
            ProductQuery("401", ProductKind.PICKUP_POINT),
            "SE",
            "product does not deliver to pickup_point",
        ),
        (ProductQuery("103", ProductKind.HOME), "SE", "product does not deliver to home"),
        (pickup("103"), "NO", "country not served"),
        (home("401"), "DE", "country not served"),
        (pickup("109"), "SE", "country not served"),
        (pickup("109"), "US", "country not served"),
        (locker("109"), "DE", "product does not deliver to locker in DE"),
    ],
)
def test_what_dhl_does_not_serve_is_unavailable_without_a_call(
    adapter: DhlAdapter,
    sandboxed: AgreementCredentials,
    sandbox: Sandbox,
    query: ProductQuery,
    country: str,
    reason: str,
) -> None:
    (quote,) = adapter.quote(request=quote_request(sandboxed, query, country=country))

    assert quote == Quote(product=query.code, available=False, reason=reason)
    assert sandbox.requests("dhl") == 0


def test_a_preview_without_postal_code_is_available_without_a_call(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    quotes = adapter.quote(
        request=quote_request(sandboxed, pickup(), locker(), home(), postal_code="")
    )

    assert quotes == [
        Quote(product="103", available=True, delivery=DeliveryEstimate(1, 2)),
        Quote(product="103", available=True, delivery=DeliveryEstimate(1, 2)),
        Quote(product="401", available=True, delivery=DeliveryEstimate(1, 2)),
    ]
    assert sandbox.requests("dhl") == 0


def test_one_quote_per_product_in_order(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    quotes = adapter.quote(
        request=quote_request(sandboxed, home(), ProductQuery("X", ProductKind.HOME), pickup())
    )

    assert [(q.product, q.available, len(q.locations)) for q in quotes] == [
        ("401", True, 0),
        ("X", False, 0),
        ("103", True, 3),
    ]


def test_a_second_identical_quote_is_served_from_the_cache(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    request = quote_request(sandboxed, pickup(), locker(), home())
    first = adapter.quote(request=request)
    calls = sandbox.requests("dhl")

    second = adapter.quote(request=request)

    assert calls == 3
    assert sandbox.requests("dhl") == calls
    assert second == first
    assert [loc.extra for loc in second[0].locations] == [loc.extra for loc in first[0].locations]


def test_the_cache_key_holds_the_limit_and_the_kind(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    adapter.quote(request=quote_request(sandboxed, pickup(), max_locations=3))
    adapter.quote(request=quote_request(sandboxed, pickup(), max_locations=5))
    adapter.quote(request=quote_request(sandboxed, locker(), max_locations=5))

    assert sandbox.requests("dhl") == 3


def test_products_needing_the_same_lookup_share_one_call(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    first, second, served = adapter.quote(
        request=quote_request(sandboxed, pickup(), pickup(), home())
    )

    assert first == second and first.available
    assert served == Quote(product="401", available=True)
    assert sandbox.requests("dhl") == 2


def test_service_points_and_the_postal_code_route_go_out_together(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox, settings: Settings
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.5
    sandbox.fault("dhl", hang=True, path="/postalcodeapi/")

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.quote(request=quote_request(sandboxed, home(), pickup()))

    # Asked one after the other, the service point search would never have been reached.
    assert sandbox.requests("dhl") == 2


def test_the_pickup_and_locker_searches_go_out_together(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox, settings: Settings
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.5
    sandbox.fault("dhl", hang=True, path="/servicepointlocatorapi/")

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.quote(request=quote_request(sandboxed, pickup(), locker()))

    assert sandbox.requests("dhl") == 2


# --- carrier failures -------------------------------------------------------------------------


@pytest.mark.parametrize("query", [pickup(), home()])
def test_a_5xx_is_unavailable(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox, query: ProductQuery
) -> None:
    sandbox.fault("dhl", status=503)

    with pytest.raises(CarrierUnavailable):
        adapter.quote(request=quote_request(sandboxed, query))


def test_a_429_is_unavailable_with_retry_after(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("dhl", status=429)

    with pytest.raises(CarrierUnavailable) as raised:
        adapter.quote(request=quote_request(sandboxed, pickup("109"), country="DE"))

    assert raised.value.retry_after == 1.0


def test_a_hanging_dhl_times_out(
    adapter: DhlAdapter,
    sandboxed: AgreementCredentials,
    sandbox: Sandbox,
    settings: Settings,
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.3
    sandbox.fault("dhl", hang=True)

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.quote(request=quote_request(sandboxed, pickup()))


@pytest.mark.parametrize("query", [pickup(), home()])
def test_a_malformed_body_is_invalid(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox, query: ProductQuery
) -> None:
    sandbox.fault("dhl", malformed=True)

    with pytest.raises(CarrierResponseInvalid):
        adapter.quote(request=quote_request(sandboxed, query))


def test_failures_are_not_cached(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("dhl", status=503, times=1)
    with pytest.raises(CarrierUnavailable):
        adapter.quote(request=quote_request(sandboxed, pickup()))

    (quote,) = adapter.quote(request=quote_request(sandboxed, pickup()))

    assert quote.available
    assert sandbox.requests("dhl") == 2


def test_a_4xx_is_rejected_with_dhls_text(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("dhl", status=403)

    with pytest.raises(CarrierRejected) as raised:
        adapter.quote(request=quote_request(sandboxed, pickup("109"), country="DE"))

    assert raised.value.messages == (CarrierMessage("Error", "Injected fault: HTTP 403"),)


def test_a_missing_credential_is_refused_before_any_call(
    adapter: DhlAdapter, sandbox: Sandbox
) -> None:
    only_farm = agreement(sandbox.url("dhl"), client_key=CLIENT_KEY)

    with pytest.raises(CarrierRejected) as raised:
        adapter.quote(request=quote_request(only_farm, pickup("109"), country="DE"))

    assert raised.value.messages == (
        CarrierMessage("missing_credentials", "No api_key configured for DHL"),
    )
    assert sandbox.requests("dhl") == 0


# --- booking ----------------------------------------------------------------------------------


def _assert_pdf(booking: Booking) -> None:
    (label,) = booking.labels
    assert label.content.startswith(b"%PDF-")
    assert label.content.rstrip().endswith(b"%%EOF")
    drawn = drawn_lines(label.content)
    assert drawn[:3] == ["DHL Freight", "TO", "Anna Andersson"]
    assert drawn[-1] == booking.carrier_shipment_id


def test_book_a_service_point_parcel(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    (quote,) = adapter.quote(request=quote_request(sandboxed, pickup()))
    request = booking_request(sandboxed, location=quote.locations[0])

    booking = adapter.book(request=request)

    sent = ledger.find("dhl", "shp_0001")
    assert sent is not None
    shipment_id = booking.carrier_shipment_id
    assert shipment_id.isdigit() and len(shipment_id) == 10
    (piece_id,) = booking.tracking_numbers
    assert piece_id.startswith("37322151") and len(piece_id) == 18
    assert booking.tracking_url == (
        "https://www.dhl.com/se-en/home/tracking/tracking-freight.html?submit=1&tracking-id="
        + shipment_id
    )
    assert booking.extra == {"routing_code": "2LSE11151+02000000"}
    _assert_pdf(booking)
    assert sandbox.bookings("dhl") == {"shp_0001": 1}
    assert sent["parties"][2] == {
        "type": "AccessPoint",
        "id": "8011",  # SE-801100's terminal id, as 103 books it
        "name": "DHL SERVICE POINT HEMKÖP STORGATAN",
        "subType": "ParcelShop",
        "address": {
            "street": "STORGATAN 67",
            "cityName": "STOCKHOLM",
            "postalCode": "11151",
            "countryCode": "SE",
        },
    }
    assert sent["additionalServices"] == {"notification": True}


def test_book_home_delivery_with_two_parcels(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    request = booking_request(
        sandboxed,
        reference="shp_home",
        product="401",
        kind=ProductKind.HOME,
        location=None,
        parcels=(Parcel(weight_g=2000), Parcel(weight_g=3000)),
        addons=(AddonChoice("sms"), AddonChoice("entry-code", "4711")),
    )

    booking = adapter.book(request=request)

    assert len(booking.tracking_numbers) == 2
    assert len(set(booking.tracking_numbers)) == 2
    _assert_pdf(booking)
    sent = ledger.find("dhl", "shp_home")
    assert sent is not None
    assert sent["parties"][1]["address"]["accessCode"] == "4711"
    assert sandbox.bookings("dhl") == {"shp_home": 1}


def test_book_parcel_connect_to_a_german_location(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    (quote,) = adapter.quote(
        request=quote_request(sandboxed, pickup("109"), country="DE", postal_code="53113")
    )
    request = booking_request(
        sandboxed,
        reference="shp_de",
        product="109",
        recipient_address=Address("DE", "53113", "Bonn", "Charles-de-Gaulle-Str. 20"),
        location=quote.locations[0],
    )

    booking = adapter.book(request=request)

    sent = ledger.find("dhl", "shp_de")
    assert sent is not None
    assert sent["payerCode"] == {"code": "022"}
    assert sent["parties"][2]["id"] == "8003-4287970"
    assert booking.extra["routing_code"] == "2LDE53113+02000000"
    assert sandbox.bookings("dhl") == {"shp_de": 1}


def test_a_refused_booking_carries_dhls_message_and_books_nothing(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    germany = Address("DE", "53113", "Bonn", "Charles-de-Gaulle-Str. 20")

    with pytest.raises(CarrierRejected) as raised:
        adapter.book(request=booking_request(sandboxed, recipient_address=germany))

    assert raised.value.messages == (CarrierMessage("22026", "Consignee country is not valid"),)
    assert sandbox.bookings("dhl") == {}
    assert sandbox.requests("dhl") == 1


POLAND = Address("PL", "30-079", "Kraków", "ul. Królewska 10")
KRAKOW_SHOP = Location(
    id="8005-PL-4504339",
    name="ŻABKA",
    kind=LocationKind.SERVICE_POINT,
    address=Address("PL", "30-074", "KRAKÓW", "Kazimierza Wielkiego 82"),
    extra={
        "source": "api-farm",
        "location_type": "servicepoint",
        "sub_type": "ParcelShop",
        "dhl_name": "DHL Parcelshop",
    },
)


def test_parcel_connect_to_poland_is_booked_sent_free(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    request = booking_request(
        sandboxed,
        reference="shp_pl",
        product="109",
        recipient=Contact("Jan Kowalski", "+48600000000", "jan.kowalski@example.pl"),
        recipient_address=POLAND,
        location=KRAKOW_SHOP,
    )

    booking = adapter.book(request=request)

    sent = ledger.find("dhl", "shp_pl")
    assert sent is not None
    assert sent["additionalInformation"] == [{"code": "SENT_FREE", "stringValue": "true"}]
    assert sent["payerCode"] == {"code": "022"}
    assert sent["parties"][2]["id"] == "8005-PL-4504339"
    assert sent["parties"][2]["name"] == "DHL Parcelshop"
    assert booking.carrier_shipment_id
    assert sandbox.bookings("dhl") == {"shp_pl": 1}


def test_parcel_connect_to_poland_sends_the_agreements_sent_identifiers(
    adapter: DhlAdapter, sandbox: Sandbox
) -> None:
    declared = agreement(
        sandbox.url("dhl"),
        client_key=CLIENT_KEY,
        api_key=API_KEY,
        sent_ref="SENT20261008000001",
        sent_carkey="SANDBOXCARKEY0001",
    )
    request = booking_request(
        declared,
        reference="shp_sent",
        product="109",
        recipient_address=POLAND,
        location=KRAKOW_SHOP,
    )

    adapter.book(request=request)

    sent = ledger.find("dhl", "shp_sent")
    assert sent is not None
    assert sent["additionalInformation"] == [
        {"code": "SENT_FREE", "stringValue": "false"},
        {"code": "SENT_REF", "stringValue": "SENT20261008000001"},
        {"code": "SENT_CARKEY", "stringValue": "SANDBOXCARKEY0001"},
    ]


def test_half_a_sent_declaration_is_refused_before_any_call(
    adapter: DhlAdapter, sandbox: Sandbox
) -> None:
    half = agreement(sandbox.url("dhl"), client_key=CLIENT_KEY, sent_ref="SENT20261008000001")

    with pytest.raises(CarrierRejected) as raised:
        adapter.book(
            request=booking_request(
                half, product="109", recipient_address=POLAND, location=KRAKOW_SHOP
            )
        )

    assert raised.value.messages == (
        CarrierMessage(
            "sent_incomplete",
            "DHL needs both the SENT reference and the SENT carrier key, or neither",
        ),
    )
    assert sandbox.requests("dhl") == 0


@pytest.mark.parametrize("country", ["NO", "GB"])
def test_parcels_leaving_the_eu_are_refused_before_any_call(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox, country: str
) -> None:
    abroad = Address(country, "0154", "Oslo", "Karl Johans gate 10")

    with pytest.raises(CarrierRejected) as raised:
        adapter.book(request=booking_request(sandboxed, product="109", recipient_address=abroad))

    (message,) = raised.value.messages
    assert message.code == "customs_required"
    assert message.text.startswith(
        f"DHL needs customs information (goods, HS codes, values) for parcels to {country}"
    )
    assert sandbox.requests("dhl") == 0
    assert sandbox.bookings("dhl") == {}


def test_a_service_point_product_without_a_location_is_refused_before_any_call(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    with pytest.raises(CarrierRejected) as raised:
        adapter.book(request=booking_request(sandboxed, location=None))

    assert raised.value.messages == (
        CarrierMessage("location_required", "DHL product 103 needs a chosen service point"),
    )
    assert sandbox.requests("dhl") == 0


def test_a_booking_timeout_is_unavailable_and_never_retried(
    adapter: DhlAdapter,
    sandboxed: AgreementCredentials,
    sandbox: Sandbox,
    settings: Settings,
) -> None:
    settings.CARRIER_BOOKING_TIMEOUT = 0.3
    sandbox.fault("dhl", hang=True)

    with pytest.raises(CarrierUnavailable):
        adapter.book(request=booking_request(sandboxed))

    assert sandbox.requests("dhl") == 1
    assert sandbox.bookings("dhl") == {}


def test_a_failed_label_keeps_the_booking_and_can_be_printed_again(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("dhl", status=503, path="/printapi/")

    booking = adapter.book(request=booking_request(sandboxed))

    assert booking.labels == ()
    assert booking.extra["label_error"] == "dhl: HTTP 503"
    assert sandbox.bookings("dhl") == {"shp_0001": 1}
    assert sandbox.requests("dhl") == 3  # one booking, the print tried twice
    sandbox.clear_faults()
    label = adapter.label(agreement=sandboxed, shipment_id=booking.carrier_shipment_id)
    assert label.content.startswith(b"%PDF-")


def test_dhl_has_no_lookup_by_reference_and_no_cancel(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    with pytest.raises(OperationNotSupported):
        adapter.find_booking(agreement=sandboxed, reference="shp_0001")
    with pytest.raises(OperationNotSupported):
        adapter.cancel(agreement=sandboxed, booking=Booking("1", ("1",)))


# --- tracking ---------------------------------------------------------------------------------


def test_track_a_booked_parcel_through_its_progression(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    booking = adapter.book(request=booking_request(sandboxed))
    (piece_id,) = booking.tracking_numbers

    (booked,) = adapter.track(agreement=sandboxed, tracking_number=piece_id)
    dhl_sandbox.backdate(booking.carrier_shipment_id, hours=31)
    events = adapter.track(agreement=sandboxed, tracking_number=booking.carrier_shipment_id)

    assert (booked.status, booked.carrier_code, booked.location) == (
        TrackingStatus.PENDING,
        "pre-transit",
        "Stockholm",
    )
    assert booked.description == "The shipment has been booked electronically by the sender"
    assert booked.at.tzinfo is not None
    assert [e.status for e in events] == [
        TrackingStatus.PENDING,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.READY_FOR_PICKUP,
        TrackingStatus.DELIVERED,
    ]
    assert [e.at - events[0].at for e in events] == [
        dt.timedelta(hours=h) for h in (0, 4, 10, 20, 30)
    ]
    assert events[-1].description == "The shipment has been collected at the service point"


def test_an_unknown_tracking_number_has_no_events(
    adapter: DhlAdapter, sandboxed: AgreementCredentials
) -> None:
    assert adapter.track(agreement=sandboxed, tracking_number="000000000000000000") == []


def test_tracking_failures_are_mapped(
    adapter: DhlAdapter, sandboxed: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("dhl", status=503)
    with pytest.raises(CarrierUnavailable):
        adapter.track(agreement=sandboxed, tracking_number="1")
    assert sandbox.requests("dhl") == 2  # a tracking GET is retried once

    sandbox.fault("dhl", malformed=True)
    with pytest.raises(CarrierResponseInvalid):
        adapter.track(agreement=sandboxed, tracking_number="1")


# --- secrets never reach the traces -----------------------------------------------------------


@pytest.mark.django_db
def test_credentials_never_reach_the_stored_traces(adapter: DhlAdapter, sandbox: Sandbox) -> None:
    merchant = MerchantFactory.create()
    row = CarrierAgreementFactory.create(merchant=merchant, carrier="dhl")
    traced = agreement(sandbox.url("dhl"), merchant_id=merchant.pk, agreement_id=row.pk)

    adapter.quote(request=quote_request(traced, pickup(), home()))
    adapter.quote(request=quote_request(traced, pickup("109"), country="DE"))
    booking = adapter.book(request=booking_request(traced))
    adapter.track(agreement=traced, tracking_number=booking.carrier_shipment_id)

    traces = list(CarrierTrace.objects.order_by("id"))
    assert {(t.merchant_id, t.agreement_id) for t in traces} == {(merchant.pk, row.pk)}
    # The first quote's two calls go out together: their traces come in the order they finished.
    assert sorted(t.operation for t in traces[:2]) == ["availability", "service_points"]
    assert [t.operation for t in traces[2:]] == [
        "service_points",
        "booking",
        "label",
        "tracking",
    ]
    for trace in traces:
        stored = f"{trace.url} {trace.request_headers} {trace.request_body} {trace.response_body}"
        assert CLIENT_KEY not in stored
        assert API_KEY not in stored
    farm, finder = traces[0].request_headers, traces[2].request_headers
    assert farm["client-key"] == "[redacted]"
    assert finder["DHL-API-Key"] == "[redacted]"
    assert traces[5].request_headers["DHL-API-Key"] == "[redacted]"
