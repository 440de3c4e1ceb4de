"""BudbeeAdapter against the carrier sandbox: quotes, cache, failures, booking, tracking."""

from __future__ import annotations

import base64
import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pytest_django import Settings

from carriers.budbee import BudbeeAdapter, mappers
from carriers.exceptions import (
    CarrierError,
    CarrierRejected,
    CarrierResponseInvalid,
    CarrierUnavailable,
    OperationNotSupported,
)
from carriers.models import CarrierTrace
from carriers.sandbox.budbee import webhook_events
from carriers.traces import trace_flush
from carriers.types import (
    AddonChoice,
    Address,
    AgreementCredentials,
    BookingRequest,
    CarrierMessage,
    Contact,
    LocationKind,
    Parcel,
    ProductKind,
    ProductQuery,
    QuoteRequest,
    TrackingStatus,
)
from tests.carriers.labels import drawn_lines
from tests.conftest import Sandbox
from tests.factories import MerchantFactory

API_KEY = "bb-key-7f3a9c"
API_SECRET = "bb-secret-52d1e8f0"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOME = ProductQuery("home", ProductKind.HOME, wants_timeslots=True)
BOX = ProductQuery("DLVBOX", ProductKind.LOCKER, wants_locations=True)


def _agreement(sandbox: Sandbox, **changes: Any) -> AgreementCredentials:
    fields: dict[str, Any] = {
        "agreement_id": 11,
        "customer_number": "1234",
        "credentials": {"api_key": API_KEY, "api_secret": API_SECRET},
        "base_url": sandbox.url("budbee"),
    }
    fields.update(changes)
    return AgreementCredentials(**fields)


def _quote_request(
    agreement: AgreementCredentials,
    *products: ProductQuery,
    country: str = "SE",
    postal_code: str = "111 51",
    max_locations: int = 3,
) -> QuoteRequest:
    return QuoteRequest(
        merchant_ref="shop-1",
        agreement=agreement,
        products=products or (HOME, BOX),
        recipient=Address(country=country, postal_code=postal_code, city="Stockholm"),
        parcels=(Parcel(weight_g=1200),),
        currency="SEK",
        now=dt.datetime.now(dt.UTC),
        max_locations=max_locations,
    )


def _booking_request(agreement: AgreementCredentials, **changes: Any) -> BookingRequest:
    fields: dict[str, Any] = {
        "reference": "shp_budbee_1",
        "agreement": agreement,
        "product": "home",
        "kind": ProductKind.HOME,
        "sender": Contact(name="Shop AB"),
        "sender_address": Address(country="SE", postal_code="12030", city="Stockholm"),
        "recipient": Contact(name="Anna Andersson", phone="+46701234567", email="anna@example.com"),
        "recipient_address": Address(
            country="SE", postal_code="11151", city="Stockholm", street_address="Drottninggatan 12"
        ),
        "parcels": (Parcel(weight_g=1200, length_mm=300, width_mm=200, height_mm=100),),
        "addons": (AddonChoice(type="entry-code", text="1234"),),
    }
    fields.update(changes)
    return BookingRequest(**fields)


# --- quotes -----------------------------------------------------------------------------


def test_home_quote_offers_the_next_delivery_intervals(sandbox: Sandbox) -> None:
    # given a served Stockholm postal code
    request = _quote_request(_agreement(sandbox), HOME)

    # when
    (quote,) = BudbeeAdapter().quote(request=request)

    # then: five evening windows on the next business days, stable ids, the first as estimate
    assert quote.available
    assert len(quote.timeslots) == 5
    for slot in quote.timeslots:
        local_start, local_end = slot.start.astimezone(STOCKHOLM), slot.end.astimezone(STOCKHOLM)
        assert (local_start.time(), local_end.time()) == (dt.time(17), dt.time(22))
        assert local_start.weekday() < 5
        assert slot.id == f"{int(slot.start.timestamp() * 1000)}-{int(slot.end.timestamp() * 1000)}"
        assert slot.cutoff is not None and slot.cutoff.astimezone(STOCKHOLM).time() == dt.time(10)
        assert slot.extra["collection_point_ids"] == "1001"
    today = request.now.astimezone(STOCKHOLM).date()
    assert quote.timeslots[0].start.astimezone(STOCKHOLM).date() > today
    assert quote.delivery is not None and quote.delivery.earliest_days == 1
    assert quote.extra == {"collection_point_ids": "1001"}
    assert BudbeeAdapter().quote(request=request)[0].timeslots == quote.timeslots


def test_home_availability_alone_asks_only_postalcodes_validate(sandbox: Sandbox) -> None:
    request = _quote_request(_agreement(sandbox), ProductQuery("home", ProductKind.HOME))

    (quote,) = BudbeeAdapter().quote(request=request)

    assert (quote.available, quote.timeslots) == (True, ())
    assert sandbox.requests("budbee") == 1


def test_box_quote_lists_nearest_lockers_first(sandbox: Sandbox) -> None:
    request = _quote_request(_agreement(sandbox), BOX, max_locations=4)

    (quote,) = BudbeeAdapter().quote(request=request)

    assert quote.available
    assert len(quote.locations) == 4
    distances = [loc.distance_m or 0 for loc in quote.locations]
    assert distances == sorted(distances)
    for locker in quote.locations:
        assert locker.kind is LocationKind.LOCKER
        assert locker.id.startswith("BOX")
        assert locker.name.startswith("Budbee Box ")
        assert (locker.address.country, locker.address.postal_code) == ("SE", "11151")
        assert locker.address.city == "Stockholm"
        assert locker.coordinates is not None
        assert len(locker.opening_hours) == 7
    assert quote.delivery is not None and quote.delivery.earliest_days in (1, 2, 3)
    again = BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), BOX, max_locations=4))
    assert [loc.id for loc in again[0].locations] == [loc.id for loc in quote.locations]


def test_postal_code_budbee_does_not_serve_at_home_still_has_lockers(sandbox: Sandbox) -> None:
    # given a northern Swedish postal code: no home delivery there, Budbee Boxes yes
    request = _quote_request(_agreement(sandbox), HOME, BOX, postal_code="981 38")

    home, box = BudbeeAdapter().quote(request=request)

    assert (home.available, home.reason) == (False, "Budbee does not deliver to SE 98138")
    assert home.timeslots == ()
    assert box.available and box.locations


def test_unserved_country_is_unavailable_without_a_carrier_call(sandbox: Sandbox) -> None:
    request = _quote_request(_agreement(sandbox), HOME, BOX, country="DE", postal_code="10115")

    quotes = BudbeeAdapter().quote(request=request)

    assert [(q.available, q.reason) for q in quotes] == [
        (False, "country not served"),
        (False, "country not served"),
    ]
    assert sandbox.requests("budbee") == 0


def test_preview_without_postal_code_makes_no_call(sandbox: Sandbox) -> None:
    request = _quote_request(_agreement(sandbox), HOME, BOX, postal_code="")

    quotes = BudbeeAdapter().quote(request=request)

    assert [(q.product, q.available, q.locations, q.timeslots) for q in quotes] == [
        ("home", True, (), ()),
        ("DLVBOX", True, (), ()),
    ]
    assert quotes[0].delivery is not None and quotes[0].delivery.earliest_days == 1
    assert sandbox.requests("budbee") == 0


def test_unknown_product_and_wrong_kind_are_unavailable(sandbox: Sandbox) -> None:
    request = _quote_request(
        _agreement(sandbox),
        ProductQuery("SAMEDAY", ProductKind.HOME),
        ProductQuery("DLVBOX", ProductKind.PICKUP_POINT, wants_locations=True),
        ProductQuery("home", ProductKind.LOCKER),
    )

    quotes = BudbeeAdapter().quote(request=request)

    assert [(q.product, q.available, q.reason) for q in quotes] == [
        ("SAMEDAY", False, "unknown product"),
        ("DLVBOX", False, "product does not deliver to pickup_point"),
        ("home", False, "product does not deliver to locker"),
    ]
    assert sandbox.requests("budbee") == 0


def test_a_second_identical_quote_is_answered_from_the_cache(sandbox: Sandbox) -> None:
    adapter = BudbeeAdapter()
    first = adapter.quote(request=_quote_request(_agreement(sandbox)))
    calls = sandbox.requests("budbee")
    assert calls == 3  # postalcodes/validate, intervals, boxes

    second = adapter.quote(request=_quote_request(_agreement(sandbox), postal_code="11151"))

    assert sandbox.requests("budbee") == calls
    assert second == first


def test_the_cache_is_per_agreement(sandbox: Sandbox) -> None:
    BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), BOX))

    BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox, agreement_id=12), BOX))

    assert sandbox.requests("budbee") == 2


# --- calls made together ---------------------------------------------------------------


def test_lockers_are_asked_while_the_intervals_are_still_pending(
    sandbox: Sandbox, settings: Settings
) -> None:
    # given Budbee never answering the intervals of a served postal code
    settings.CARRIER_READ_TIMEOUT = 0.5
    sandbox.fault("budbee", hang=True, path="/intervals")

    # when quoting home and box
    with pytest.raises(CarrierUnavailable, match="timeout"):
        BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), HOME, BOX))

    # then the boxes were asked too, which one call after another never reaches
    assert sandbox.requests("budbee") == 3  # postalcodes/validate, intervals, boxes


def test_intervals_go_out_with_the_postal_code_check(sandbox: Sandbox, settings: Settings) -> None:
    # given Budbee never answering postalcodes/validate (and boxes, whose path holds it)
    settings.CARRIER_READ_TIMEOUT = 0.5
    sandbox.fault("budbee", hang=True, path="/postalcodes/validate")

    with pytest.raises(CarrierUnavailable, match="timeout"):
        BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), HOME))

    # then the intervals were asked without waiting for the check's answer
    assert sandbox.requests("budbee") == 2


def test_intervals_of_a_postal_code_budbee_does_not_serve_are_not_read(sandbox: Sandbox) -> None:
    # given intervals failing, at a postal code where Budbee has no home delivery
    sandbox.fault("budbee", status=503, path="/intervals")
    request = _quote_request(_agreement(sandbox), HOME, BOX, postal_code="981 38")

    home, box = BudbeeAdapter().quote(request=request)

    # then the quote is what it was when the intervals were not asked at all
    assert (home.available, home.reason) == (False, "Budbee does not deliver to SE 98138")
    assert box.available and box.locations
    assert sandbox.requests("budbee") == 3


@pytest.mark.parametrize(
    ("products", "raised"),
    [((HOME, BOX), CarrierRejected), ((BOX, HOME), CarrierUnavailable)],
    ids=["home-first", "box-first"],
)
def test_the_error_raised_is_the_first_the_products_meet_in_order(
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    products: tuple[ProductQuery, ...],
    raised: type[Exception],
) -> None:
    # given intervals refused and boxes unavailable (the postal code check answers)
    adapter = BudbeeAdapter()

    def intervals(*args: Any, **kwargs: Any) -> Any:
        raise CarrierRejected("intervals refused", carrier="budbee")

    def lockers(*args: Any, **kwargs: Any) -> Any:
        raise CarrierUnavailable("boxes unavailable", carrier="budbee")

    monkeypatch.setattr(adapter.client, "intervals", intervals)
    monkeypatch.setattr(adapter.client, "lockers", lockers)

    # then the error is the one asking in the products' order meets first
    with pytest.raises(CarrierError) as error:
        adapter.quote(request=_quote_request(_agreement(sandbox), *products))
    assert type(error.value) is raised


# --- failures ---------------------------------------------------------------------------


def test_a_5xx_makes_budbee_unavailable(sandbox: Sandbox) -> None:
    sandbox.fault("budbee", status=503)

    with pytest.raises(CarrierUnavailable) as raised:
        BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox)))

    assert raised.value.messages == (CarrierMessage("503", "Injected fault: HTTP 503"),)


def test_a_429_carries_retry_after(sandbox: Sandbox) -> None:
    sandbox.fault("budbee", status=429)

    with pytest.raises(CarrierUnavailable) as raised:
        BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), BOX))

    assert raised.value.retry_after == 1.0


def test_a_hanging_budbee_times_out_quickly(sandbox: Sandbox, settings: Settings) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.3
    sandbox.fault("budbee", hang=True)
    started = time.monotonic()

    with pytest.raises(CarrierUnavailable, match="timeout"):
        BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), HOME))

    assert time.monotonic() - started < 2


def test_a_malformed_answer_is_invalid(sandbox: Sandbox) -> None:
    sandbox.fault("budbee", malformed=True)

    with pytest.raises(CarrierResponseInvalid):
        BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), BOX))


def test_failures_are_not_cached(sandbox: Sandbox) -> None:
    sandbox.fault("budbee", status=503, times=1)
    with pytest.raises(CarrierUnavailable):
        BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), BOX))

    (quote,) = BudbeeAdapter().quote(request=_quote_request(_agreement(sandbox), BOX))

    assert quote.available


def test_wrong_credentials_are_rejected_with_budbees_message(sandbox: Sandbox) -> None:
    agreement = _agreement(sandbox, credentials={"api_key": API_KEY, "api_secret": ""})

    with pytest.raises(CarrierRejected) as raised:
        BudbeeAdapter().quote(request=_quote_request(agreement, BOX))

    assert raised.value.messages[0].code == "credentials"
    assert sandbox.requests("budbee") == 0


def test_a_refused_basic_auth_is_rejected_verbatim(sandbox: Sandbox) -> None:
    # a malformed API key (the Basic user part comes out empty) reaches Budbee, which refuses it
    agreement = _agreement(sandbox, credentials={"api_key": ":bad-key", "api_secret": API_SECRET})

    with pytest.raises(CarrierRejected) as raised:
        BudbeeAdapter().quote(request=_quote_request(agreement, BOX))

    assert raised.value.messages == (
        CarrierMessage("401", "Unauthorized: API key and secret required"),
    )


@pytest.mark.django_db
def test_credentials_never_reach_the_trace(sandbox: Sandbox) -> None:
    # given an agreement of a real merchant, so that its calls are traced
    agreement = _agreement(sandbox, merchant_id=MerchantFactory.create().pk, agreement_id=0)

    # when quoting and booking
    adapter = BudbeeAdapter()
    adapter.quote(request=_quote_request(agreement))
    # The quote's three calls ran together on the quote-call pool; outside the checkout's
    # fan-out their traces are written as soon as the calls are done.
    assert CarrierTrace.objects.count() == 3
    assert trace_flush() == 0
    adapter.book(request=_booking_request(agreement))

    # then no trace holds the key, the secret or the Basic token
    basic = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    traces = list(CarrierTrace.objects.all())
    assert {t.operation for t in traces} >= {
        "availability",
        "timeslots",
        "service_points",
        "booking",
        "booking_parcels",
        "tracking_url",
        "label",
    }
    for trace in traces:
        stored = f"{trace.url} {trace.request_headers} {trace.request_body} {trace.response_body}"
        for secret in (API_KEY, API_SECRET, basic):
            assert secret not in stored
    assert all(
        t.request_headers["Authorization"] == "[redacted]" for t in traces if t.operation != "label"
    )
    assert all("Authorization" not in t.request_headers for t in traces if t.operation == "label")


# --- booking ----------------------------------------------------------------------------


def test_home_booking_makes_order_and_parcels_and_returns_pdf_labels(sandbox: Sandbox) -> None:
    # given the second interval Budbee offered
    agreement = _agreement(sandbox)
    (quote,) = BudbeeAdapter().quote(request=_quote_request(agreement, HOME))
    chosen = quote.timeslots[1]
    request = _booking_request(
        agreement,
        timeslot=chosen,
        parcels=(
            Parcel(weight_g=1200),
            Parcel(weight_g=800, length_mm=200, width_mm=150, height_mm=90),
        ),
    )

    # when
    booking = BudbeeAdapter().book(request=request)

    # then one order with one tracking number and one PDF label per parcel
    assert booking.carrier_shipment_id.isdigit()
    assert len(booking.tracking_numbers) == 2
    assert len(set(booking.tracking_numbers)) == 2
    assert [label.content[:5] for label in booking.labels] == [b"%PDF-", b"%PDF-"]
    assert all("X-Budbee-Signature=" in label.url for label in booking.labels)
    assert booking.tracking_url == f"https://tracking.budbee.com/{booking.extra['token']}"
    assert booking.extra["product"] == "home"
    assert sandbox.bookings("budbee") == {"shp_budbee_1": 1}
    # and Budbee's webhooks say it delivers in the chosen window
    events = mappers.parse_tracking(webhook_events(booking.tracking_numbers[0]))
    delivered = events[-1]
    assert delivered.carrier_code == "DELIVERED_TO_CONSUMER"
    assert chosen.start <= delivered.at <= chosen.end


def test_box_booking_goes_to_the_chosen_locker(sandbox: Sandbox) -> None:
    agreement = _agreement(sandbox)
    (quote,) = BudbeeAdapter().quote(request=_quote_request(agreement, BOX))
    locker = quote.locations[1]
    request = _booking_request(
        agreement, reference="shp_box_1", product="DLVBOX", kind=ProductKind.LOCKER, location=locker
    )

    booking = BudbeeAdapter().book(request=request)

    assert booking.extra["product"] == "DLVBOX"
    assert booking.labels[0].content.startswith(b"%PDF-")
    drawn = drawn_lines(booking.labels[0].content)
    assert drawn[:5] == ["Budbee", "TO", "Anna Andersson", "Drottninggatan 12", "11151 Stockholm"]
    assert sandbox.bookings("budbee") == {"shp_box_1": 1}
    events = mappers.parse_tracking(webhook_events(booking.tracking_numbers[0]))
    assert [(e.carrier_code, e.status) for e in events] == [
        ("PARCEL_CREATED", TrackingStatus.PENDING),
        ("SORTED_AT_TERMINAL", TrackingStatus.IN_TRANSIT),
        ("DELIVERY_VEHICLE_LOADED", TrackingStatus.OUT_FOR_DELIVERY),
        ("DELIVERED_TO_LOCKER", TrackingStatus.READY_FOR_PICKUP),
        ("CONSUMER_PICKED_UP_FROM_LOCKER", TrackingStatus.DELIVERED),
    ]
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_find_booking_finds_the_order_by_our_reference(sandbox: Sandbox) -> None:
    agreement = _agreement(sandbox)
    booking = BudbeeAdapter().book(request=_booking_request(agreement))

    found = BudbeeAdapter().find_booking(agreement=agreement, reference="shp_budbee_1")

    assert found == booking
    assert BudbeeAdapter().find_booking(agreement=agreement, reference="shp_budbee") is None


def test_cancel_deletes_the_order(sandbox: Sandbox) -> None:
    agreement = _agreement(sandbox)
    adapter = BudbeeAdapter()
    booking = adapter.book(request=_booking_request(agreement))

    adapter.cancel(agreement=agreement, booking=booking)

    assert adapter.find_booking(agreement=agreement, reference="shp_budbee_1") is None
    events = mappers.parse_tracking(webhook_events(booking.tracking_numbers[0]))
    assert [(e.carrier_code, e.status) for e in events] == [
        ("PARCEL_CREATED", TrackingStatus.PENDING),
        ("DELIVERY_CANCELLED", TrackingStatus.DELIVERY_FAILED),
    ]
    with pytest.raises(CarrierRejected) as raised:
        adapter.cancel(agreement=agreement, booking=booking)
    assert raised.value.messages == (
        CarrierMessage("404", f"Order {booking.carrier_shipment_id} not found"),
    )


def test_failed_parcels_step_cancels_the_order_and_raises(sandbox: Sandbox) -> None:
    # given Budbee failing only on adding parcels
    agreement = _agreement(sandbox)
    sandbox.fault("budbee", status=503, path="/parcels")

    with pytest.raises(CarrierUnavailable):
        BudbeeAdapter().book(request=_booking_request(agreement))

    # then the order was made once, and cancelled: nothing half-booked is found, and the
    # sandbox counts no live booking for the reference
    sandbox.clear_faults()
    assert sandbox.requests("budbee") >= 3  # lookup, order, parcels (then the cancel)
    assert sandbox.bookings("budbee") == {}
    assert BudbeeAdapter().find_booking(agreement=agreement, reference="shp_budbee_1") is None


def test_a_booking_budbee_refuses_keeps_its_message_and_books_nothing(sandbox: Sandbox) -> None:
    request = _booking_request(
        _agreement(sandbox), recipient=Contact(name="Anna Andersson", phone="", email="a@b.se")
    )

    with pytest.raises(CarrierRejected) as raised:
        BudbeeAdapter().book(request=request)

    assert raised.value.messages == (
        CarrierMessage("400", "Missing required field: delivery.telephoneNumber"),
    )
    assert sandbox.bookings("budbee") == {}


def test_a_booking_whose_reference_lookup_fails_sends_no_order(sandbox: Sandbox) -> None:
    # the lookup by reference (a GET, asked twice) fails: no order is posted blind
    sandbox.fault("budbee", status=503, times=2)

    with pytest.raises(CarrierUnavailable):
        BudbeeAdapter().book(request=_booking_request(_agreement(sandbox)))

    assert sandbox.requests("budbee") == 2
    assert sandbox.bookings("budbee") == {}


def test_booking_again_completes_the_order_an_earlier_attempt_left_without_parcels(
    sandbox: Sandbox,
) -> None:
    # given an order whose parcels never came (the answer to the order POST was lost)
    agreement = _agreement(sandbox)
    request = _booking_request(agreement)
    sandbox.fault("budbee", status=503, path="/parcels", times=1)
    adapter = BudbeeAdapter()
    adapter._cancel_quietly = lambda agreement, order_id: None  # type: ignore[method-assign]
    with pytest.raises(CarrierUnavailable):
        adapter.book(request=request)

    # when booking again with the same reference
    booking = BudbeeAdapter().book(request=request)

    # then that order gets its parcels: one order for the reference
    assert booking.tracking_numbers
    assert sandbox.bookings("budbee") == {request.reference: 1}


def test_an_order_cancelled_after_its_parcels_failed_and_made_again_counts_once(
    sandbox: Sandbox,
) -> None:
    # given a first attempt whose parcels step failed: its order was cancelled
    request = _booking_request(_agreement(sandbox))
    sandbox.fault("budbee", status=503, path="/parcels", times=1)
    with pytest.raises(CarrierUnavailable):
        BudbeeAdapter().book(request=request)
    assert sandbox.bookings("budbee") == {}  # the cancelled order is no booking

    # when the next attempt books the reference
    booking = BudbeeAdapter().book(request=request)

    # then Budbee holds one live order for it
    assert booking.tracking_numbers
    assert sandbox.bookings("budbee") == {request.reference: 1}


def test_booking_twice_with_one_reference_returns_the_first_booking(sandbox: Sandbox) -> None:
    request = _booking_request(_agreement(sandbox))

    first = BudbeeAdapter().book(request=request)
    second = BudbeeAdapter().book(request=request)

    assert second.carrier_shipment_id == first.carrier_shipment_id
    assert sandbox.bookings("budbee") == {request.reference: 1}


def test_booking_needs_the_collection_point_id(sandbox: Sandbox) -> None:
    agreement = _agreement(sandbox, customer_number="Lager 1")

    with pytest.raises(CarrierRejected) as raised:
        BudbeeAdapter().book(request=_booking_request(agreement))

    assert raised.value.messages[0].code == "collectionId"
    assert sandbox.requests("budbee") == 0


def test_booking_a_product_as_the_wrong_kind_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(CarrierRejected):
        BudbeeAdapter().book(
            request=_booking_request(_agreement(sandbox), product="DLVBOX", kind=ProductKind.HOME)
        )

    assert sandbox.requests("budbee") == 0


def test_tracking_is_not_offered_and_asks_nothing(sandbox: Sandbox) -> None:
    # Budbee documents no API answering a parcel's events: it pushes webhooks instead
    with pytest.raises(OperationNotSupported, match="webhooks"):
        BudbeeAdapter().track(agreement=_agreement(sandbox), tracking_number="373500001")

    assert sandbox.requests("budbee") == 0


def test_the_booking_carries_the_documented_tracking_url(sandbox: Sandbox) -> None:
    agreement = _agreement(sandbox)
    booking = BudbeeAdapter().book(request=_booking_request(agreement))

    assert booking.tracking_url == f"https://tracking.budbee.com/{booking.extra['token']}"
