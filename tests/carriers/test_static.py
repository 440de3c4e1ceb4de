"""The static carrier source: deterministic quotes, locations, timeslots and behaviour triggers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from carriers.base import Capability
from carriers.exceptions import CarrierRejected, CarrierUnavailable
from carriers.static import (
    MARKETS,
    BringStaticAdapter,
    BudbeeStaticAdapter,
    DhlStaticAdapter,
    InstaboxStaticAdapter,
    PostNordStaticAdapter,
    StaticCarrierAdapter,
)
from carriers.types import (
    Address,
    AgreementCredentials,
    CarrierMessage,
    Coordinates,
    DeliveryEstimate,
    LocationKind,
    OpeningHours,
    Parcel,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Thursday afternoon: the next business days are Fri 27, Mon 30 Nov, Tue 1, Wed 2, Thu 3 Dec.
THURSDAY = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

# Rough bounding boxes of each market (lat_min, lat_max, lng_min, lng_max).
COUNTRY_BOXES = {
    "SE": (55.0, 69.5, 10.5, 24.5),
    "NO": (57.5, 71.5, 4.0, 31.5),
    "DK": (54.5, 58.0, 8.0, 15.5),
    "FI": (59.5, 70.5, 19.5, 31.6),
    "DE": (47.2, 55.1, 5.8, 15.1),
    "AT": (46.3, 49.1, 9.5, 17.2),
    "NL": (50.7, 53.6, 3.3, 7.3),
    "CH": (45.8, 47.9, 5.9, 10.6),
    "GB": (49.9, 58.7, -8.2, 1.8),
    "US": (24.5, 49.4, -125.0, -66.9),
}

ALL_ADAPTERS: list[type[StaticCarrierAdapter]] = [
    PostNordStaticAdapter,
    BudbeeStaticAdapter,
    InstaboxStaticAdapter,
    DhlStaticAdapter,
    BringStaticAdapter,
]


def _request(
    *products: ProductQuery,
    country: str = "SE",
    postal_code: str = "111 51",
    city: str = "Stockholm",
    now: dt.datetime = THURSDAY,
    max_locations: int = 5,
    credentials: dict[str, Any] | None = None,
) -> QuoteRequest:
    return QuoteRequest(
        merchant_ref="demo",
        agreement=AgreementCredentials(
            agreement_id=1, customer_number="C-1", credentials=credentials or {}
        ),
        products=products,
        recipient=Address(country=country, postal_code=postal_code, city=city),
        parcels=(Parcel(weight_g=1200),),
        currency="SEK",
        now=now,
        max_locations=max_locations,
    )


def _pickup(code: str = "19") -> ProductQuery:
    return ProductQuery(code=code, kind=ProductKind.PICKUP_POINT, wants_locations=True)


def _locker(code: str) -> ProductQuery:
    return ProductQuery(code=code, kind=ProductKind.LOCKER, wants_locations=True)


def _home(code: str) -> ProductQuery:
    return ProductQuery(code=code, kind=ProductKind.HOME, wants_timeslots=True)


# --- the tables -------------------------------------------------------------------------------


def test_each_adapter_has_its_slug_name_and_product_codes() -> None:
    assert {adapter.slug: (adapter.name, list(adapter.products)) for adapter in ALL_ADAPTERS} == {
        "postnord": ("PostNord", ["17", "19", "30", "11"]),
        "budbee": ("Budbee", ["home", "DLVBOX"]),
        "instabox": ("Instabox", ["LOCKER_EXPRESS", "HOME_DELIVERY"]),
        "dhl": ("DHL", ["103", "109", "401"]),
        "bring": ("Bring", ["5800", "5600", "3584", "3570", "PICKUP_PARCEL"]),
    }


def test_product_names_come_from_the_catalogue() -> None:
    assert PostNordStaticAdapter().product_name("19") == "MyPack Collect"
    assert BringStaticAdapter().product_name("5800") == "Pakke til hentested"
    for adapter in ALL_ADAPTERS:
        assert adapter.products == {code: p.name for code, p in adapter().catalogue.items()}


@pytest.mark.parametrize("adapter", ALL_ADAPTERS, ids=lambda a: a.slug)
def test_capabilities_match_the_catalogue(adapter: type[StaticCarrierAdapter]) -> None:
    kinds = {kind for product in adapter().catalogue.values() for kind in product.kinds}
    has_slots = any(product.timeslots for product in adapter().catalogue.values())
    has_points = bool(kinds & {ProductKind.PICKUP_POINT, ProductKind.LOCKER})

    assert (Capability.TIMESLOTS in adapter.capabilities) is has_slots
    assert (Capability.LOCATIONS in adapter.capabilities) is has_points
    assert Capability.QUOTE in adapter.capabilities
    assert Capability.BOOKING not in adapter.capabilities


@pytest.mark.parametrize("adapter", ALL_ADAPTERS, ids=lambda a: a.slug)
def test_every_served_country_and_location_kind_has_its_table(
    adapter: type[StaticCarrierAdapter],
) -> None:
    assert adapter().countries <= set(MARKETS)
    if ProductKind.PICKUP_POINT in {k for p in adapter().catalogue.values() for k in p.kinds}:
        assert LocationKind.SERVICE_POINT in adapter.location_names
    if ProductKind.LOCKER in {k for p in adapter().catalogue.values() for k in p.kinds}:
        assert LocationKind.LOCKER in adapter.location_names


def test_the_catalogue_is_the_declarations_own() -> None:
    for adapter in ALL_ADAPTERS:
        declaration = adapter.declaration
        assert declaration is not None
        assert {code: p.kinds for code, p in adapter().catalogue.items()} == {
            p.code: p.kinds for p in declaration.products
        }
        assert adapter().countries == declaration.countries & set(MARKETS)


def test_served_countries() -> None:
    assert {adapter.slug: adapter().countries for adapter in ALL_ADAPTERS} == {
        "postnord": {"SE", "NO", "DK", "FI"},
        "budbee": {"SE", "NO", "DK", "FI", "NL"},
        "instabox": {"SE", "NO", "DK", "FI", "NL"},
        "dhl": {"SE", "DK", "FI", "DE", "AT", "NL"},
        "bring": {"SE", "NO", "DK", "FI"},
    }


# --- quotes -----------------------------------------------------------------------------------


def test_same_request_gives_equal_answers_from_separate_instances() -> None:
    request = _request(_pickup(), _locker("19"), _home("17"))

    assert PostNordStaticAdapter().quote(request=request) == PostNordStaticAdapter().quote(
        request=request
    )


def test_one_quote_per_product_in_request_order() -> None:
    request = _request(_home("17"), _pickup("19"), ProductQuery("30", ProductKind.MAILBOX))

    quotes = PostNordStaticAdapter().quote(request=request)

    assert [quote.product for quote in quotes] == ["17", "19", "30"]
    assert [quote.available for quote in quotes] == [True, True, True]


def test_static_source_has_no_prices() -> None:
    quotes = BringStaticAdapter().quote(request=_request(_pickup("5800"), _home("5600")))

    assert [quote.price for quote in quotes] == [None, None]


def test_unknown_product_is_unavailable() -> None:
    quotes = PostNordStaticAdapter().quote(request=_request(_home("99")))

    assert quotes == [Quote(product="99", available=False, reason="unknown product")]


def test_product_asked_for_a_kind_it_does_not_serve_is_unavailable() -> None:
    quotes = BudbeeStaticAdapter().quote(request=_request(_pickup("DLVBOX")))

    assert quotes == [
        Quote(product="DLVBOX", available=False, reason="product does not deliver to pickup_point")
    ]


def test_country_not_served_is_unavailable() -> None:
    request = _request(_locker("LOCKER_EXPRESS"), country="FI", postal_code="00100")

    quotes = InstaboxStaticAdapter().quote(request=request)

    assert quotes == [Quote(product="LOCKER_EXPRESS", available=False, reason="country not served")]


def test_missing_country_is_not_served() -> None:
    quotes = PostNordStaticAdapter().quote(request=_request(_pickup(), country="", postal_code=""))

    assert quotes == [Quote(product="19", available=False, reason="country not served")]


def test_country_is_read_case_insensitively() -> None:
    quotes = PostNordStaticAdapter().quote(request=_request(_pickup(), country="se"))

    assert quotes[0].available is True
    assert quotes[0].locations[0].address.country == "SE"


def test_without_postal_code_the_answer_is_a_preview() -> None:
    request = _request(_pickup(), _home("17"), postal_code="", city="")

    quotes = PostNordStaticAdapter().quote(request=request)

    assert quotes == [
        Quote(product="19", available=True, delivery=DeliveryEstimate(1, 3)),
        Quote(product="17", available=True, delivery=DeliveryEstimate(1, 2)),
    ]


def test_delivery_estimates() -> None:
    quotes = BudbeeStaticAdapter().quote(
        request=_request(_home("home"), _locker("DLVBOX"), postal_code="")
    )

    assert [quote.delivery for quote in quotes] == [
        DeliveryEstimate(
            earliest_days=1,
            latest_days=2,
            time_of_day_start=dt.time(17, 0),
            time_of_day_end=dt.time(22, 0),
        ),
        DeliveryEstimate(earliest_days=1, latest_days=2),
    ]


# --- locations --------------------------------------------------------------------------------


def test_pickup_point_locations() -> None:
    (quote,) = PostNordStaticAdapter().quote(request=_request(_pickup()))

    assert [location.id for location in quote.locations] == [
        "postnord-SE-11151-1",
        "postnord-SE-11151-2",
        "postnord-SE-11151-3",
        "postnord-SE-11151-4",
        "postnord-SE-11151-5",
    ]
    assert {location.kind for location in quote.locations} == {LocationKind.SERVICE_POINT}
    assert {
        (location.address.country, location.address.postal_code, location.address.city)
        for location in quote.locations
    } == {("SE", "111 51", "Stockholm")}
    distances = [location.distance_m or 0 for location in quote.locations]
    assert distances == sorted(set(distances))
    assert 200 <= distances[0] <= 1500


def test_first_location_is_pinned_across_processes() -> None:
    # Exact values: a hash salted per process (hash()) would change them between runs.
    (quote,) = PostNordStaticAdapter().quote(request=_request(_pickup()))
    first = quote.locations[0]

    assert first.id == "postnord-SE-11151-1"
    assert first.name == "Pressbyrån Sveavägen"
    assert first.address == Address(
        country="SE", postal_code="111 51", city="Stockholm", street_address="Sveavägen 71"
    )
    assert first.coordinates == Coordinates(lat=61.4047, lng=16.173583)
    assert first.distance_m == 1475


def test_postal_code_spacing_does_not_change_the_locations() -> None:
    spaced = PostNordStaticAdapter().quote(request=_request(_pickup(), postal_code="111 51"))
    compact = PostNordStaticAdapter().quote(request=_request(_pickup(), postal_code="11151"))

    assert [loc.id for loc in spaced[0].locations] == [loc.id for loc in compact[0].locations]
    assert [loc.coordinates for loc in spaced[0].locations] == [
        loc.coordinates for loc in compact[0].locations
    ]


def test_service_point_opening_hours() -> None:
    (quote,) = PostNordStaticAdapter().quote(request=_request(_pickup()))

    for location in quote.locations:
        hours = location.opening_hours
        assert [entry.weekday for entry in hours] == [0, 1, 2, 3, 4, 5, 6]
        assert len({(entry.opens, entry.closes) for entry in hours[:5]}) == 1
        assert dt.time(7) <= hours[0].opens <= dt.time(9)
        assert dt.time(20) <= hours[0].closes <= dt.time(22)
        assert hours[5:] == (
            OpeningHours(5, dt.time(10), dt.time(18)),
            OpeningHours(6, dt.time(10), dt.time(18)),
        )
    assert quote.locations[0].opening_hours[0] == OpeningHours(0, dt.time(7), dt.time(20))


def test_locker_locations_are_always_open() -> None:
    (quote,) = BudbeeStaticAdapter().quote(request=_request(_locker("DLVBOX")))

    assert [location.id for location in quote.locations] == [
        f"budbee-SE-11151-L{index}" for index in range(1, 6)
    ]
    assert {location.kind for location in quote.locations} == {LocationKind.LOCKER}
    assert all(location.name.startswith("Budbee Box ") for location in quote.locations)
    for location in quote.locations:
        assert location.opening_hours == tuple(
            OpeningHours(day, dt.time(0, 0), dt.time(23, 59)) for day in range(7)
        )


def test_lockers_and_service_points_of_one_product_are_different_places() -> None:
    pickup, locker = PostNordStaticAdapter().quote(request=_request(_pickup(), _locker("19")))

    assert {loc.kind for loc in pickup.locations} == {LocationKind.SERVICE_POINT}
    assert {loc.kind for loc in locker.locations} == {LocationKind.LOCKER}
    assert not {loc.id for loc in pickup.locations} & {loc.id for loc in locker.locations}
    assert all(loc.name.startswith("PostNord Parcel Locker ") for loc in locker.locations)


def test_carriers_differ_at_the_same_postal_code() -> None:
    (postnord,) = PostNordStaticAdapter().quote(request=_request(_pickup()))
    (dhl,) = DhlStaticAdapter().quote(request=_request(_pickup("103")))

    assert [loc.coordinates for loc in postnord.locations] != [
        loc.coordinates for loc in dhl.locations
    ]
    assert all(loc.name.startswith("DHL Service Point ") for loc in dhl.locations)


def test_bring_names_norwegian_service_points_post_i_butikk() -> None:
    norway = _request(_pickup("5800"), country="NO", postal_code="0150", city="Oslo")
    sweden = _request(_pickup("5800"))

    (in_norway,) = BringStaticAdapter().quote(request=norway)
    (in_sweden,) = BringStaticAdapter().quote(request=sweden)

    assert all(loc.name.startswith("Post i Butikk ") for loc in in_norway.locations)
    assert not any(loc.name.startswith("Post i Butikk ") for loc in in_sweden.locations)


def test_english_speaking_markets_put_the_house_number_first() -> None:
    recipient = Address(country="GB", postal_code="SW1A 1AA", city="London")

    locations = DhlStaticAdapter().locations_near(
        kind=LocationKind.SERVICE_POINT, recipient=recipient, count=3
    )

    assert locations[0].id == "dhl-GB-SW1A1AA-1"
    assert locations[0].address.street_address.split(" ")[0].isdigit()


@pytest.mark.parametrize("max_locations", [0, 1, 3, 10])
def test_max_locations_is_respected(max_locations: int) -> None:
    request = _request(_pickup(), max_locations=max_locations)

    (quote,) = PostNordStaticAdapter().quote(request=request)

    assert len(quote.locations) == max_locations


def test_locations_are_capped() -> None:
    (quote,) = PostNordStaticAdapter().quote(request=_request(_pickup(), max_locations=500))

    assert len(quote.locations) == 20


def test_no_locations_unless_asked() -> None:
    query = ProductQuery(code="19", kind=ProductKind.PICKUP_POINT)

    (quote,) = PostNordStaticAdapter().quote(request=_request(query))

    assert quote.available is True
    assert quote.locations == ()


def test_home_product_has_no_locations() -> None:
    query = ProductQuery(code="17", kind=ProductKind.HOME, wants_locations=True)

    (quote,) = PostNordStaticAdapter().quote(request=_request(query))

    assert quote.locations == ()


@pytest.mark.parametrize("country", sorted(COUNTRY_BOXES))
@pytest.mark.parametrize("postal_code", ["0010", "11151", "99999", "1012 AB", "W1A 0AX"])
def test_locations_lie_inside_the_country(country: str, postal_code: str) -> None:
    # The map of every market, through the points the sandbox shows (whatever we offer there).
    lat_min, lat_max, lng_min, lng_max = COUNTRY_BOXES[country]
    recipient = Address(country=country, postal_code=postal_code)

    locations = DhlStaticAdapter().locations_near(
        kind=LocationKind.SERVICE_POINT, recipient=recipient, count=10
    )

    assert len(locations) == 10
    for location in locations:
        assert location.address.country == country
        assert location.coordinates is not None
        assert lat_min < location.coordinates.lat < lat_max
        assert lng_min < location.coordinates.lng < lng_max


# --- timeslots --------------------------------------------------------------------------------


def test_timeslots_are_five_weekday_evenings_after_now() -> None:
    (quote,) = BudbeeStaticAdapter().quote(request=_request(_home("home")))

    assert [slot.id for slot in quote.timeslots] == [
        "2026-11-27T17:00",
        "2026-11-30T17:00",
        "2026-12-01T17:00",
        "2026-12-02T17:00",
        "2026-12-03T17:00",
    ]
    for slot in quote.timeslots:
        assert slot.start.tzinfo is not None
        assert slot.start.astimezone(STOCKHOLM).time() == dt.time(17, 0)
        assert slot.end.astimezone(STOCKHOLM).time() == dt.time(22, 0)
        assert slot.start.astimezone(STOCKHOLM).weekday() < 5
        assert slot.cutoff == dt.datetime.combine(
            slot.start.astimezone(STOCKHOLM).date(), dt.time(12, 0), tzinfo=STOCKHOLM
        )
        assert slot.cutoff > THURSDAY
    assert quote.timeslots[0].start == dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)


def test_timeslots_start_after_the_local_day_of_now() -> None:
    # 23:30 UTC on Sunday is already Monday 00:30 in Stockholm: the first slot is Tuesday.
    late_sunday = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)

    (quote,) = BudbeeStaticAdapter().quote(request=_request(_home("home"), now=late_sunday))

    assert quote.timeslots[0].id == "2026-12-01T17:00"


def test_timeslots_from_a_friday_skip_the_weekend() -> None:
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=STOCKHOLM)

    (quote,) = InstaboxStaticAdapter().quote(request=_request(_home("HOME_DELIVERY"), now=friday))

    assert [slot.id for slot in quote.timeslots] == [
        "2026-11-30T17:00",
        "2026-12-01T17:00",
        "2026-12-02T17:00",
        "2026-12-03T17:00",
        "2026-12-04T17:00",
    ]


def test_timeslots_keep_local_hours_across_a_dst_change() -> None:
    # Summer time starts on Sunday 29 March 2026 in Europe.
    friday = dt.datetime(2026, 3, 26, 12, 0, tzinfo=dt.UTC)

    (quote,) = BudbeeStaticAdapter().quote(request=_request(_home("home"), now=friday))

    before, after = quote.timeslots[0], quote.timeslots[1]
    assert (before.id, after.id) == ("2026-03-27T17:00", "2026-03-30T17:00")
    assert before.start.utcoffset() == dt.timedelta(hours=1)
    assert after.start.utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("country", "postal_code", "zone"),
    [
        ("NO", "0150", "Europe/Oslo"),
        ("FI", "00100", "Europe/Helsinki"),
        ("DK", "1050", "Europe/Copenhagen"),
    ],
)
def test_timeslots_use_the_recipients_time_zone(country: str, postal_code: str, zone: str) -> None:
    request = _request(_home("home"), country=country, postal_code=postal_code)

    (quote,) = BudbeeStaticAdapter().quote(request=request)

    first = quote.timeslots[0]
    assert first.start == dt.datetime(2026, 11, 27, 17, 0, tzinfo=ZoneInfo(zone))
    assert first.end == dt.datetime(2026, 11, 27, 22, 0, tzinfo=ZoneInfo(zone))


def test_naive_now_is_read_as_utc() -> None:
    naive = THURSDAY.replace(tzinfo=None)

    aware_quotes = BudbeeStaticAdapter().quote(request=_request(_home("home")))
    naive_quotes = BudbeeStaticAdapter().quote(request=_request(_home("home"), now=naive))

    assert naive_quotes == aware_quotes


def test_product_without_slots_has_none() -> None:
    (quote,) = PostNordStaticAdapter().quote(request=_request(_home("17")))

    assert quote.available is True
    assert quote.timeslots == ()


def test_no_timeslots_unless_asked() -> None:
    query = ProductQuery(code="home", kind=ProductKind.HOME)

    (quote,) = BudbeeStaticAdapter().quote(request=_request(query))

    assert quote.timeslots == ()


# --- behaviour triggers -----------------------------------------------------------------------


def test_fail_trigger_raises_carrier_unavailable() -> None:
    request = _request(_pickup(), credentials={"static_behaviour": "fail"})

    with pytest.raises(CarrierUnavailable) as excinfo:
        PostNordStaticAdapter().quote(request=request)

    assert excinfo.value.carrier == "postnord"
    assert str(excinfo.value) == "static source told to fail"


def test_reject_trigger_raises_carrier_rejected() -> None:
    request = _request(_home("home"), credentials={"static_behaviour": "reject"})

    with pytest.raises(CarrierRejected) as excinfo:
        BudbeeStaticAdapter().quote(request=request)

    assert excinfo.value.carrier == "budbee"
    assert excinfo.value.messages == (
        CarrierMessage(code="STATIC_REJECT", text="Rejected by static_behaviour"),
    )
    assert not isinstance(excinfo.value, CarrierUnavailable)


def test_slow_trigger_sleeps_then_answers_normally() -> None:
    slow = _request(
        _pickup(), credentials={"static_behaviour": "slow", "static_delay_seconds": 0.05}
    )

    started = time.monotonic()
    quotes = PostNordStaticAdapter().quote(request=slow)
    elapsed = time.monotonic() - started

    assert elapsed >= 0.05
    assert quotes == PostNordStaticAdapter().quote(request=_request(_pickup()))


def test_unknown_behaviour_is_ignored() -> None:
    request = _request(_pickup(), credentials={"static_behaviour": "explode"})

    quotes = PostNordStaticAdapter().quote(request=request)

    assert quotes == PostNordStaticAdapter().quote(request=_request(_pickup()))


def test_credentials_are_not_part_of_the_answer() -> None:
    plain = _request(_pickup())
    other_agreement = dataclasses.replace(
        plain, agreement=AgreementCredentials(agreement_id=2, customer_number="C-2")
    )

    assert PostNordStaticAdapter().quote(request=plain) == PostNordStaticAdapter().quote(
        request=other_agreement
    )
