"""The Instabox adapter against the carrier sandbox: quotes, bookings, failures, traces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from django.core.cache import cache

from carriers.calendar import business_days_between
from carriers.declaration import Operation
from carriers.exceptions import (
    CarrierRejected,
    CarrierResponseInvalid,
    CarrierUnavailable,
    OperationNotSupported,
)
from carriers.http import HttpResponse
from carriers.instabox import InstaboxAdapter
from carriers.models import CarrierTrace
from carriers.sandbox.core import ledger
from carriers.types import (
    Address,
    Booking,
    CarrierMessage,
    DeliveryEstimate,
    Location,
    LocationKind,
    Parcel,
    ProductKind,
    ProductQuery,
    Quote,
    Timeslot,
)
from tests.carriers.labels import drawn_lines
from tests.conftest import Sandbox
from tests.factories import CarrierAgreementFactory

from .builders import (
    API_KEY,
    HOME,
    LOCKER,
    REFERENCE,
    agreement,
    booking_request,
    fixture_bytes,
    fixture_json,
    locker,
    quote_request,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PARCEL_ID = "SHOP7D0F5A524A0E4B5C9F3E2A1D6C9B8E01"


@pytest.fixture
def adapter() -> InstaboxAdapter:
    return InstaboxAdapter()


def _locker_days(now: dt.datetime) -> int:
    """The sandbox's locker ETA, the day after the next 20:00 (local) packing deadline, in
    business days (an ETA on a weekend day counts)."""
    local = now.astimezone(STOCKHOLM)
    eta = local.date() + dt.timedelta(days=1 if local.time() < dt.time(20, 0) else 2)
    return business_days_between(local.date(), eta, weekend_end=True)


def _next_business_days(now: dt.datetime, count: int) -> list[dt.date]:
    day = now.astimezone(STOCKHOLM).date()
    days: list[dt.date] = []
    while len(days) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


# -- quotes ------------------------------------------------------------------------------------


def test_quote_lists_lockers_in_instabees_order_with_what_the_booking_needs(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given a Stockholm postal code
    now = dt.datetime.now(dt.UTC)
    request = quote_request(LOCKER, base_url=sandbox.url("instabox"), now=now, max_locations=5)

    # when the lockers are quoted
    (quote,) = adapter.quote(request=request)

    # then five lockers come back in Instabee's order, each one's id its sort code
    assert quote.available is True
    assert [loc.id for loc in quote.locations] == [
        "IN999D5B",
        "INDA9AAA",
        "IN4FCCA3",
        "IN6628D8",
        "IN3BB0F0",
    ]
    # and only what Instabee's documented answer has: the name, no address, coordinates,
    # opening hours or distance (FIDELITY.md)
    assert quote.locations[0] == Location(
        id="IN999D5B",
        name="Instabox Coop Skolgatan",
        kind=LocationKind.LOCKER,
        address=Address(country="SE"),
    )
    token = quote.extra["availabilityToken"]
    assert [loc.extra for loc in quote.locations] == [
        {"sortCode": loc.id, "availabilityToken": token} for loc in quote.locations
    ]
    days = _locker_days(now)
    assert quote.delivery == DeliveryEstimate(earliest_days=days, latest_days=days)
    assert quote.timeslots == ()
    assert quote.price is None
    assert sandbox.requests("instabox") == 1


def test_quote_lists_home_delivery_slots_on_the_next_business_days(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    now = dt.datetime.now(dt.UTC)

    (quote,) = adapter.quote(request=quote_request(HOME, base_url=sandbox.url("instabox"), now=now))

    assert quote.available is True
    assert quote.locations == ()
    assert quote.timeslots == tuple(
        Timeslot(
            id=f"{day.isoformat()}T17:00-22:00",
            start=dt.datetime.combine(day, dt.time(17), tzinfo=STOCKHOLM),
            end=dt.datetime.combine(day, dt.time(22), tzinfo=STOCKHOLM),
            cutoff=dt.datetime.combine(day, dt.time(12), tzinfo=STOCKHOLM),
        )
        for day in _next_business_days(now, 5)
    )
    assert [slot.extra["sortCode"] for slot in quote.timeslots] == [
        f"HD11151{day:%m%d}" for day in _next_business_days(now, 5)
    ]
    assert {slot.extra["availabilityToken"] for slot in quote.timeslots} == {
        quote.extra["availabilityToken"]
    }


def test_quote_answers_one_quote_per_product_in_the_order_asked(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given both products, an unknown one and a product asked for the wrong kind
    request = quote_request(
        HOME,
        ProductQuery("LOCKER_RETURN", ProductKind.LOCKER),
        LOCKER,
        ProductQuery("LOCKER_EXPRESS", ProductKind.PICKUP_POINT, wants_locations=True),
        base_url=sandbox.url("instabox"),
        max_locations=2,
    )

    quotes = adapter.quote(request=request)

    assert [(q.product, q.available, q.reason) for q in quotes] == [
        ("HOME_DELIVERY", True, ""),
        ("LOCKER_RETURN", False, "unknown product"),
        ("LOCKER_EXPRESS", True, ""),
        ("LOCKER_EXPRESS", False, "product does not deliver to pickup_point"),
    ]
    assert len(quotes[2].locations) == 2
    assert sandbox.requests("instabox") == 2  # one availability call per product asked


def test_a_home_quote_without_slots_asked_has_none(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    home = ProductQuery("HOME_DELIVERY", ProductKind.HOME)

    (quote,) = adapter.quote(request=quote_request(home, base_url=sandbox.url("instabox")))

    assert (quote.available, quote.timeslots) == (True, ())
    assert quote.delivery is not None


@pytest.mark.parametrize(
    ("country", "postal_code", "expected"),
    [
        (
            "DE",
            "10115",
            Quote(product="LOCKER_EXPRESS", available=False, reason="country not served"),
        ),
        (
            "SE",
            "",
            Quote(product="LOCKER_EXPRESS", available=True, delivery=DeliveryEstimate(1, 2)),
        ),
        (
            "SE",
            "  ",
            Quote(product="LOCKER_EXPRESS", available=True, delivery=DeliveryEstimate(1, 2)),
        ),
    ],
)
def test_an_unserved_country_or_a_preview_makes_no_carrier_call(
    adapter: InstaboxAdapter, sandbox: Sandbox, country: str, postal_code: str, expected: Quote
) -> None:
    request = quote_request(
        LOCKER, base_url=sandbox.url("instabox"), country=country, postal_code=postal_code
    )

    assert adapter.quote(request=request) == [expected]
    assert sandbox.requests("instabox") == 0


def test_a_postal_code_instabox_does_not_serve_is_unavailable(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given Kiruna (Swedish Lapland): Instabee answers 404 for both products
    request = quote_request(
        LOCKER, HOME, base_url=sandbox.url("instabox"), country="SE", postal_code="981 31"
    )

    quotes = adapter.quote(request=request)

    reason = "Instabox does not deliver to this postal code"
    assert quotes == [
        Quote(product="LOCKER_EXPRESS", available=False, reason=reason),
        Quote(product="HOME_DELIVERY", available=False, reason=reason),
    ]
    assert sandbox.requests("instabox") == 2


def test_brussels_has_no_instabox_locker_and_instabee_says_no_home_delivery(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given Belgium: no Instabox lockers (no call), home delivery asked and answered 404
    request = quote_request(
        LOCKER, HOME, base_url=sandbox.url("instabox"), country="BE", postal_code="1000"
    )

    quotes = adapter.quote(request=request)

    assert quotes == [
        Quote(product="LOCKER_EXPRESS", available=False, reason="country not served"),
        Quote(
            product="HOME_DELIVERY",
            available=False,
            reason="Instabox does not deliver to this postal code",
        ),
    ]
    assert sandbox.requests("instabox") == 1


def test_a_second_identical_quote_makes_no_carrier_call(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given a first quote of both products
    request = quote_request(LOCKER, HOME, base_url=sandbox.url("instabox"), max_locations=5)
    first = adapter.quote(request=request)
    calls = sandbox.requests("instabox")

    # when the same quote is asked again, and once more with fewer locations
    second = adapter.quote(request=request)
    fewer = adapter.quote(
        request=quote_request(LOCKER, base_url=sandbox.url("instabox"), max_locations=2)
    )

    # then the cache answers: no carrier call, the same answer, sliced after the cache
    assert sandbox.requests("instabox") == calls == 2
    assert second == first
    assert [loc.extra for loc in second[0].locations] == [loc.extra for loc in first[0].locations]
    assert fewer[0].locations == first[0].locations[:2]


def test_lockers_keep_instabees_order_and_the_first_options_eta(
    adapter: InstaboxAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given Instabee's answer in the documented shape (no distance to sort by)
    body = fixture_bytes("availability-locker-express-response.json")

    def answer(**kwargs: Any) -> HttpResponse:
        return HttpResponse(status=200, headers={}, body=body, duration_ms=1)

    monkeypatch.setattr(adapter.client, "delivery_options", answer)
    now = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)

    (quote,) = adapter.quote(request=quote_request(LOCKER, base_url="http://unused", now=now))

    assert [loc.id for loc in quote.locations] == ["IN1043", "IN2217"]
    # the first (recommended) option's ETA, 2026-05-05 in Stockholm: one day
    assert quote.delivery == DeliveryEstimate(earliest_days=1, latest_days=1)
    assert quote.extra == {"availabilityToken": "019d8c17-7f32-74bf-8257-bde6184c63db"}


@pytest.mark.parametrize(("status", "body", "available"), [(200, b"", True), (404, b"", False)])
def test_a_bare_200_is_served_and_a_404_is_not(
    adapter: InstaboxAdapter,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: bytes,
    available: bool,
) -> None:
    # the standard home integration (docs, home-delivery/validate-postalcode): 200 means
    # Instabee delivers there, 404 that it does not; neither is "Instabee unavailable"
    home = ProductQuery("HOME_DELIVERY", ProductKind.HOME)
    monkeypatch.setattr(
        adapter.client,
        "delivery_options",
        lambda **kwargs: HttpResponse(status=status, headers={}, body=body, duration_ms=1),
    )

    (quote,) = adapter.quote(request=quote_request(home, base_url="http://unused"))

    assert (quote.available, quote.timeslots) == (available, ())
    assert quote.reason == ("" if available else "Instabox does not deliver to this postal code")


def test_an_answer_without_lockers_is_no_hit_not_a_failure(
    adapter: InstaboxAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b'{"availabilityToken": "t-1", "deliveryOptions": [], "showAsOptionInCheckout": true}'
    monkeypatch.setattr(
        adapter.client,
        "delivery_options",
        lambda **kwargs: HttpResponse(status=200, headers={}, body=body, duration_ms=1),
    )

    (quote,) = adapter.quote(request=quote_request(LOCKER, base_url="http://unused"))

    assert quote == Quote(
        product="LOCKER_EXPRESS",
        available=False,
        reason="no Instabox locker near this postal code",
    )


def test_an_option_instabee_asks_not_to_show_is_unavailable(
    adapter: InstaboxAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = fixture_bytes("availability-home-delivery-eta-response.json")
    monkeypatch.setattr(
        adapter.client,
        "delivery_options",
        lambda **kwargs: HttpResponse(status=200, headers={}, body=body, duration_ms=1),
    )

    (quote,) = adapter.quote(request=quote_request(HOME, base_url="http://unused"))

    assert quote == Quote(
        product="HOME_DELIVERY",
        available=False,
        reason="Instabox asks not to show this option now",
    )


# -- carrier failures --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_unavailable_and_not_cached(
    adapter: InstaboxAdapter, sandbox: Sandbox, status: int
) -> None:
    sandbox.fault("instabox", status=status, times=1)
    request = quote_request(LOCKER, base_url=sandbox.url("instabox"))

    with pytest.raises(CarrierUnavailable) as raised:
        adapter.quote(request=request)

    assert raised.value.messages == (CarrierMessage(str(status), f"Injected fault: HTTP {status}"),)
    # the next checkout asks again and gets lockers
    assert adapter.quote(request=request)[0].available is True
    assert sandbox.requests("instabox") == 2


def test_a_429_is_unavailable_with_its_retry_after(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    sandbox.fault("instabox", status=429)

    with pytest.raises(CarrierUnavailable) as raised:
        adapter.quote(request=quote_request(LOCKER, base_url=sandbox.url("instabox")))

    assert raised.value.retry_after == 1.0
    assert sandbox.requests("instabox") == 1  # checkout calls are not retried


def test_a_hanging_instabee_is_unavailable_after_the_read_timeout(
    adapter: InstaboxAdapter, sandbox: Sandbox, settings: Any
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.3
    sandbox.fault("instabox", hang=True)
    started = time.monotonic()

    with pytest.raises(CarrierUnavailable):
        adapter.quote(request=quote_request(LOCKER, base_url=sandbox.url("instabox")))

    assert time.monotonic() - started < 2.0


def test_the_availability_calls_of_one_quote_go_out_together(
    adapter: InstaboxAdapter, sandbox: Sandbox, settings: Any
) -> None:
    settings.CARRIER_READ_TIMEOUT = 0.5
    sandbox.fault("instabox", hang=True)

    with pytest.raises(CarrierUnavailable, match="timeout"):
        adapter.quote(request=quote_request(LOCKER, HOME, base_url=sandbox.url("instabox")))

    # Asked one after the other, the second product's call would never have been made.
    assert sandbox.requests("instabox") == 2


def test_products_asking_the_same_availability_share_one_call(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    request = quote_request(LOCKER, HOME, LOCKER, base_url=sandbox.url("instabox"))

    first, home, again = adapter.quote(request=request)

    assert first == again and first.locations
    assert home.available and home.timeslots
    assert sandbox.requests("instabox") == 2


def test_a_malformed_answer_is_invalid(adapter: InstaboxAdapter, sandbox: Sandbox) -> None:
    sandbox.fault("instabox", malformed=True)

    with pytest.raises(CarrierResponseInvalid):
        adapter.quote(request=quote_request(HOME, base_url=sandbox.url("instabox")))


def test_a_4xx_is_rejected_with_instabees_message_verbatim(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    sandbox.fault("instabox", status=401)

    with pytest.raises(CarrierRejected) as raised:
        adapter.quote(request=quote_request(LOCKER, base_url=sandbox.url("instabox")))

    assert raised.value.messages == (CarrierMessage("401", "Injected fault: HTTP 401"),)


# -- bookings ----------------------------------------------------------------------------------


def _quoted_locker(adapter: InstaboxAdapter, sandbox: Sandbox) -> Location:
    (quote,) = adapter.quote(request=quote_request(LOCKER, base_url=sandbox.url("instabox")))
    return quote.locations[0]


def test_a_locker_booking_returns_the_parcel_id_and_a_pdf_label(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given the shopper's locker from the quote
    chosen = _quoted_locker(adapter, sandbox)
    calls = sandbox.requests("instabox")

    # when the shipment is booked
    booking = adapter.book(
        request=booking_request(base_url=sandbox.url("instabox"), location=chosen)
    )

    # then post-purchase and post-packing were sent, the label fetched, one parcel booked
    assert booking.carrier_shipment_id == PARCEL_ID
    assert booking.tracking_numbers == (PARCEL_ID,)
    assert booking.tracking_url == f"https://track.instabox.io/{PARCEL_ID}"
    (label,) = booking.labels
    assert label.url == f"{sandbox.url('instabox')}/labels/{PARCEL_ID}.pdf"
    assert label.content.startswith(b"%PDF-")
    assert label.content.rstrip().endswith(b"%%EOF")
    drawn = drawn_lines(label.content)
    assert drawn[:3] == ["Instabox", "TO", "Anna Svensson"]
    assert drawn[-1] == PARCEL_ID
    assert booking.extra == {
        "labelCode": "IN999D5B",
        "orderId": REFERENCE,
        "availabilityToken": chosen.extra["availabilityToken"],
        "sortCode": "IN999D5B",
    }
    assert sandbox.bookings("instabox") == {REFERENCE: 1}
    assert sandbox.requests("instabox") - calls == 3


def test_booking_again_with_the_same_reference_books_nothing_new(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given a booked shipment (a retry after a timeout books it again)
    chosen = _quoted_locker(adapter, sandbox)
    request = booking_request(base_url=sandbox.url("instabox"), location=chosen)
    first = adapter.book(request=request)

    # when it is booked again with the same reference
    second = adapter.book(request=request)

    # then the same parcel answers, and Instabee holds one booking
    assert second.carrier_shipment_id == first.carrier_shipment_id
    assert second.labels[0].content == first.labels[0].content
    assert sandbox.bookings("instabox") == {REFERENCE: 1}


def test_a_home_booking_sends_the_chosen_slot(adapter: InstaboxAdapter, sandbox: Sandbox) -> None:
    (quote,) = adapter.quote(request=quote_request(HOME, base_url=sandbox.url("instabox")))
    slot = quote.timeslots[1]

    booking = adapter.book(
        request=booking_request(
            base_url=sandbox.url("instabox"), product="HOME_DELIVERY", timeslot=slot
        )
    )

    assert booking.extra["labelCode"] == slot.extra["sortCode"]
    assert booking.extra["sortCode"] == slot.extra["sortCode"]
    assert booking.labels[0].content.startswith(b"%PDF-")
    assert sandbox.bookings("instabox") == {REFERENCE: 1}


def test_a_reservation_that_kept_only_the_locker_id_asks_for_a_fresh_token(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given a locker chosen by id only (its extra was not kept): the id is the sort code
    chosen = _quoted_locker(adapter, sandbox)
    sandbox.server.state.reset()  # a new day: an empty sandbox...
    cache.clear()  # ...and an empty cache

    booking = adapter.book(
        request=booking_request(
            base_url=sandbox.url("instabox"), location=locker(chosen.id, token="")
        )
    )

    # then it was asked for the recipient's postal code, and booked with that token
    assert booking.extra["sortCode"] == chosen.id
    assert sandbox.bookings("instabox") == {REFERENCE: 1}
    assert sandbox.requests("instabox") == 4  # availability, two PUTs, the label
    (fresh,) = adapter.quote(
        request=quote_request(LOCKER, base_url=sandbox.url("instabox"), postal_code="113 43")
    )
    assert booking.extra["availabilityToken"] == fresh.extra["availabilityToken"]
    assert sandbox.requests("instabox") == 4  # the booking's answer was cached


def test_a_home_booking_without_slot_asks_for_a_token(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    booking = adapter.book(
        request=booking_request(base_url=sandbox.url("instabox"), product="HOME_DELIVERY")
    )

    assert booking.tracking_numbers == (PARCEL_ID,)
    assert "sortCode" not in booking.extra  # no slot: Instabee plans the day
    assert sandbox.bookings("instabox") == {REFERENCE: 1}
    assert sandbox.requests("instabox") == 4  # availability, two PUTs, the label


def test_an_invalid_booking_is_rejected_verbatim_and_books_nothing(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    # given a recipient without a mobile number
    request = booking_request(base_url=sandbox.url("instabox"), phone="")

    with pytest.raises(CarrierRejected) as raised:
        adapter.book(request=request)

    assert raised.value.messages == (
        CarrierMessage("400", "Validation failed"),
        CarrierMessage("recipient.phone", "must not be blank"),
    )
    assert sandbox.bookings("instabox") == {}


def test_an_unavailable_instabee_books_nothing_and_a_retry_books_once(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    request = booking_request(base_url=sandbox.url("instabox"))
    sandbox.fault("instabox", status=503, path="/orders", times=1)

    with pytest.raises(CarrierUnavailable):
        adapter.book(request=request)
    assert sandbox.bookings("instabox") == {}
    assert sandbox.requests("instabox") == 1  # a booking is never retried by the transport

    adapter.book(request=request)
    assert sandbox.bookings("instabox") == {REFERENCE: 1}


def test_a_label_that_cannot_be_fetched_keeps_its_link(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    sandbox.fault("instabox", status=503, path="/labels/")

    booking = adapter.book(request=booking_request(base_url=sandbox.url("instabox")))

    assert [(label.url, label.content) for label in booking.labels] == [
        (f"{sandbox.url('instabox')}/labels/{PARCEL_ID}.pdf", b"")
    ]
    assert sandbox.bookings("instabox") == {REFERENCE: 1}


@pytest.mark.parametrize(
    ("request_changes", "message"),
    [
        (
            {"parcels": (Parcel(1000), Parcel(2000))},
            CarrierMessage("one_parcel_per_order", "Instabox books one parcel per order, not 2."),
        ),
        (
            {"parcels": ()},
            CarrierMessage("one_parcel_per_order", "Instabox books one parcel per order, not 0."),
        ),
        (
            {"product": "LOCKER_TO_LOCKER"},
            CarrierMessage("unknown_product", "Instabox has no product 'LOCKER_TO_LOCKER'."),
        ),
    ],
)
def test_a_booking_instabee_cannot_take_is_refused_before_any_call(
    adapter: InstaboxAdapter,
    sandbox: Sandbox,
    request_changes: dict[str, Any],
    message: CarrierMessage,
) -> None:
    request = dataclasses.replace(
        booking_request(base_url=sandbox.url("instabox")), **request_changes
    )

    with pytest.raises(CarrierRejected) as raised:
        adapter.book(request=request)

    assert raised.value.messages == (message,)
    assert sandbox.requests("instabox") == 0


def test_a_locker_booking_without_a_locker_is_refused(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    request = dataclasses.replace(booking_request(base_url=sandbox.url("instabox")), location=None)

    with pytest.raises(CarrierRejected):
        adapter.book(request=request)
    assert sandbox.requests("instabox") == 0


def test_tracking_is_webhooks_only(adapter: InstaboxAdapter) -> None:
    with pytest.raises(OperationNotSupported):
        adapter.track(agreement=agreement(), tracking_number=PARCEL_ID)


def test_operations_instabee_does_not_offer_are_refused(adapter: InstaboxAdapter) -> None:
    # Instabee documents no cancel, lookup or label-reprint endpoint (FIDELITY.md)
    booked = Booking(carrier_shipment_id=PARCEL_ID, tracking_numbers=(PARCEL_ID,))

    with pytest.raises(OperationNotSupported):
        adapter.cancel(agreement=agreement(), booking=booked)
    with pytest.raises(OperationNotSupported):
        adapter.find_booking(agreement=agreement(), reference=REFERENCE)
    assert [op for op in Operation if not adapter.declaration.supports(op)] == [
        Operation.PRICES,
        Operation.LABEL_REPRINT,
        Operation.CANCEL,
        Operation.FIND_BOOKING,
        Operation.TRACKING,
    ]


# -- traces ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_key_never_reaches_a_trace(adapter: InstaboxAdapter, sandbox: Sandbox) -> None:
    # given an agreement row of a real merchant (so calls are traced)
    row = CarrierAgreementFactory.create(
        carrier="instabox", customer_number="SHOP", credentials={"api_key": API_KEY}
    )
    base_url = sandbox.url("instabox")
    traced = dataclasses.replace(
        agreement(base_url), agreement_id=row.pk, merchant_id=row.merchant_id
    )
    quote = dataclasses.replace(quote_request(LOCKER, base_url=base_url), agreement=traced)
    home = dataclasses.replace(quote_request(HOME, base_url=base_url), agreement=traced)

    # when it quotes, books, and is refused once
    (answer,) = adapter.quote(request=quote)
    adapter.book(
        request=dataclasses.replace(
            booking_request(base_url=base_url, location=answer.locations[0]), agreement=traced
        )
    )
    sandbox.fault("instabox", status=401)
    with pytest.raises(CarrierRejected):
        adapter.quote(request=home)

    # then every call is traced, and the key appears in none of them
    traces = list(CarrierTrace.objects.filter(merchant_id=row.merchant_id).order_by("id"))
    assert [(t.operation, t.method, t.status_code) for t in traces] == [
        ("service_points", "GET", 200),
        ("booking", "PUT", 200),
        ("booking", "PUT", 200),
        ("label", "GET", 200),
        ("timeslots", "GET", 401),
    ]
    for trace in traces:
        stored = " ".join(
            [trace.url, str(trace.request_headers), trace.request_body, trace.response_body]
        )
        assert API_KEY not in stored
        assert trace.agreement_id == row.pk
    assert traces[0].request_headers["Authorization"] == "[redacted]"
    assert traces[0].request_headers["Accept-Version"] == "1.0.0"
    assert traces[-1].carrier_messages == [{"code": "401", "text": "Injected fault: HTTP 401"}]


# -- the sandbox itself ------------------------------------------------------------------------


def _get(sandbox: Sandbox, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{sandbox.url('instabox')}{path}", headers=headers, timeout=5)


AUTH = {"Authorization": f"ApiKey {API_KEY}", "Accept-Version": "1.0.0"}
OPTIONS = (
    "/availability/countries/{cc}/postal-codes/{pc}/delivery-options?brand=instabox&product={p}"
)


@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({}, 401, {"message": "Unauthorized"}),
        ({"Authorization": f"Bearer {API_KEY}"}, 401, {"message": "Unauthorized"}),
        (
            {"Authorization": f"ApiKey {API_KEY}", "Accept-Version": "2.0.0"},
            400,
            {"message": "Unsupported Accept-Version '2.0.0'; use 1.0.0"},
        ),
    ],
)
def test_the_sandbox_refuses_requests_without_instabee_auth(
    sandbox: Sandbox, headers: dict[str, str], status: int, body: dict[str, str]
) -> None:
    response = _get(sandbox, OPTIONS.format(cc="SE", pc="11151", p="LOCKER_EXPRESS"), **headers)

    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize(
    ("country", "product", "status", "body"),
    [
        (
            "DE",
            "LOCKER_EXPRESS",
            400,
            {
                "message": "Validation failed",
                "errors": [
                    {"field": "countryCode", "message": "must be one of BE, DK, FI, NL, NO, SE"}
                ],
            },
        ),
        (
            "SE",
            "LOCKER_RETURN",
            403,
            {"message": "The API key is not enabled for product LOCKER_RETURN"},
        ),
        (
            "SE",
            "PARCEL",
            400,
            {
                "message": "Validation failed",
                "errors": [{"field": "product", "message": "must be an Instabee product"}],
            },
        ),
    ],
)
def test_the_sandbox_validates_availability_like_instabee(
    sandbox: Sandbox, country: str, product: str, status: int, body: dict[str, Any]
) -> None:
    response = _get(sandbox, OPTIONS.format(cc=country, pc="11151", p=product), **AUTH)

    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize(
    ("product", "brand", "status"),
    [
        ("LOCKER_EXPRESS", "instabox", 200),
        ("HOME_DELIVERY", "budbee", 200),
        ("HOME_DELIVERY", "instabox", 400),
        ("LOCKER_EXPRESS", "budbee", 400),
    ],
)
def test_the_sandbox_wants_each_products_brand(
    sandbox: Sandbox, product: str, brand: str, status: int
) -> None:
    path = (
        "/availability/countries/SE/postal-codes/11151/delivery-options"
        f"?brand={brand}&product={product}"
    )

    assert _get(sandbox, path, **AUTH).status_code == status


def test_the_sandbox_answers_lockers_with_the_documented_fields_only(sandbox: Sandbox) -> None:
    response = _get(sandbox, OPTIONS.format(cc="SE", pc="11151", p="LOCKER_EXPRESS"), **AUTH)
    documented = fixture_json("availability-locker-docs-example-response.json")

    body = response.json()
    assert set(body) == set(documented)
    assert {frozenset(option) for option in body["deliveryOptions"]} == {
        frozenset(documented["deliveryOptions"][0])
    }


def test_a_home_booking_is_sent_with_the_budbee_brand(
    adapter: InstaboxAdapter, sandbox: Sandbox
) -> None:
    adapter.book(request=booking_request(base_url=sandbox.url("instabox"), product="HOME_DELIVERY"))

    recorded = ledger.find("instabox", REFERENCE)
    assert recorded is not None
    assert (recorded["order"]["brand"], recorded["order"]["product"]) == (
        "budbee",
        "HOME_DELIVERY",
    )


def test_the_sandbox_has_no_label_for_an_unknown_parcel(sandbox: Sandbox) -> None:
    response = _get(sandbox, "/labels/NOSUCHPARCEL.pdf")

    assert (response.status_code, response.json()) == (404, {"message": "Label not found"})


def test_the_sandbox_label_is_a_well_formed_pdf(adapter: InstaboxAdapter, sandbox: Sandbox) -> None:
    booking = adapter.book(request=booking_request(base_url=sandbox.url("instabox")))
    pdf = booking.labels[0].content

    # every xref entry points at its object, and startxref at the xref table
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[xref_at:].startswith(b"xref\n0 7\n")
    entries = pdf[xref_at:].split(b"\n")[3:9]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number)
    assert PARCEL_ID.encode() in pdf
