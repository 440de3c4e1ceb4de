"""PostNord code tables and the ETA arithmetic; the sandbox's own answers to bad input."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import requests

from carriers.calendar import business_days_between
from carriers.declaration import Operation, Verdict
from carriers.postnord import mappers, units
from carriers.postnord.adapter import PostNordAdapter, delivery_estimate
from carriers.postnord.declaration import DECLARATION
from carriers.types import DeliveryEstimate, ProductKind, TrackingStatus
from tests.conftest import Sandbox

from .conftest import API_KEY

THURSDAY = dt.date(2026, 11, 26)


def test_the_static_sources_product_codes_are_all_accepted() -> None:
    from carriers.static import PostNordStaticAdapter

    assert set(PostNordStaticAdapter().catalogue) <= set(units.PRODUCTS)
    for code, product in PostNordStaticAdapter().catalogue.items():
        assert product.kinds <= units.PRODUCTS[code].kinds


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("EN_ROUTE", "31", TrackingStatus.IN_TRANSIT),
        ("EN_ROUTE", "113", TrackingStatus.OUT_FOR_DELIVERY),
        ("AVAILABLE_FOR_DELIVERY", "", TrackingStatus.READY_FOR_PICKUP),
        ("AVAILABLE_FOR_DELIVERY_PAR_LOC", "", TrackingStatus.READY_FOR_PICKUP),
        ("DELIVERED", "21", TrackingStatus.DELIVERED),
        ("DELIVERY_IMPOSSIBLE", "", TrackingStatus.DELIVERY_FAILED),
        ("RETURNED", "", TrackingStatus.RETURNED),
        ("INFORMED", "", TrackingStatus.PENDING),
        ("OTHER", "z04", TrackingStatus.UNKNOWN),
    ],
)
def test_tracking_statuses_map_to_ours(status: str, code: str, expected: TrackingStatus) -> None:
    assert units.tracking_status(status, code) is expected


def test_an_unknown_tracking_status_is_unknown_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="carriers.postnord.units"):
        status = units.tracking_status("TELEPORTED", "x1")

    assert status is TrackingStatus.UNKNOWN
    assert "unknown PostNord tracking status 'TELEPORTED'" in caplog.text


@pytest.mark.parametrize(
    ("end", "days"),
    [
        (dt.date(2026, 11, 26), 0),  # today
        (dt.date(2026, 11, 27), 1),  # Friday
        (dt.date(2026, 11, 28), 2),  # Saturday delivery counts
        (dt.date(2026, 11, 30), 2),  # Monday: the weekend does not
        (dt.date(2026, 12, 1), 3),
    ],
)
def test_business_days_from_thursday(end: dt.date, days: int) -> None:
    # PostNord delivers on Saturdays: a weekend arrival counts as a day.
    assert business_days_between(THURSDAY, end, weekend_end=True) == days


def test_the_estimate_prefers_postnords_day_range_then_its_arrival_then_the_default() -> None:
    default = units.PRODUCTS["17"]
    ranged = mappers.ServiceAvailability("18", "Parcel", True, days_min=3, days_max=4)
    window = mappers.ServiceAvailability(
        "17",
        "Home",
        True,
        arrival_earliest=dt.datetime(2026, 11, 27, 9, 0),
        arrival_latest=dt.datetime(2026, 11, 30, 14, 0),
    )

    assert delivery_estimate(ranged, today=THURSDAY, default=default) == DeliveryEstimate(3, 4)
    assert delivery_estimate(window, today=THURSDAY, default=default) == DeliveryEstimate(1, 2)
    assert delivery_estimate(None, today=THURSDAY, default=default) == DeliveryEstimate(1, 2)


def test_the_product_catalogue_is_the_declarations() -> None:
    assert PostNordAdapter.declaration is DECLARATION
    assert PostNordAdapter.slug == "postnord"
    assert (
        PostNordAdapter.products
        == units.PRODUCT_NAMES
        == {
            "17": "MyPack Home",
            "19": "MyPack Collect",
            "30": "MyPack Home Small",
            "11": "Varubrev Ekonomi",
        }
    )
    assert units.PRODUCTS["19"].kinds == {ProductKind.PICKUP_POINT, ProductKind.LOCKER}
    assert units.COUNTRIES == DECLARATION.countries == {"SE", "NO", "DK", "FI"}
    assert DECLARATION.check_product == "19"
    assert DECLARATION.secret_credential_keys == {"api_key"}
    assert {f.key for f in DECLARATION.credentials} == {
        units.CREDENTIAL_API_KEY,
        units.CREDENTIAL_APPLICATION_ID,
        units.CREDENTIAL_ISSUER_CODE,
        units.CREDENTIAL_ORIGIN_POSTAL_CODE,
        units.CREDENTIAL_ORIGIN_COUNTRY,
    }


def test_every_operation_has_a_verdict_and_the_ones_not_offered_are_not_supported() -> None:
    assert set(DECLARATION.fidelity) == set(Operation)
    assert [op for op in Operation if not DECLARATION.supports(op)] == [
        Operation.TIMESLOTS,
        Operation.PRICES,
    ]
    assert DECLARATION.fidelity[Operation.CANCEL] is Verdict.UNVERIFIED


@pytest.mark.parametrize(
    ("country", "supported"),
    [("SE", True), ("se", True), ("Z12", True), ("DK", False), ("NO", False), ("FI", False)],
)
def test_only_a_swedish_instruction_can_be_deleted(country: str, supported: bool) -> None:
    # Booking swagger, updateIndicator: "Update and Deletion are not supported for (Z11=PostNord
    # Denmark, Z13=PostNord Norway, Z14=PostNord Finland)".
    assert units.cancel_supported(country) is supported


def test_postal_codes_lose_their_spaces() -> None:
    assert mappers.postal_code_normalise(" 111 51 ") == "11151"
    assert mappers.postal_code_normalise("ax-22100") == "AX-22100"


# --- The sandbox speaks PostNord -------------------------------------------------------------


def test_the_sandbox_refuses_a_call_without_apikey_like_the_api_gateway(sandbox: Sandbox) -> None:
    response = requests.get(
        sandbox.url("postnord") + "/rest/businesslocation/v5/servicepoints/nearest/byaddress",
        params={"countryCode": "SE", "postalCode": "11151"},
        timeout=5,
    )

    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["status_code"], error["error_type"], error["message"]) == (
        403,
        "Forbidden",
        "Invalid API Key",
    )


def test_the_sandbox_answers_a_missing_parameter_with_a_composite_fault(sandbox: Sandbox) -> None:
    response = requests.get(
        sandbox.url("postnord") + "/rest/businesslocation/v5/servicepoints/nearest/byaddress",
        params={"apikey": API_KEY, "postalCode": "11151"},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json() == {
        "message": "Query parameter missing",
        "compositeFault": {
            "faults": [
                {
                    "faultCode": "API-005",
                    "explanationText": "Missing parameter",
                    "paramValues": [{"param": "countryCode", "value": ""}],
                }
            ]
        },
    }


def test_the_sandbox_transit_time_does_not_book_outside_the_nordics(sandbox: Sandbox) -> None:
    response = requests.get(
        sandbox.url("postnord") + "/rest/transport/v2/transittime/addresstoaddress",
        params={
            "apikey": API_KEY,
            "startTime": "2026-11-26T09:00",
            "serviceCodes": "17,77",
            "originPostalCode": "11218",
            "originCountryCode": "SE",
            "destinationPostalCode": "10115",
            "destinationCountryCode": "DE",
        },
        timeout=5,
    )

    assert response.status_code == 200
    assert [(e["isSupported"], e["isBookable"], e["errorMessage"]) for e in response.json()] == [
        (True, False, "Service SE-17 is not offered to postal code 10115"),
        (False, False, "Requested service 'SE-77' not found."),
    ]
