"""The PostNord adapter against the carrier sandbox: quotes, cache, failures, traces,
booking, lookup, tracking and cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest

from carriers.exceptions import (
    CarrierRejected,
    CarrierResponseInvalid,
    CarrierUnavailable,
    OperationNotSupported,
)
from carriers.models import CarrierTrace
from carriers.postnord import PostNordAdapter, mappers
from carriers.traces import trace_flush
from carriers.types import (
    Address,
    AgreementCredentials,
    Booking,
    CarrierMessage,
    DeliveryEstimate,
    LocationKind,
    ProductKind,
    ProductQuery,
    TrackingStatus,
)
from tests.carriers.labels import drawn_lines
from tests.conftest import Sandbox
from tests.factories import CarrierAgreementFactory, MerchantFactory

from .conftest import API_KEY, booking_request, make_agreement, quote_request

PICKUP = ProductQuery("19", ProductKind.PICKUP_POINT, wants_locations=True)
LOCKER = ProductQuery("19", ProductKind.LOCKER, wants_locations=True)
HOME = ProductQuery("17", ProductKind.HOME)
VARUBREV = ProductQuery("11", ProductKind.MAILBOX)


# --- Quote -------------------------------------------------------------------------------------


def test_pickup_point_gets_manned_points_and_locker_gets_lockers(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    pickup, locker = adapter.quote(request=quote_request(agreement, PICKUP, LOCKER))

    assert (pickup.product, pickup.available, locker.available) == ("19", True, True)
    assert [(p.id, p.name, p.kind, p.distance_m) for p in pickup.locations] == [
        ("412018", "Pressbyrån Sveavägen", LocationKind.SERVICE_POINT, 1475),
        ("441486", "Pressbyrån Kungsgatan", LocationKind.SERVICE_POINT, 2241),
        ("178125", "Circle K Drottninggatan", LocationKind.SERVICE_POINT, 3404),
    ]
    assert [(p.id, p.kind, p.distance_m) for p in locker.locations] == [
        ("111782", LocationKind.LOCKER, 861),
        ("662678", LocationKind.LOCKER, 1722),
        ("745853", LocationKind.LOCKER, 2426),
    ]
    first = pickup.locations[0]
    assert first.address == Address(
        country="SE", postal_code="11151", city="STOCKHOLM", street_address="Sveavägen 71"
    )
    assert len(first.opening_hours) == 7
    assert first.extra["type_id"] == "25"
    assert locker.locations[0].extra["type_id"] == "2"
    assert pickup.delivery == DeliveryEstimate(1, 1)
    # One search per kind, one transit time call for both.
    assert sandbox.requests("postnord") == 3


def test_home_and_varubrev_carry_postnords_eta(
    adapter: PostNordAdapter, agreement: AgreementCredentials
) -> None:
    # Thursday 09:30 in Stockholm: MyPack Home arrives Friday, Varubrev on Monday.
    home, varubrev = adapter.quote(request=quote_request(agreement, HOME, VARUBREV))

    assert (home.available, home.locations, home.delivery) == (True, (), DeliveryEstimate(1, 1))
    assert (varubrev.available, varubrev.delivery) == (True, DeliveryEstimate(2, 2))
    assert home.price is None


def test_a_second_identical_quote_makes_no_carrier_call(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    first = adapter.quote(request=quote_request(agreement, PICKUP, HOME))
    calls = sandbox.requests("postnord")

    second = adapter.quote(request=quote_request(agreement, PICKUP, HOME))

    assert sandbox.requests("postnord") == calls == 2
    assert second == first


def test_unserved_country_unknown_product_and_wrong_kind_make_no_call(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    quotes = adapter.quote(
        request=quote_request(
            agreement,
            HOME,
            ProductQuery("99", ProductKind.HOME),
            ProductQuery("17", ProductKind.LOCKER),
            country="DE",
            postal_code="10115",
        )
    )

    assert [(q.product, q.available, q.reason) for q in quotes] == [
        ("17", False, "country not served"),
        ("99", False, "unknown product"),
        ("17", False, "product does not deliver to locker"),
    ]
    assert sandbox.requests("postnord") == 0


def test_a_preview_without_postal_code_makes_no_call(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    pickup, home = adapter.quote(request=quote_request(agreement, PICKUP, HOME, postal_code=""))

    assert (pickup.available, pickup.locations, pickup.delivery) == (
        True,
        (),
        DeliveryEstimate(1, 3),
    )
    assert (home.available, home.delivery) == (True, DeliveryEstimate(1, 2))
    assert sandbox.requests("postnord") == 0


def test_without_an_origin_the_quote_skips_transit_time(
    adapter: PostNordAdapter, sandbox: Sandbox
) -> None:
    agreement = make_agreement(sandbox.url("postnord"), origin_postal_code="")

    (pickup,) = adapter.quote(request=quote_request(agreement, PICKUP))

    assert len(pickup.locations) == 3
    assert pickup.delivery == DeliveryEstimate(1, 3)
    assert sandbox.requests("postnord") == 1


def test_the_merchants_sender_address_is_the_origin_when_the_agreement_names_none(
    adapter: PostNordAdapter, sandbox: Sandbox
) -> None:
    agreement = make_agreement(sandbox.url("postnord"), origin_postal_code="")
    request = dataclasses.replace(
        quote_request(agreement, PICKUP), sender=Address(country="SE", postal_code="112 18")
    )

    (pickup,) = adapter.quote(request=request)

    assert len(pickup.locations) == 3
    assert sandbox.requests("postnord") == 2  # service points and transit time


def test_a_key_refused_for_transit_time_keeps_the_quote_with_defaults(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("postnord", status=403, path="transittime")

    pickup, home = adapter.quote(request=quote_request(agreement, PICKUP, HOME))

    assert (pickup.available, len(pickup.locations), pickup.delivery) == (
        True,
        3,
        DeliveryEstimate(1, 3),
    )
    assert (home.available, home.delivery) == (True, DeliveryEstimate(1, 2))


def test_a_service_postnord_cannot_book_here_is_unavailable(
    adapter: PostNordAdapter, agreement: AgreementCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    def transit_times(**kwargs: Any) -> list[dict[str, Any]]:
        return [
            {
                "service": {"basicServiceCode": "17", "name": "PostNord MyPack Home"},
                "isSupported": True,
                "isBookable": False,
                "errorMessage": "Service SE-17 is not offered to postal code 11151",
            }
        ]

    monkeypatch.setattr(adapter.client, "transit_times", transit_times)

    (home,) = adapter.quote(request=quote_request(agreement, HOME))

    assert (home.available, home.reason) == (
        False,
        "Service SE-17 is not offered to postal code 11151",
    )


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 503}, CarrierUnavailable),
        ({"status": 429}, CarrierUnavailable),
        ({"malformed": True}, CarrierResponseInvalid),
    ],
)
def test_carrier_failures_are_unavailable(
    adapter: PostNordAdapter,
    agreement: AgreementCredentials,
    sandbox: Sandbox,
    fault: dict[str, Any],
    error: type[Exception],
) -> None:
    sandbox.fault("postnord", **fault)

    with pytest.raises(error):
        adapter.quote(request=quote_request(agreement, PICKUP))


def test_429_carries_retry_after(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("postnord", status=429)

    with pytest.raises(CarrierUnavailable) as raised:
        adapter.quote(request=quote_request(agreement, PICKUP))

    assert raised.value.retry_after == 1.0
    assert raised.value.messages == (
        CarrierMessage(code="Too Many Requests", text="Injected fault: HTTP 429"),
    )


def test_a_hanging_carrier_times_out(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox, settings: Any
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.3
    sandbox.fault("postnord", hang=True)

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.quote(request=quote_request(agreement, PICKUP))


def test_transit_time_and_both_searches_go_out_together(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox, settings: Any
) -> None:
    # Transit time never answers. One call after the other, the quote would give up on it
    # before searching; together, both searches were made before the quote raised.
    settings.CARRIER_READ_TIMEOUT = 0.5
    sandbox.fault("postnord", hang=True, path="transittime")

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.quote(request=quote_request(agreement, PICKUP, LOCKER))

    assert sandbox.requests("postnord") == 3  # transit time, manned points, lockers


def test_the_two_searches_of_one_quote_go_out_together(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox, settings: Any
) -> None:
    # Every search hangs: one after the other, the locker search would never start once the
    # manned-point search had timed out.
    settings.CARRIER_READ_TIMEOUT = 0.5
    sandbox.fault("postnord", hang=True, path="servicepoints")

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.quote(request=quote_request(agreement, PICKUP, LOCKER))

    assert sandbox.requests("postnord") == 3  # transit time, manned points, lockers


def test_transit_times_failure_wins_over_a_searchs(
    adapter: PostNordAdapter,
    agreement: AgreementCredentials,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Transit time was asked first, so its error is the one the quote raises.
    sandbox.fault("postnord", status=503, path="transittime")
    monkeypatch.setattr(adapter.client, "service_points", lambda **kwargs: {"servicePoints": []})

    with pytest.raises(CarrierUnavailable):
        adapter.quote(request=quote_request(agreement, PICKUP))


def test_a_failed_search_for_a_product_not_offered_here_does_not_fail_the_quote(
    adapter: PostNordAdapter,
    agreement: AgreementCredentials,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The search went out alongside transit time, which then said MyPack Collect is not
    # offered here: the quote needs no points, so the search's failure is not its failure.
    def transit_times(**kwargs: Any) -> list[dict[str, Any]]:
        return [
            {
                "service": {"basicServiceCode": "19", "name": "PostNord MyPack Collect"},
                "isSupported": True,
                "isBookable": False,
                "errorMessage": "Service SE-19 is not offered to postal code 11151",
            }
        ]

    monkeypatch.setattr(adapter.client, "transit_times", transit_times)
    sandbox.fault("postnord", status=503, path="servicepoints")

    (pickup,) = adapter.quote(request=quote_request(agreement, PICKUP))

    assert (pickup.available, pickup.locations, pickup.reason) == (
        False,
        (),
        "Service SE-19 is not offered to postal code 11151",
    )
    assert sandbox.requests("postnord") == 1  # the search, made all the same


def test_a_missing_key_is_rejected_with_postnords_text(
    adapter: PostNordAdapter, sandbox: Sandbox
) -> None:
    agreement = make_agreement(sandbox.url("postnord"), api_key="")

    with pytest.raises(CarrierRejected) as raised:
        adapter.quote(request=quote_request(agreement, PICKUP))

    assert raised.value.messages == (CarrierMessage(code="Forbidden", text="Invalid API Key"),)


def test_a_well_formed_body_of_the_wrong_shape_is_invalid(
    adapter: PostNordAdapter, agreement: AgreementCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter.client, "service_points", lambda **kwargs: {"servicePoints": []})

    with pytest.raises(CarrierResponseInvalid):
        adapter.quote(request=quote_request(agreement, PICKUP))


@pytest.mark.django_db
def test_the_api_key_never_reaches_a_trace(adapter: PostNordAdapter, sandbox: Sandbox) -> None:
    merchant = MerchantFactory.create()
    row = CarrierAgreementFactory.create(merchant=merchant)
    agreement = dataclasses.replace(
        make_agreement(sandbox.url("postnord"), merchant_id=merchant.pk), agreement_id=row.pk
    )

    adapter.quote(request=quote_request(agreement, PICKUP, HOME))
    # The quote's two calls ran together on the quote-call pool; outside the checkout's
    # fan-out their traces are written as soon as the calls are done, in finishing order.
    assert CarrierTrace.objects.count() == 2
    assert trace_flush() == 0
    adapter.book(request=booking_request(agreement))
    sandbox.fault("postnord", status=403)
    with pytest.raises(CarrierRejected):
        adapter.track(agreement=agreement, tracking_number="00373500400000010014")

    traces = list(CarrierTrace.objects.order_by("id"))
    calls = [(t.operation, t.status_code) for t in traces]
    assert sorted(calls[:2]) == [("availability", 200), ("service_points", 200)]
    assert calls[2:] == [("booking", 200), ("tracking", 403)]
    for trace in traces:
        stored = " ".join(
            [trace.url, str(trace.request_headers), trace.request_body, trace.response_body]
        )
        assert API_KEY not in stored
        assert "apikey=[redacted]" in trace.url
    assert traces[3].carrier_messages == [{"code": "Forbidden", "text": "Injected fault: HTTP 403"}]


# --- Booking -----------------------------------------------------------------------------------


def test_booking_returns_ids_tracking_and_a_pdf_label(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    booking = adapter.book(request=booking_request(agreement, reference="shp_home"))

    assert booking.carrier_shipment_id == "shp_home"
    (item_id,) = booking.tracking_numbers
    assert re.fullmatch(r"003735004\d{11}", item_id)  # 00 + an 18-digit SSCC
    assert booking.tracking_url == f"https://tracking.postnord.com/se/?id={item_id}"
    assert len(booking.labels) == 1
    assert booking.labels[0].content.startswith(b"%PDF-")
    drawn = drawn_lines(booking.labels[0].content)
    assert drawn[:5] == [
        "PostNord",
        "TO",
        "Anna Andersson",
        "Drottninggatan 10",
        "SE-11151 Stockholm",
    ]
    assert drawn[-1] == item_id
    assert booking.labels[0].format == "pdf"
    assert booking.extra["product"] == "17"
    assert booking.extra["issuer_code"] == "Z12"
    assert re.fullmatch(r"[0-9a-f]{32}", booking.extra["print_id"])
    assert sandbox.bookings("postnord") == {"shp_home": 1}


def test_labels_are_reprinted_by_the_booking_answers_print_id(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    booking = adapter.book(request=booking_request(agreement, reference="shp_reprint"))

    (label,) = adapter.reprint_labels(agreement=agreement, booking=booking)

    assert label.content.startswith(b"%PDF-")
    assert label.format == "pdf"
    # By the item id PostNord answers "id not found" (its production, and so the sandbox).
    by_item_id = dataclasses.replace(
        booking, extra={**booking.extra, "print_id": booking.tracking_numbers[0]}
    )
    with pytest.raises(CarrierRejected) as raised:
        adapter.reprint_labels(agreement=agreement, booking=by_item_id)
    assert raised.value.messages == (CarrierMessage(code="", text="id not found"),)


def test_a_booking_without_a_print_id_cannot_be_reprinted(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    booking = adapter.book(request=booking_request(agreement, reference="shp_noprint"))
    calls = sandbox.requests("postnord")

    with pytest.raises(OperationNotSupported, match="printId"):
        adapter.reprint_labels(
            agreement=agreement,
            booking=dataclasses.replace(booking, extra={"product": "17"}),
        )
    assert sandbox.requests("postnord") == calls


def test_a_locker_chosen_at_checkout_is_booked_as_the_delivery_party(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    (locker_quote,) = adapter.quote(request=quote_request(agreement, LOCKER))
    locker = locker_quote.locations[0]

    booking = adapter.book(
        request=booking_request(
            agreement,
            reference="shp_locker",
            product="19",
            kind=ProductKind.LOCKER,
            location=locker,
        )
    )

    assert len(booking.tracking_numbers) == 1
    assert sandbox.bookings("postnord") == {"shp_locker": 1}
    events = adapter.track(agreement=agreement, tracking_number=booking.tracking_numbers[0])
    assert events[-1].status is TrackingStatus.READY_FOR_PICKUP
    assert events[-1].location == f"{locker.name}, Stockholm"


def test_each_parcel_gets_its_own_tracking_number_and_label(
    adapter: PostNordAdapter, agreement: AgreementCredentials
) -> None:
    request = booking_request(agreement)
    booking = adapter.book(
        request=booking_request(agreement, parcels=(*request.parcels, *request.parcels))
    )

    first, second = booking.tracking_numbers
    assert (first[:-4], first[-4:-1], second[:-4], second[-4:-1]) == (
        second[:-4],
        "001",
        first[:-4],
        "002",
    )
    assert len(booking.labels) == 2


def test_postnords_validation_error_is_a_rejection_and_books_nothing(
    adapter: PostNordAdapter, sandbox: Sandbox
) -> None:
    agreement = make_agreement(sandbox.url("postnord"), application_id="abc")

    with pytest.raises(CarrierRejected) as raised:
        adapter.book(request=booking_request(agreement))

    assert raised.value.messages == (
        CarrierMessage(code="400", text="Invalid indata object EdiInstruction"),
        CarrierMessage(code="APPLICATION_ID", text="applicationId (abc) is not a type of integer"),
    )
    assert sandbox.bookings("postnord") == {}


def test_an_unknown_product_is_refused_before_any_call(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    with pytest.raises(CarrierRejected):
        adapter.book(request=booking_request(agreement, product="30", kind=ProductKind.HOME))

    assert sandbox.requests("postnord") == 0


def test_a_failed_booking_is_not_retried(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    sandbox.fault("postnord", status=503)

    with pytest.raises(CarrierUnavailable):
        adapter.book(request=booking_request(agreement))

    assert sandbox.requests("postnord") == 1
    assert sandbox.bookings("postnord") == {}


def test_a_hanging_booking_times_out(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox, settings: Any
) -> None:
    settings.CARRIER_BOOKING_TIMEOUT = 0.3
    sandbox.fault("postnord", hang=True)

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.book(request=booking_request(agreement))


def test_find_booking_finds_it_by_our_reference(
    adapter: PostNordAdapter, agreement: AgreementCredentials
) -> None:
    booked = adapter.book(request=booking_request(agreement, reference="shp_lost"))

    found = adapter.find_booking(agreement=agreement, reference="shp_lost")

    assert found is not None
    assert (found.carrier_shipment_id, found.tracking_numbers, found.tracking_url) == (
        booked.carrier_shipment_id,
        booked.tracking_numbers,
        booked.tracking_url,
    )
    # Track & Trace gives no printId, and PostNord reprints by printId only: no labels.
    assert found.labels == ()
    assert adapter.find_booking(agreement=agreement, reference="shp_never") is None


def test_tracking_shows_the_progression_of_a_home_delivery(
    adapter: PostNordAdapter, agreement: AgreementCredentials
) -> None:
    booking = adapter.book(request=booking_request(agreement))

    events = adapter.track(agreement=agreement, tracking_number=booking.tracking_numbers[0])

    assert [(e.carrier_code, e.status) for e in events] == [
        ("z01", TrackingStatus.PENDING),
        ("31", TrackingStatus.IN_TRANSIT),
        ("z114", TrackingStatus.IN_TRANSIT),
        ("113", TrackingStatus.OUT_FOR_DELIVERY),
        ("21", TrackingStatus.DELIVERED),
    ]
    assert all(e.at.tzinfo is not None for e in events)
    assert events[1].at - events[0].at == dt.timedelta(hours=5)
    assert events[-1].location == "Stockholm"


def test_an_unknown_tracking_number_has_no_events(
    adapter: PostNordAdapter, agreement: AgreementCredentials
) -> None:
    assert adapter.track(agreement=agreement, tracking_number="00373500499999999999") == []


def test_cancel_deletes_the_instruction(
    adapter: PostNordAdapter, agreement: AgreementCredentials, sandbox: Sandbox
) -> None:
    booking = adapter.book(request=booking_request(agreement, reference="shp_cancel"))

    adapter.cancel(agreement=agreement, booking=booking)

    assert adapter.track(agreement=agreement, tracking_number=booking.tracking_numbers[0]) == []
    assert adapter.find_booking(agreement=agreement, reference="shp_cancel") is None
    assert sandbox.bookings("postnord") == {"shp_cancel": 1}
    with pytest.raises(CarrierRejected) as raised:
        adapter.cancel(agreement=agreement, booking=booking)
    assert raised.value.messages[-1] == CarrierMessage(
        code="SHIPMENT_ID", text="No instruction to delete for shipmentId shp_cancel"
    )


@pytest.mark.parametrize(("country", "issuer"), [("DK", "Z11"), ("NO", "Z13"), ("FI", "Z14")])
def test_cancel_outside_sweden_is_refused_before_any_call(
    adapter: PostNordAdapter,
    agreement: AgreementCredentials,
    sandbox: Sandbox,
    country: str,
    issuer: str,
) -> None:
    request = booking_request(
        agreement,
        reference=f"shp_{country}",
        sender_address=Address(
            country=country, postal_code="0150", city="Somewhere", street_address="Gate 1"
        ),
    )
    booking = adapter.book(request=request)
    assert booking.extra["issuer_code"] == issuer
    calls = sandbox.requests("postnord")

    with pytest.raises(OperationNotSupported, match=f"{country} agreement"):
        adapter.cancel(agreement=agreement, booking=booking)
    assert sandbox.requests("postnord") == calls


def test_a_deletion_answered_with_new_item_ids_is_not_a_cancellation() -> None:
    # A third party saw PostNord's /v3/edi ignore a Deletion and book anew (FIDELITY.md).
    booking = Booking("shp_x", ("00373500400000010014",), extra={"product": "17"})
    answer = {
        "bookingId": "3YSFH8NG0LNREZO38UIN68B3RRWL4X",
        "idInformation": [
            {"status": "OK", "ids": [{"idType": "itemId", "value": "00373500400000020013"}]}
        ],
    }

    with pytest.raises(CarrierRejected, match="booked a new shipment"):
        mappers.parse_cancel(answer, booking=booking)
    assert mappers.parse_cancel({"bookingId": "B1", "idInformation": []}, booking=booking) == "B1"
