"""BringAdapter against the carrier sandbox: quotes, cache, failures, booking, tracking, traces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
import requests

from carriers.base import Capability
from carriers.bring import BringAdapter, mappers
from carriers.exceptions import (
    CarrierRejected,
    CarrierResponseInvalid,
    CarrierUnavailable,
    OperationNotSupported,
)
from carriers.models import CarrierTrace
from carriers.sandbox.core import ledger
from carriers.static import BringStaticAdapter
from carriers.types import (
    Address,
    Booking,
    CarrierMessage,
    DeliveryEstimate,
    LocationKind,
    Money,
    Parcel,
    ProductKind,
    ProductQuery,
    Quote,
    TrackingStatus,
)
from tests.carriers.labels import drawn_lines
from tests.conftest import Sandbox
from tests.factories import CarrierAgreementFactory, MerchantFactory

from .conftest import (
    API_KEY,
    API_UID,
    CLIENT_URL,
    CREDENTIALS,
    EVENING,
    HOME,
    LOCKER,
    MAILBOX,
    PICKUP_POINT,
    agreement,
    booking_request,
    quote_request,
)

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def bring() -> BringAdapter:
    return BringAdapter()


# --- quotes ---------------------------------------------------------------------------------


def test_quote_answers_every_product_with_prices_estimates_points_and_slots(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = quote_request(agreement(sandbox.url("bring")), PICKUP_POINT, LOCKER, HOME, MAILBOX)

    pickup, locker, home, mailbox = bring.quote(request=request)

    # Thursday 16:00 in Oslo is past the sandbox's cut-off: handed in Friday, delivered Tuesday.
    tuesday = DeliveryEstimate(earliest_days=3, latest_days=3)
    assert (pickup.product, pickup.available, pickup.price, pickup.delivery) == (
        "5800",
        True,
        Money(11156, "NOK"),
        tuesday,
    )
    assert pickup.extra == {"price_source": "net"}
    assert [p.kind for p in pickup.locations] == [LocationKind.SERVICE_POINT] * 3
    assert [p.kind for p in locker.locations] == [LocationKind.LOCKER] * 3
    assert locker.price == Money(11156, "NOK")
    assert (home.price, home.delivery) == (
        Money(16681, "NOK"),
        DeliveryEstimate(3, 3, None, dt.time(15, 0), dt.time(22, 0)),
    )
    assert [slot.id for slot in home.timeslots] == [
        f"2026-12-{day:02d}T15:00-22:00" for day in (1, 2, 3, 4, 7, 8)
    ]
    assert home.timeslots[0].start == dt.datetime(2026, 12, 1, 15, 0, tzinfo=OSLO)
    assert home.timeslots[0].end == dt.datetime(2026, 12, 1, 22, 0, tzinfo=OSLO)
    assert home.locations == ()
    assert mailbox == Quote(
        product="3584", available=True, price=Money(6269, "NOK"), delivery=tuesday
    )


def test_locations_are_brings_points_for_the_postal_code_nearest_first(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = quote_request(agreement(sandbox.url("bring")), LOCKER, max_locations=4)

    (quote,) = bring.quote(request=request)

    static = BringStaticAdapter().quote(
        request=dataclasses.replace(
            request, recipient=Address(country="NO", postal_code="0150", city="OSLO")
        )
    )[0]
    assert [
        (
            p.name,
            p.address.street_address,
            p.address.city,
            p.coordinates,
            p.distance_m,
            p.opening_hours,
        )
        for p in quote.locations
    ] == [
        (
            s.name,
            s.address.street_address.upper(),
            "OSLO",
            s.coordinates,
            round(s.distance_m or 0, -2),
            s.opening_hours,
        )
        for s in static.locations
    ]
    assert all(re.fullmatch(r"\d{6}", p.id) for p in quote.locations)
    assert [p.extra for p in quote.locations] == [{"type": "37", "country": "NO"}] * 4


def test_a_second_identical_quote_makes_no_carrier_call(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = quote_request(agreement(sandbox.url("bring")), PICKUP_POINT, LOCKER, HOME)
    first = bring.quote(request=request)
    calls = sandbox.requests("bring")

    second = bring.quote(request=request)

    # One Shipping Guide call and one Pickup Point search per kind (the search filters by
    # pickupPointType in Norway too).
    assert calls == 3
    assert sandbox.requests("bring") == calls
    assert second == first
    assert [q.locations for q in second] == [q.locations for q in first]


def test_products_bring_does_not_serve_here_are_unavailable_without_a_call(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    credentials = agreement(sandbox.url("bring"))
    sweden = quote_request(credentials, PICKUP_POINT, country="SE", postal_code="11151")
    germany = quote_request(credentials, HOME, country="DE", postal_code="10115")
    odd = quote_request(
        credentials,
        ProductQuery("9999", ProductKind.HOME),
        ProductQuery("5600", ProductKind.LOCKER),
        ProductQuery("3584", ProductKind.PICKUP_POINT),
    )

    assert bring.quote(request=sweden) == [
        Quote(product="5800", available=False, reason="country not served")
    ]
    assert bring.quote(request=germany) == [
        Quote(product="5600", available=False, reason="country not served")
    ]
    assert bring.quote(request=odd) == [
        Quote(product="9999", available=False, reason="unknown product"),
        Quote(product="5600", available=False, reason="product does not deliver to locker"),
        Quote(product="3584", available=False, reason="product does not deliver to pickup_point"),
    ]
    assert sandbox.requests("bring") == 0


def test_a_preview_without_postal_code_is_available_and_asks_nothing(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = quote_request(agreement(sandbox.url("bring")), PICKUP_POINT, HOME, postal_code="")

    assert bring.quote(request=request) == [
        Quote(product="5800", available=True, delivery=DeliveryEstimate(1, 3)),
        Quote(product="5600", available=True, delivery=DeliveryEstimate(1, 2)),
    ]
    assert sandbox.requests("bring") == 0


def test_a_product_the_shipping_guide_leaves_out_is_unavailable(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = dataclasses.replace(
        quote_request(agreement(sandbox.url("bring")), MAILBOX, PICKUP_POINT),
        parcels=(Parcel(weight_g=6000, length_mm=400, width_mm=300, height_mm=200),),
    )

    mailbox, pickup = bring.quote(request=request)

    assert mailbox == Quote(
        product="3584",
        available=False,
        reason="Bring's Shipping Guide offers no such product for this shipment",
    )
    assert pickup.available
    assert pickup.price == Money(13706, "NOK")  # 6 kg: 99 + 5 * 6 NOK, less 15 %, plus VAT


def test_home_without_timeslots_gets_none(sandbox: Sandbox, bring: BringAdapter) -> None:
    request = quote_request(agreement(sandbox.url("bring")), ProductQuery("5600", ProductKind.HOME))

    (home,) = bring.quote(request=request)

    assert home.available and home.timeslots == ()
    assert home.delivery == DeliveryEstimate(3, 3, None, dt.time(15, 0), dt.time(22, 0))


def test_without_a_customer_number_the_list_price_applies(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    credentials = dataclasses.replace(agreement(sandbox.url("bring")), customer_number="")

    (quote,) = bring.quote(request=quote_request(credentials, MAILBOX))

    assert (quote.price, quote.extra) == (Money(7375, "NOK"), {"price_source": "list"})


def test_outside_norway_the_pickup_point_api_filters_by_type(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    credentials = agreement(sandbox.url("bring"))

    data = bring.client.pickup_points(
        base_url=bring.base_url(credentials),
        agreement=credentials,
        country="SE",
        postal_code="11151",
        params=mappers.service_points_request(country="SE", kind=LocationKind.LOCKER, limit=4),
    )

    points = mappers.parse_service_points(data)
    assert [(p.kind, p.extra["type"]) for p in points] == [(LocationKind.LOCKER, "39")] * 4
    assert [p.distance_m for p in points] == sorted(p.distance_m or 0 for p in points)


# --- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_unavailable(sandbox: Sandbox, bring: BringAdapter, status: int) -> None:
    sandbox.fault("bring", status=status)

    with pytest.raises(CarrierUnavailable) as raised:
        bring.quote(request=quote_request(agreement(sandbox.url("bring")), PICKUP_POINT))

    assert raised.value.messages == (CarrierMessage(str(status), f"Injected fault: HTTP {status}"),)


def test_a_429_is_unavailable_with_retry_after(sandbox: Sandbox, bring: BringAdapter) -> None:
    sandbox.fault("bring", status=429)

    with pytest.raises(CarrierUnavailable) as raised:
        bring.quote(request=quote_request(agreement(sandbox.url("bring")), HOME))

    assert raised.value.retry_after == 1.0


def test_a_hanging_bring_is_unavailable_within_the_read_timeout(
    sandbox: Sandbox, bring: BringAdapter, settings: object
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.3  # type: ignore[attr-defined]
    sandbox.fault("bring", hang=True)
    started = time.monotonic()

    with pytest.raises(CarrierUnavailable):
        bring.quote(request=quote_request(agreement(sandbox.url("bring")), HOME))

    assert time.monotonic() - started < 2


def test_the_pickup_point_search_goes_out_together_with_the_shipping_guide(
    sandbox: Sandbox, bring: BringAdapter, settings: object
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.5  # type: ignore[attr-defined]
    sandbox.fault("bring", hang=True, path="/shippingguide/")

    with pytest.raises(CarrierUnavailable, match="timeout"):
        bring.quote(request=quote_request(agreement(sandbox.url("bring")), PICKUP_POINT, HOME))

    # Asked one after the other, the Pickup Point API would never have been reached.
    assert sandbox.requests("bring") == 2


def test_a_failed_pickup_point_search_fails_a_quote_that_needs_its_points(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    sandbox.fault("bring", status=503, path="/pickuppoint/")

    with pytest.raises(CarrierUnavailable) as raised:
        bring.quote(request=quote_request(agreement(sandbox.url("bring")), HOME, PICKUP_POINT))

    assert raised.value.messages == (CarrierMessage("503", "Injected fault: HTTP 503"),)
    assert sandbox.requests("bring") == 2


def test_a_failed_pickup_point_search_no_offered_product_needs_is_ignored(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    sandbox.fault("bring", status=503, path="/pickuppoint/")
    too_heavy = dataclasses.replace(
        quote_request(agreement(sandbox.url("bring")), PICKUP_POINT, LOCKER),
        parcels=(Parcel(weight_g=40000, length_mm=400, width_mm=300, height_mm=200),),
    )

    unavailable = Quote(
        product="5800",
        available=False,
        reason="Bring's Shipping Guide offers no such product for this shipment",
    )
    assert bring.quote(request=too_heavy) == [unavailable, unavailable]
    assert sandbox.requests("bring") == 3  # the Shipping Guide and a search per kind


def test_a_shipping_guide_refusal_wins_over_points_that_answered(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    sandbox.fault("bring", status=400, path="/shippingguide/")

    with pytest.raises(CarrierRejected):
        bring.quote(request=quote_request(agreement(sandbox.url("bring")), PICKUP_POINT))

    assert sandbox.requests("bring") == 2


def test_a_malformed_answer_is_invalid(sandbox: Sandbox, bring: BringAdapter) -> None:
    sandbox.fault("bring", malformed=True)

    with pytest.raises(CarrierResponseInvalid):
        bring.quote(request=quote_request(agreement(sandbox.url("bring")), HOME))


def test_a_failed_quote_is_not_cached(sandbox: Sandbox, bring: BringAdapter) -> None:
    request = quote_request(agreement(sandbox.url("bring")), HOME)
    sandbox.fault("bring", status=503, times=1)
    with pytest.raises(CarrierUnavailable):
        bring.quote(request=request)

    (home,) = bring.quote(request=request)

    assert home.available


def test_refused_credentials_are_rejected_with_brings_text(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    credentials = dataclasses.replace(
        agreement(sandbox.url("bring")), credentials={"api_uid": API_UID}
    )

    with pytest.raises(CarrierRejected) as raised:
        bring.quote(request=quote_request(credentials, HOME))

    assert raised.value.messages == (
        CarrierMessage(
            "401",
            "Authentication failed: send X-Mybring-API-Uid, X-Mybring-API-Key and X-Bring-Client-URL",
        ),
    )


def test_a_shipping_guide_400_is_rejected_with_brings_field_errors(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    credentials = agreement(sandbox.url("bring"))
    body = mappers.availability_request(
        request=quote_request(credentials, HOME),
        products=["5600"],
        origin=Address(country="NO", postal_code="0150"),
        shipping_at=dt.datetime(2026, 11, 26, 16, 0, tzinfo=OSLO),
        alternative_dates=12,
    )

    with pytest.raises(CarrierRejected) as raised:
        bring.client.products(
            base_url=bring.base_url(credentials),
            agreement=credentials,
            body=body,
            operation="timeslots",
        )

    assert raised.value.messages == (
        CarrierMessage(
            "FG_INPUT_010", "Number of alternative delivery dates must be numeric and less than 10"
        ),
    )


# --- booking --------------------------------------------------------------------------------


def test_booking_returns_ids_tracking_numbers_and_a_pdf_label(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = dataclasses.replace(
        booking_request(agreement(sandbox.url("bring")), reference="shp_book_1"),
        parcels=(
            Parcel(weight_g=1500),
            Parcel(weight_g=2500, length_mm=400, width_mm=300, height_mm=200),
        ),
    )

    booking = bring.book(request=request)

    assert re.fullmatch(r"70438101\d{9}", booking.carrier_shipment_id)
    sequence = booking.carrier_shipment_id[-6:]
    assert booking.tracking_numbers == (f"370438101{sequence}001", f"370438101{sequence}002")
    assert booking.tracking_url == (
        f"https://sporing.bring.no/sporing.html?q={booking.carrier_shipment_id}"
    )
    (label,) = booking.labels
    assert label.content.startswith(b"%PDF-")
    drawn = drawn_lines(label.content)  # the text is on the page: carrier, recipient, tracking
    assert drawn[:5] == ["Bring", "TO", "Kari Nordmann", "Storgata 1", "0150 OSLO"]
    assert drawn[-1] == booking.carrier_shipment_id
    assert label.url.startswith(sandbox.url("bring") + "/labels/id/")
    assert booking.extra["correlation_id"] == "shp_book_1"
    assert sandbox.bookings("bring") == {"shp_book_1": 1}
    sent = ledger.find("bring", "shp_book_1")
    assert sent is not None and sent["testIndicator"] is True
    assert sent["consignment"]["parties"]["pickupPoint"] == {"id": "121524", "countryCode": "NO"}
    # 5800 notifies from the recipient's contact: the sms add-on sends no service.
    assert "additionalServices" not in sent["consignment"]["product"]
    assert sent["consignment"]["parties"]["recipient"]["contact"] == {
        "name": "Kari Nordmann",
        "email": "kari@example.no",
        "phoneNumber": "+4791234567",
    }


def test_booking_a_home_timeslot_sends_the_chosen_delivery_date_time(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = booking_request(
        agreement(sandbox.url("bring")),
        reference="shp_home_1",
        product="5600",
        kind=ProductKind.HOME,
        location=None,
        timeslot=EVENING,
    )

    booking = bring.book(request=request)

    assert booking.labels[0].content.startswith(b"%PDF-")
    sent = ledger.find("bring", "shp_home_1")
    assert sent is not None
    # Bring's home-delivery booking example: customerSpecifiedDeliveryDateTime, local time
    # with its offset; the sandbox refuses customerSpecifiedDelivery on 5600.
    assert sent["consignment"]["customerSpecifiedDeliveryDateTime"] == "2026-12-01T15:00:00+01:00"
    assert "customerSpecifiedDelivery" not in sent["consignment"]
    assert sent["consignment"]["product"]["additionalServices"] == [
        {"id": "EVARSLING", "email": "kari@example.no", "mobile": "+4791234567"}
    ]
    assert "pickupPoint" not in sent["consignment"]["parties"]


def test_errors_inside_a_200_booking_answer_are_rejected_verbatim_and_nothing_is_booked(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = booking_request(
        agreement(sandbox.url("bring")),
        reference="shp_se_1",
        recipient_address=Address(
            country="SE", postal_code="11151", city="Stockholm", street_address="Gatan 1"
        ),
    )

    with pytest.raises(CarrierRejected) as raised:
        bring.book(request=request)

    assert raised.value.messages == (
        CarrierMessage("BOOK-INPUT-022", "Illegal product for country SE"),
    )
    assert sandbox.bookings("bring") == {}


def test_a_booking_bring_refuses_with_a_400_is_rejected_verbatim(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    request = dataclasses.replace(
        booking_request(agreement(sandbox.url("bring")), reference="shp_empty_1"),
        parcels=(Parcel(weight_g=0),),
    )

    with pytest.raises(CarrierRejected) as raised:
        bring.book(request=request)

    assert raised.value.messages == (CarrierMessage("BOOK-INPUT-002", "Weight is required"),)
    assert sandbox.bookings("bring") == {}


def test_a_booking_is_sent_once_even_when_bring_fails(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    sandbox.fault("bring", status=503)

    with pytest.raises(CarrierUnavailable):
        bring.book(request=booking_request(agreement(sandbox.url("bring")), reference="shp_503"))

    assert sandbox.requests("bring") == 1
    assert sandbox.bookings("bring") == {}


def test_a_label_that_cannot_be_fetched_stays_a_link(sandbox: Sandbox, bring: BringAdapter) -> None:
    sandbox.fault("bring", status=503, path="/labels/")

    booking = bring.book(
        request=booking_request(agreement(sandbox.url("bring")), reference="shp_lbl")
    )

    (label,) = booking.labels
    assert label.content == b""
    assert label.url.startswith(sandbox.url("bring") + "/labels/id/")
    assert sandbox.bookings("bring") == {"shp_lbl": 1}


def test_find_booking_reconciles_by_our_reference(sandbox: Sandbox, bring: BringAdapter) -> None:
    credentials = agreement(sandbox.url("bring"))
    booking = bring.book(request=booking_request(credentials, reference="shp_find_1"))

    found = bring.find_booking(agreement=credentials, reference="shp_find_1")

    assert found is not None
    assert (found.carrier_shipment_id, found.tracking_numbers, found.tracking_url) == (
        booking.carrier_shipment_id,
        booking.tracking_numbers,
        booking.tracking_url,
    )
    assert bring.find_booking(agreement=credentials, reference="shp_never_booked") is None
    assert sandbox.bookings("bring") == {"shp_find_1": 1}


def test_cancel_is_not_offered(bring: BringAdapter) -> None:
    assert Capability.CANCEL not in bring.capabilities
    with pytest.raises(OperationNotSupported):
        bring.cancel(
            agreement=agreement(),
            booking=Booking(carrier_shipment_id="70438101268018539", tracking_numbers=()),
        )


# --- tracking -------------------------------------------------------------------------------


def test_a_parcel_just_booked_is_pre_notified(sandbox: Sandbox, bring: BringAdapter) -> None:
    credentials = agreement(sandbox.url("bring"))
    booking = bring.book(request=booking_request(credentials, reference="shp_track_1"))

    events = bring.track(agreement=credentials, tracking_number=booking.tracking_numbers[0])

    assert [(e.status, e.carrier_code, e.location) for e in events] == [
        (TrackingStatus.PENDING, "PRE_NOTIFIED", "")
    ]
    assert abs(events[0].at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_brings_test_number_tracks_to_delivered_oldest_first(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    events = bring.track(
        agreement=agreement(sandbox.url("bring")), tracking_number="TESTPACKAGEDELIVERED"
    )

    assert [(e.status, e.carrier_code) for e in events] == [
        (TrackingStatus.PENDING, "PRE_NOTIFIED"),
        (TrackingStatus.IN_TRANSIT, "HANDED_IN"),
        (TrackingStatus.OUT_FOR_DELIVERY, "TRANSPORT_TO_RECIPIENT"),
        (TrackingStatus.DELIVERED, "DELIVERED"),
    ]
    assert events[-1].at == dt.datetime(
        2026, 11, 24, 18, 47, 3, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert events[-1].location == "0659 OSLO, NO"


def test_an_unknown_tracking_number_is_rejected_with_brings_text(
    sandbox: Sandbox, bring: BringAdapter
) -> None:
    with pytest.raises(CarrierRejected) as raised:
        bring.track(agreement=agreement(sandbox.url("bring")), tracking_number="370000000000000001")

    assert raised.value.messages == (CarrierMessage("404", "No shipments found"),)


# --- hosts and traces -----------------------------------------------------------------------


def test_without_an_override_bring_is_called_on_api_bring_com(
    bring: BringAdapter, settings: object
) -> None:
    settings.CARRIER_BASE_URLS = {}  # type: ignore[attr-defined]
    settings.CARRIER_SANDBOX_URL = ""  # type: ignore[attr-defined]

    assert bring.base_url(agreement(test_mode=True)) == "https://api.bring.com"
    assert bring.base_url(agreement(test_mode=False)) == "https://api.bring.com"


def test_the_sandbox_refuses_calls_without_mybring_headers(sandbox: Sandbox) -> None:
    answer = requests.get(
        sandbox.url("bring") + "/pickuppoint/api/pickuppoint/NO/postalCode/0150.json", timeout=5
    )

    assert answer.status_code == 401
    assert answer.json()["errors"][0]["code"] == "401"


@pytest.mark.django_db
def test_credentials_never_reach_the_traces(sandbox: Sandbox, bring: BringAdapter) -> None:
    merchant = MerchantFactory.create()
    row = CarrierAgreementFactory.create(
        merchant=merchant, carrier="bring", credentials=CREDENTIALS
    )
    credentials = dataclasses.replace(
        agreement(sandbox.url("bring"), merchant_id=merchant.pk), agreement_id=row.pk
    )
    bring.quote(request=quote_request(credentials, PICKUP_POINT, HOME))
    booking = bring.book(request=booking_request(credentials, reference="shp_trace_1"))
    bring.track(agreement=credentials, tracking_number=booking.tracking_numbers[0])

    traces = list(CarrierTrace.objects.order_by("id"))

    # The quote's two calls go out together: their traces come in the order they finished.
    assert sorted(t.operation for t in traces[:2]) == ["service_points", "timeslots"]
    assert [t.operation for t in traces[2:]] == [
        "booking",
        "label",
        "label",
        "tracking",
    ]
    assert {t.carrier for t in traces} == {"bring"}
    for trace in traces:
        stored = " ".join(
            [trace.url, str(trace.request_headers), trace.request_body, trace.response_body]
        )
        for secret in (API_KEY, API_UID, CLIENT_URL):
            assert secret not in stored, (trace.operation, secret)
    assert traces[0].request_headers["X-Mybring-API-Key"] == "[redacted]"
    assert traces[0].request_headers["X-Mybring-API-Uid"] == "[redacted]"
    assert "X-Mybring-API-Key" not in traces[4].request_headers  # the redirect to storage
