"""ksa_simulate: a whole Klarna checkout over HTTP, against live_server and canned answers."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command
from requests.structures import CaseInsensitiveDict

from tms_gateway.ksa import simulator
from tms_gateway.ksa.simulator import (
    STEP_NAMES,
    KsaClient,
    SimulationSetupError,
    auth_payload,
    checkout_run,
    format_money,
    option_choose,
    scenario_build,
    selection_payload,
)

KEY = "demo-key"


def _simulate(*args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("ksa_simulate", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def demo_shop() -> None:
    from merchants.demo import demo_merchant_seed

    demo_merchant_seed(identifier="demo", key=KEY)


# --- against the real gateway -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_full_checkout_against_live_server_confirms_a_shipment(
    live_server: Any, demo_shop: None
) -> None:
    from tms_gateway.shipments.models import Shipment

    output, error = _simulate(
        "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", KEY
    )

    assert error is None, output
    for number, name in enumerate(STEP_NAMES, start=1):
        assert f"{number}. ✔ {name} — HTTP " in output
    assert "✘" not in output
    shipment_id = output.split("shipment_id ", 1)[1].split()[0]
    assert "checkout completed in" in output
    assert f"shipment {shipment_id} confirmed" in output
    assert Shipment.objects.get(public_id=shipment_id).status == "confirmed"
    # the key is never printed, the token only as a 12-character prefix
    assert KEY not in output
    token_line = next(line for line in output.splitlines() if "token " in line)
    assert len(token_line.split("token ", 1)[1]) == 12 + len("…")


@pytest.mark.django_db(transaction=True)
def test_every_demo_market_completes_a_checkout_with_each_option(
    live_server: Any, demo_shop: None
) -> None:
    from tms_gateway.shipments.models import Shipment

    done: list[tuple[str, str]] = []
    for country in ("SE", "NO", "FI", "DK", "DE", "AT", "NL", "CH", "GB", "US"):
        output, error = _simulate(
            "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", KEY,
            "--country", country, "--json",
        )  # fmt: skip
        assert error is None, (country, output)
        offered = json.loads(output)["offered_options"]
        assert len(offered) >= 2, (country, offered)
        for option_id in offered:
            output, error = _simulate(
                "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", KEY,
                "--country", country, "--option", option_id, "--json",
            )  # fmt: skip
            assert error is None, (country, option_id, output)
            done.append((country, option_id))

    assert Shipment.objects.filter(status="confirmed").count() == len(done) + 10
    # Every demo option but the letter, which the simulator's 30 cm parcel does not fit.
    assert {option for _, option in done} == {
        "postnord-home", "budbee-home", "courier-international", "courier-international-express",
        "instabox-locker", "budbee-box",
        "postnord-service-point", "dhl-service-point", "dhl-service-point-se",
        "bring-pickup-point", "bring-pickup-point-se", "store-pickup", "own-courier",
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_wrong_key_fails_at_auth_with_401(live_server: Any, demo_shop: None) -> None:
    from tms_gateway.shipments.models import Shipment

    output, error = _simulate(
        "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", "wrong"
    )

    assert error is not None
    assert error.returncode == 1
    assert "step 1 (auth) failed: HTTP 401" in str(error)
    assert "1. ✘ auth — HTTP 401" in output
    assert "2. - shippingoptions (preview) — skipped" in output
    assert "✔" not in output
    assert not Shipment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_json_report_lists_six_successful_steps(live_server: Any, demo_shop: None) -> None:
    output, error = _simulate(
        "--base-url", f"{live_server.url}/ksa/v1", "--identifier", "demo", "--key", KEY, "--json"
    )

    assert error is None, output
    report = json.loads(output)
    assert report["ok"] is True
    assert report["shipment_id"]
    assert [s["name"] for s in report["steps"]] == list(STEP_NAMES)
    assert [s["ok"] for s in report["steps"]] == [True] * 6
    assert [s["status"] for s in report["steps"]] == [201, 200, 200, 201, 200, 200]
    assert all(isinstance(s["ms"], int) for s in report["steps"])


def test_unreachable_gateway_exits_1_with_a_connection_error() -> None:
    output, error = _simulate(
        "--base-url", "http://127.0.0.1:9", "--identifier", "demo", "--key", KEY, "--timeout", "2"
    )

    assert error is not None
    assert error.returncode == 1
    assert "1. ✘ auth — no response" in output
    assert "connection error: Connection refused (POST http://127.0.0.1:9/auth)" in output
    assert "step 1 (auth) failed: connection error: Connection refused" in str(error)


def test_unknown_country_without_currency_is_refused_before_any_request() -> None:
    with pytest.raises(CommandError, match="pass --currency and --locale"):
        call_command(
            "ksa_simulate", "--base-url", "http://127.0.0.1:9", "--identifier", "d", "--key", "k",
            "--country", "XX", stdout=io.StringIO(),
        )  # fmt: skip


# --- against canned answers (failure modes the real gateway should not produce) ----------------


class _CannedSession(requests.Session):
    """Answers (method, path suffix) from a table; records what was sent."""

    def __init__(self, answers: dict[tuple[str, str], tuple[int, Any, dict[str, str]]]) -> None:
        super().__init__()
        self.answers = answers
        self.sent: list[tuple[str, str, dict[str, str], Any]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert kwargs["timeout"]
        body = json.loads(kwargs["data"]) if kwargs.get("data") else None
        self.sent.append((method, url, kwargs["headers"], body))
        path = url.removeprefix("http://gw/ksa/v1")
        status, payload, headers = self.answers[(method, path)]
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        text = payload if isinstance(payload, str) else json.dumps(payload)
        response._content = text.encode()
        response.encoding = "utf-8"
        return response


OPTIONS: list[dict[str, Any]] = [
    {
        "id": "pn-home",
        "name": "PostNord home",
        "type": "delivery-address",
        "carrier": "postnord",
        "class": "standard",
        "price": 6900,
        "tax_rate": 2500,
        "addons": [
            {"id": "sms", "type": "sms", "price": 0, "preselected": True, "required": False},
            {"id": "code", "type": "entry-code", "price": 0, "required": True, "max_length": 10},
            {"id": "gift", "type": "gift", "price": 1000, "preselected": False},
        ],
        "timeslots": [{"id": "t1", "start": "2030-01-01T17:00", "end": "2030-01-01T21:00"}],
    },
    {
        "id": "pn-sp",
        "name": "PostNord Ombud",
        "type": "pickup-point",
        "carrier": "postnord",
        "class": "standard",
        "price": 4900,
        "tax_rate": 2500,
        "preselected": True,
        "locations": [
            {
                "id": f"SE-{i}",
                "name": f"Ombud {i}",
                "address": {
                    "street_address": f"Gatan {i}",
                    "postal_code": "11151",
                    "city": "Sthlm",
                },
                "distance": 250 * i,
            }
            for i in range(1, 6)
        ],
    },
]


def _answers(**overrides: tuple[int, Any, dict[str, str]]) -> dict[Any, Any]:
    table: dict[Any, Any] = {
        ("POST", "/auth"): (201, {"token": "abcdefghijklmnopqrstuvwxyz"}, {}),
        ("POST", "/shippingoptions"): (200, {"shipping_options": OPTIONS}, {}),
        ("POST", "/shipment"): (
            201,
            {"shipment_id": "s-1", "selected_shipping_option": {"carrier": "postnord"}},
            {"Location": "/ksa/v1/shipment/s-1"},
        ),
        ("POST", "/shipment/s-1/confirm"): (200, "", {}),
        ("GET", "/shipment/s-1"): (
            200,
            {
                "shipment_id": "s-1",
                "status": "confirmed",
                "selected_shipping_option": {
                    "carrier": "postnord",
                    "carrier_product": {"identifier": "P19", "name": "MyPack Collect"},
                },
            },
            {},
        ),
    }
    for name, answer in overrides.items():
        table[
            {"options": ("POST", "/shippingoptions"), "shipment": ("POST", "/shipment")}[name]
        ] = answer
    return table


def _run(session: _CannedSession, **scenario: Any) -> Any:
    built = scenario_build(base_url="http://gw/ksa/v1/", identifier="demo", key=KEY, **scenario)
    return checkout_run(built, client=KsaClient(built.base_url, session=session))


def test_requests_follow_the_wire_contract() -> None:
    session = _CannedSession(_answers())

    report = _run(session, tags=["member", "vip"])

    assert report.ok and report.shipment_id == "s-1"
    (auth, preview, full, shipment, confirm, get) = session.sent
    assert auth[2]["Content-Type"] == "application/vdn.klarna.shipping.auth-v1+json"
    assert auth[3]["identifier"] == "demo" and "Authorization" not in auth[2]
    assert preview[2]["Authorization"] == "Bearer abcdefghijklmnopqrstuvwxyz"
    assert preview[2]["Content-Type"] == "application/json"
    assert set(preview[3]) == {"currency", "locale", "session_id", "order", "recipient"}
    assert preview[3]["recipient"] == {"country": "SE"}
    assert (preview[3]["currency"], preview[3]["locale"]) == ("SEK", "sv-SE")
    assert preview[3]["order"]["tags"] == ["member", "vip"]
    assert preview[3]["order"]["total_weight"] == 1200
    line = preview[3]["order"]["lines"][0]
    assert (line["quantity"], line["attributes"]["weight"]) == (2, 600)
    assert line["attributes"]["dimensions"] == {"height": 100, "width": 200, "length": 300}
    assert full[3]["recipient"] == {
        "given_name": "Test",
        "family_name": "Person",
        "email": "test.person@example.com",
        "phone": "+46701234567",
        "street_address": "Drottninggatan 53",
        "postal_code": "11151",
        "city": "Stockholm",
        "country": "SE",
        "customer_type": "person",
    }
    assert shipment[2]["Content-Type"] == "application/vdn.klarna.shipping.select_option-v1+json"
    assert shipment[3]["session_id"] == preview[3]["session_id"]
    # the preselected option, with its first location
    assert shipment[3]["selected_shipping_option"] == {
        "id": "pn-sp",
        "type": "pickup-point",
        "carrier": "postnord",
        "class": "standard",
        "price": 4900,
        "tax_rate": 2500,
        "location": OPTIONS[1]["locations"][0],
        "addons": [],
    }
    assert confirm[:2] == ("POST", "http://gw/ksa/v1/shipment/s-1/confirm")
    assert get[:2] == ("GET", "http://gw/ksa/v1/shipment/s-1")
    assert get[2]["Authorization"] == "Bearer abcdefghijklmnopqrstuvwxyz"


def test_output_shows_options_locations_and_shipment(monkeypatch: pytest.MonkeyPatch) -> None:
    session = _CannedSession(_answers())
    monkeypatch.setattr(requests, "Session", lambda: session)

    output, error = _simulate(
        "--base-url", "http://gw/ksa/v1", "--identifier", "demo", "--key", KEY
    )

    assert error is None, output
    assert "1. ✔ auth — HTTP 201 in " in output
    assert "token abcdefghijkl…" in output and "abcdefghijklm" not in output
    assert "2 options" in output
    assert (
        "- pn-sp  'PostNord Ombud'  pickup-point  postnord  49.00 SEK  [preselected]"
        "  (locations 5, timeslots 0, addons 0)"
    ) in output
    assert "(locations 0, timeslots 1, addons 3)" in output
    assert "· Ombud 3 — Gatan 3, 11151 Sthlm — 750 m" in output
    assert "Ombud 4" not in output  # only the first three locations
    assert "shipment_id s-1" in output
    assert "Location: /ksa/v1/shipment/s-1" in output
    assert "status confirmed, carrier postnord, carrier_product P19 MyPack Collect" in output


def test_chosen_option_carries_timeslot_and_addon_input() -> None:
    session = _CannedSession(_answers())

    report = _run(session, option_id="pn-home")

    assert report.ok
    selected = session.sent[3][3]["selected_shipping_option"]
    assert selected["timeslot"] == OPTIONS[0]["timeslots"][0]
    assert "location" not in selected
    assert selected["addons"] == [
        {"id": "sms", "type": "sms", "price": 0, "data": {"selected": True, "text": ""}},
        {
            "id": "code",
            "type": "entry-code",
            "price": 0,
            "data": {"selected": True, "text": "1234"},
        },
        {"id": "gift", "type": "gift", "price": 1000, "data": {"selected": False, "text": ""}},
    ]


def test_unknown_option_fails_step_4_without_a_request() -> None:
    session = _CannedSession(_answers())

    report = _run(session, option_id="nope")

    assert [s.ok for s in report.steps] == [True, True, True, False, False, False]
    assert report.steps[3].error == "option 'nope' is not offered (offered: pn-home, pn-sp)"
    assert [s.skipped for s in report.steps[4:]] == [True, True]
    assert len(session.sent) == 3


def test_no_options_for_the_address_fails_step_3() -> None:
    session = _CannedSession(_answers(options=(200, {"shipping_options": []}, {})))

    report = _run(session)

    assert [s.ok for s in report.steps[:3]] == [True, True, False]
    assert report.steps[2].error.startswith("no shipping options offered for the full address")
    assert len(session.sent) == 3


def test_refused_shipment_shows_status_and_failure_body() -> None:
    body = {"failure_reason": "invalid_recipient", "message": "Ange ett mobilnummer."}
    session = _CannedSession(_answers(shipment=(400, body, {})))

    report = _run(session)

    step = report.steps[3]
    assert (step.ok, step.status) == (False, 400)
    assert step.error == f"expected HTTP 201; body: {json.dumps(body)}"


def test_shipment_without_location_header_fails() -> None:
    ok_body = {"shipment_id": "s-1", "selected_shipping_option": {}}
    session = _CannedSession(_answers(shipment=(201, ok_body, {})))

    report = _run(session)

    assert report.steps[3].ok is False
    assert report.steps[3].error.startswith("no Location header")


def test_non_json_body_fails_and_is_truncated() -> None:
    session = _CannedSession(_answers(options=(200, "<html>" + "x" * 1000, {})))

    report = _run(session)

    step = report.steps[1]
    assert step.ok is False
    assert step.error.startswith("response body is not JSON; body: <html>xxx")
    assert step.error.endswith("x…")
    assert len(step.error) < 600


# --- pure helpers --------------------------------------------------------------------------------


def test_auth_digest_matches_the_spec_example() -> None:
    payload = auth_payload(identifier="sweMerch123", key="smOOOth", nonce="lRFUpqW7Xd")

    assert payload == {
        "identifier": "sweMerch123",
        "secret": {
            "nonce": "lRFUpqW7Xd",
            "digest": "8C3891B3162DB3AB61A9B2DA74E6A479553ABA897894E5236ED290C11A0B832B",
        },
    }


@pytest.mark.parametrize(
    ("country", "currency", "locale"),
    [
        ("SE", "SEK", "sv-SE"),
        ("NO", "NOK", "nb-NO"),
        ("DK", "DKK", "da-DK"),
        ("FI", "EUR", "fi-FI"),
        ("DE", "EUR", "de-DE"),
        ("AT", "EUR", "de-AT"),
        ("NL", "EUR", "nl-NL"),
        ("CH", "CHF", "de-CH"),
        ("GB", "GBP", "en-GB"),
        ("US", "USD", "en-US"),
    ],
)
def test_currency_and_locale_follow_the_country(country: str, currency: str, locale: str) -> None:
    scenario = scenario_build(base_url="http://gw", identifier="d", key="k", country=country)

    assert (scenario.currency, scenario.locale) == (currency, locale)


def test_option_choice_prefers_asked_then_preselected_then_first() -> None:
    first, second = {"id": "a"}, {"id": "b", "preselected": True}

    assert option_choose([first, second], "a") is first
    assert option_choose([first, second], None) is second
    assert option_choose([first, {"id": "b"}], None) is first
    assert option_choose([], None) is None


def test_selection_without_extras_has_empty_addons() -> None:
    assert selection_payload({"id": "x", "price": 0, "tax_rate": 0}) == {
        "id": "x",
        "price": 0,
        "tax_rate": 0,
        "addons": [],
    }


def test_money_is_printed_in_major_units() -> None:
    assert format_money(4900, "SEK") == "49.00 SEK"
    assert format_money(5, "EUR") == "0.05 EUR"
    assert format_money(0, "NOK") == "0.00 NOK"


class _BookedLater(_CannedSession):
    """GET /shipment answers "confirmed" ``pending`` times, then "booked" with a number."""

    def __init__(self, pending: int) -> None:
        super().__init__(_answers())
        self.pending = pending

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if method == "GET" and url.endswith("/shipment/s-1") and self.pending <= 0:
            status, payload, headers = self.answers[("GET", "/shipment/s-1")]
            self.answers[("GET", "/shipment/s-1")] = (
                status,
                {**payload, "status": "booked", "tracking_number": "00370712345678901234"},
                headers,
            )
        if method == "GET":
            self.pending -= 1
        return super().request(method, url, *args, **kwargs)


def test_wait_booked_reads_the_shipment_until_its_tracking_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(simulator, "BOOKED_POLL_SECONDS", 0.01)
    session = _BookedLater(pending=2)

    report = _run(session, wait_booked_seconds=5)

    assert report.ok
    assert [m for m, *_ in session.sent].count("GET") == 3
    assert "tracking_number 00370712345678901234" in report.steps[-1].details


def test_wait_booked_fails_when_no_booking_comes_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulator, "BOOKED_POLL_SECONDS", 0.01)

    report = _run(_CannedSession(_answers()), wait_booked_seconds=0.05)

    assert not report.ok
    assert "not booked within 0.05 s (status confirmed): is a worker running?" in str(
        report.steps[-1].as_dict()
    )


def test_a_negative_wait_is_refused_before_any_request() -> None:
    with pytest.raises(SimulationSetupError, match="--wait-booked"):
        scenario_build(base_url="http://gw", identifier="d", key=KEY, wait_booked_seconds=-1)


def test_no_confirm_sends_no_confirm_and_reads_the_reserved_shipment_back() -> None:
    session = _CannedSession(_answers())

    report = _run(session, confirm=False)

    assert report.ok
    assert ("POST", "http://gw/ksa/v1/shipment/s-1/confirm") not in [
        (method, url) for method, url, *_ in session.sent
    ]
    assert report.steps[4].details == ["not sent (--no-confirm): a confirm Klarna never sent"]
    assert [m for m, *_ in session.sent][-1] == "GET"


def test_no_confirm_and_wait_booked_are_refused_together() -> None:
    with pytest.raises(SimulationSetupError, match="--no-confirm"):
        scenario_build(
            base_url="http://gw", identifier="d", key=KEY, wait_booked_seconds=5, confirm=False
        )
