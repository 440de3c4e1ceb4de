"""The DHL sandbox speaks DHL's wire format: auth refusals, validation errors, lookups."""

from __future__ import annotations

import base64
from typing import Any

import requests

from tests.conftest import Sandbox

from .builders import API_KEY, CLIENT_KEY, fixture_json

FARM = {"client-key": CLIENT_KEY}
GROUP = {"DHL-API-Key": API_KEY}
BOOK = "/transportinstructionapi/v1/transportinstruction/sendtransportinstruction"


def _instruction(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productCode": "401",
        "payerCode": {"code": "1"},
        "references": [{"qualifier": "CU", "value": "sbx-1"}],
        "parties": [
            {
                "type": "Consignor",
                "id": "116768",
                "address": {"postalCode": "11143", "countryCode": "SE"},
            },
            {
                "type": "Consignee",
                "name": "Anna",
                "address": {"postalCode": "11151", "countryCode": "SE"},
            },
        ],
        "pieces": [{"numberOfPieces": 2, "weight": 1.5}],
    }
    body.update(changes)
    return body


def test_the_api_farm_refuses_a_request_without_client_key(sandbox: Sandbox) -> None:
    answer = requests.get(
        sandbox.url("dhl") + "/postalcodeapi/v1/postalcodes/SE/11151/route", timeout=5
    )

    assert answer.status_code == 401
    assert answer.json() == {"error": "No valid application matching client key"}


def test_the_group_apis_refuse_a_request_without_dhl_api_key(sandbox: Sandbox) -> None:
    answer = requests.get(
        sandbox.url("dhl") + "/track/shipments",
        params={"trackingNumber": "1"},
        headers=FARM,
        timeout=5,
    )

    assert answer.status_code == 401
    assert answer.json() == {
        "status": 401,
        "title": "Unauthorized",
        "detail": "Unauthorized for given resource.",
    }


def test_the_route_refuses_other_countries_like_the_postal_code_api(sandbox: Sandbox) -> None:
    answer = requests.get(
        sandbox.url("dhl") + "/postalcodeapi/v1/postalcodes/NO/0150/route", headers=FARM, timeout=5
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "Status": 400,
        "ErrorCode": 16009,
        "UserMessage": "Country 'NO' not supported.",
    }


def test_product_matches_answer_the_lane(sandbox: Sandbox) -> None:
    def codes(country: str) -> list[str]:
        answer = requests.post(
            sandbox.url("dhl") + "/productapi/v1/productmatches",
            json={
                "parties": [
                    {"type": "Consignor", "address": {"countryCode": "SE", "postalCode": "11143"}},
                    {"type": "Consignee", "address": {"countryCode": country, "postalCode": "1"}},
                ]
            },
            headers=FARM,
            timeout=5,
        )
        return [match["product"]["code"] for match in answer.json()]

    assert codes("SE") == ["502", "118", "104", "102", "402", "401", "103"]
    assert codes("DE") == ["109", "202", "112", "601", "233"]
    assert codes("CH") == ["202", "112", "601", "233"]


def test_a_transport_instruction_is_validated_like_dhl(sandbox: Sandbox) -> None:
    def book(body: dict[str, Any]) -> Any:
        return requests.post(sandbox.url("dhl") + BOOK, json=body, headers=FARM, timeout=5).json()

    access_point = {"type": "AccessPoint", "id": "SE-1", "address": {"countryCode": "SE"}}
    home_with_point = _instruction()
    home_with_point["parties"].append(access_point)

    assert book(home_with_point)["validationErrors"] == [
        {
            "errorCode": 22015,
            "field": "Parties[2]",
            "message": "AccessPoint Party is not allowed for this product",
        }
    ]
    assert book(_instruction(productCode="103"))["validationErrors"][0]["errorCode"] == 22001
    assert book(_instruction(productCode="777"))["validationErrors"][0]["errorCode"] == 22005
    assert book(_instruction(pieces=[]))["validationErrors"][0]["field"] == "Pieces"
    assert sandbox.bookings("dhl") == {}


def test_a_booking_is_counted_and_printed(sandbox: Sandbox) -> None:
    booked = requests.post(sandbox.url("dhl") + BOOK, json=_instruction(), headers=FARM, timeout=5)
    instruction = booked.json()["transportInstruction"]
    printed = requests.post(
        sandbox.url("dhl") + "/printapi/v1/print/printdocumentsbyid",
        json={"shipmentIds": [instruction["id"]], "options": {"label": True}},
        headers=FARM,
        timeout=5,
    ).json()

    assert booked.json()["status"] == "Succes"
    assert len(instruction["pieces"][0]["id"]) == 2
    assert sandbox.bookings("dhl") == {"sbx-1": 1}
    (report,) = printed["reports"]
    assert (report["name"], report["contentType"], report["type"], report["valid"]) == (
        f"label_{instruction['id']}.pdf",
        "application/pdf",
        "Label",
        True,
    )
    assert base64.b64decode(report["content"]).startswith(b"%PDF-1.4")


def test_printing_an_unknown_shipment_is_an_api_farm_error(sandbox: Sandbox) -> None:
    answer = requests.post(
        sandbox.url("dhl") + "/printapi/v1/print/printdocumentsbyid",
        json={"shipmentIds": ["123"]},
        headers=FARM,
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json() == {"status": "Error", "errorMessage": "No shipment found with id 123"}


def test_location_finder_requires_a_country_and_tracking_a_number(sandbox: Sandbox) -> None:
    finder = requests.get(
        sandbox.url("dhl") + "/location-finder/v1/find-by-address", headers=GROUP, timeout=5
    )
    tracking = requests.get(sandbox.url("dhl") + "/track/shipments", headers=GROUP, timeout=5)

    assert (finder.status_code, finder.json()["title"]) == (400, "Invalid input")
    assert (tracking.status_code, tracking.json()["detail"]) == (
        400,
        "Input is invalid: trackingNumber is required",
    )


def test_an_unknown_tracking_number_is_dhls_not_found(sandbox: Sandbox) -> None:
    answer = requests.get(
        sandbox.url("dhl") + "/track/shipments",
        params={"trackingNumber": "8264715546"},
        headers=GROUP,
        timeout=5,
    )

    assert answer.status_code == 404
    assert answer.json() == {
        "title": "No result found",
        "detail": "No shipment with given tracking number found.",
        "status": 404,
        "instance": "/shipment/8264715546",
    }


def _to_poland(**changes: Any) -> dict[str, Any]:
    body = _instruction(productCode="109", payerCode={"code": "022"}, **changes)
    body["parties"][1]["address"] = {"postalCode": "30-079", "countryCode": "PL"}
    body["parties"].append(
        {
            "type": "AccessPoint",
            "id": "8005-PL-4504339",
            "name": "DHL Parcelshop",
            "subType": "ParcelShop",
            "address": {"postalCode": "30-074", "countryCode": "PL"},
        }
    )
    return body


def test_poland_without_sent_is_refused_with_dhls_22001(sandbox: Sandbox) -> None:
    def book(body: dict[str, Any]) -> requests.Response:
        return requests.post(sandbox.url("dhl") + BOOK, json=body, headers=FARM, timeout=5)

    refused = book(_to_poland())
    free = book(_to_poland(additionalInformation=[{"code": "SENT_FREE", "stringValue": "true"}]))

    assert refused.status_code == 400
    assert refused.json() == fixture_json(
        "transportinstruction-response-error-22001-109-pl-without-sent.json"
    )
    assert free.status_code == 200
    assert free.json()["transportInstruction"]["additionalInformation"] == [
        {"code": "SENT_FREE", "stringValue": "true", "numericValue": 0.0}
    ]


def test_the_locator_names_norwegian_shops_and_filters_by_location_type(sandbox: Sandbox) -> None:
    def points(*types: str) -> list[dict[str, Any]]:
        answer = requests.post(
            sandbox.url("dhl") + "/servicepointlocatorapi/v1/servicepoint/findnearestservicepoints",
            json={
                "address": {"countryCode": "NO", "postalCode": "0150"},
                "maxNumberOfItems": 6,
                **({"locationTypes": list(types)} if types else {}),
            },
            headers=FARM,
            timeout=5,
        )
        result: list[dict[str, Any]] = answer.json()["servicePoints"]
        return result

    counters = points("servicepoint", "postoffice")
    shops_only = points("servicepoint")

    assert {p["locationType"] for p in counters} == {"servicepoint", "postoffice"}
    assert {p["locationType"] for p in shops_only} == {"servicepoint"}
    assert {p["name"] for p in counters} == {"SHOP"}
    assert all(p["shopName"] for p in counters)
    assert {p["locationType"] for p in points()} == {"servicepoint", "postoffice", "locker"}
