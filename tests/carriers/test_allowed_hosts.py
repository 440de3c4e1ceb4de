"""Carrier calls go only to the carrier's allowed hosts (carriers/hosts.py, CARRIER_ALLOWED_HOSTS):
a call anywhere else is refused by carriers/http.py before a byte is sent, traced as refused
without its headers, body or secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from carriers.exceptions import CarrierHostRefused
from carriers.hosts import allowed_hosts, carrier_host_refusal, host_refusal
from carriers.http import CallContext, CarrierHttp
from carriers.models import CarrierTrace
from carriers.registry import get_adapter
from carriers.types import AgreementCredentials, CarrierMessage
from tests.conftest import Sandbox
from tests.factories import MerchantFactory

from .recorder import Recorder, recorder_serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Another host on this machine, which records whatever reaches it."""
    yield from recorder_serve()


SECRET = "pn-secret-key-0123456789"


def _netloc(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0]


@pytest.fixture
def production_like(settings: Any) -> Any:
    """No test wildcard, no sandbox, no CARRIER_BASE_URLS: what production starts with."""
    settings.CARRIER_ALLOWED_HOSTS = {}
    settings.CARRIER_SANDBOX_URL = ""
    settings.CARRIER_BASE_URLS = {}
    return settings


def _ctx(operation: str = "service_points", carrier: str = "postnord") -> CallContext:
    merchant = MerchantFactory.create()
    agreement = AgreementCredentials(
        agreement_id=0,
        customer_number="123",
        credentials={"api_key": SECRET},
        merchant_id=merchant.pk,
    )
    return CallContext(carrier=carrier, operation=operation, agreement=agreement)


def test_a_call_to_a_host_not_allowed_is_refused_before_anything_is_sent(
    sandbox: Sandbox, recorder: Recorder, settings: Any
) -> None:
    # given: only the sandbox is allowed
    settings.CARRIER_ALLOWED_HOSTS = {"*": [_netloc(sandbox.server.url)]}
    ctx = _ctx()

    # when: the stored key would go to another host
    with pytest.raises(CarrierHostRefused) as raised:
        CarrierHttp("postnord").request(
            "POST",
            recorder.url + "/rest/shipment",
            ctx=ctx,
            params={"apikey": SECRET},
            json_body={"key": SECRET, "customer": "123"},
            headers={"Authorization": f"Bearer {SECRET}"},
        )

    # then: nothing reached it, the refusal is said and traced without a secret
    reason = (
        f"http://127.0.0.1:{recorder.port} is not an allowed host for postnord "
        "(CARRIER_ALLOWED_HOSTS; allowed: api2.postnord.com, atapi2.postnord.com, "
        f"{_netloc(sandbox.server.url)})"
    )
    assert recorder.requests == []
    assert str(raised.value) == f"postnord: refused: {reason}"
    assert raised.value.messages == (CarrierMessage("host_refused", f"refused: {reason}"),)
    trace = CarrierTrace.objects.get()
    assert (trace.carrier, trace.operation, trace.method, trace.status_code) == (
        "postnord",
        "service_points",
        "POST",
        None,
    )
    assert trace.url == f"{recorder.url}/rest/shipment?apikey=[redacted]"
    assert trace.error == f"refused: {reason}"
    assert (trace.request_headers, trace.request_body, trace.response_body) == ({}, "", "")
    stored = json.dumps(list(CarrierTrace.objects.values()), default=str)
    assert SECRET not in stored


def test_a_refused_call_is_not_retried(sandbox: Sandbox, recorder: Recorder, settings: Any) -> None:
    settings.CARRIER_ALLOWED_HOSTS = {"*": [_netloc(sandbox.server.url)]}

    with pytest.raises(CarrierHostRefused):
        CarrierHttp("postnord").request("GET", recorder.url + "/x", ctx=_ctx(), retries=3)

    assert recorder.requests == []
    assert CarrierTrace.objects.count() == 1


def test_an_allowed_host_is_called(sandbox: Sandbox, settings: Any) -> None:
    settings.CARRIER_ALLOWED_HOSTS = {"*": [_netloc(sandbox.server.url)]}
    before = sandbox.requests("postnord")

    response = CarrierHttp("postnord").request(
        "GET",
        sandbox.url("postnord") + "/rest/businesslocation/v5/servicepoints/nearest/byaddress",
        ctx=_ctx(),
        params={"apikey": SECRET, "countryCode": "SE", "postalCode": "11151"},
    )

    assert response.status == 200
    assert sandbox.requests("postnord") == before + 1
    assert CarrierTrace.objects.get().error == ""


def test_each_carrier_allows_only_its_own_hosts_by_default(production_like: Any) -> None:
    own = {
        slug: allowed_hosts(slug, own=get_adapter(slug).own_hosts())
        for slug in ("postnord", "budbee", "instabox", "dhl", "bring")
    }

    assert own == {
        "postnord": ("api2.postnord.com", "atapi2.postnord.com"),
        "budbee": ("api.budbee.com", "api.staging.budbee.com"),
        "instabox": ("api.integration.instabee.com", "sandbox-api.integration.instabee.com"),
        "dhl": (
            "api.freight-logistics.dhl.com",
            "test-api.freight-logistics.dhl.com",
            "api.dhl.com",
            "api-eu.dhl.com",
        ),
        "bring": ("api.bring.com", "*.bring.com", "*.mybring.com"),
    }


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api2.postnord.com/rest/x", True),
        ("https://API2.postnord.com./rest/x", True),
        ("https://api2.postnord.com:443/rest/x", True),
        ("https://atapi2.postnord.com/rest/x", True),
        # The key is never sent in clear text, nor to another port of the carrier's host.
        ("http://api2.postnord.com/rest/x", False),
        ("https://api2.postnord.com:8443/rest/x", False),
        ("https://api2.postnord.com.evil.example/rest/x", False),
        ("https://evil.example/api2.postnord.com", False),
        ("https://api2.postnord.com@evil.example/rest/x", False),
        ("https://user:pw@api2.postnord.com/rest/x", False),
        ("http://127.0.0.1:8090/postnord", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("ftp://api2.postnord.com/x", False),
    ],
)
def test_postnords_hosts(production_like: Any, url: str, allowed: bool) -> None:
    assert (carrier_host_refusal("postnord", url) == "") is allowed


def test_a_wildcard_pattern_allows_subdomains_only_over_https() -> None:
    patterns = ("*.mybring.com",)

    assert host_refusal("https://www.mybring.com/l", patterns, carrier="bring") == ""
    assert host_refusal("https://www.qa.mybring.com/l", patterns, carrier="bring") == ""
    assert host_refusal("https://mybring.com/l", patterns, carrier="bring") != ""
    assert host_refusal("https://evilmybring.com/l", patterns, carrier="bring") != ""
    assert host_refusal("http://www.mybring.com/l", patterns, carrier="bring") != ""


def test_a_port_pattern_allows_that_port_only_and_a_star_any(production_like: Any) -> None:
    exact = ("127.0.0.1:8090",)
    anywhere = ("127.0.0.1:*",)

    assert host_refusal("http://127.0.0.1:8090/x", exact, carrier="dhl") == ""
    assert host_refusal("https://127.0.0.1:8090/x", exact, carrier="dhl") == ""
    assert host_refusal("http://127.0.0.1:8091/x", exact, carrier="dhl") == (
        "http://127.0.0.1:8091 is not an allowed host for dhl (CARRIER_ALLOWED_HOSTS; "
        "allowed: 127.0.0.1:8090)"
    )
    assert host_refusal("http://127.0.0.1:61234/x", anywhere, carrier="dhl") == ""
    assert host_refusal("http://localhost:61234/x", anywhere, carrier="dhl") != ""


def test_the_sandbox_url_is_allowed_when_it_is_set(production_like: Any) -> None:
    production_like.CARRIER_SANDBOX_URL = "http://127.0.0.1:8090"

    assert carrier_host_refusal("budbee", "http://127.0.0.1:8090/budbee") == ""
    assert carrier_host_refusal("budbee", "http://127.0.0.1:8090/_sandbox/stats") == ""
    assert carrier_host_refusal("budbee", "http://127.0.0.1:8091/budbee") != ""
    assert carrier_host_refusal("budbee", "https://api.budbee.com") == ""


def test_without_the_sandbox_url_nothing_local_is_allowed(production_like: Any) -> None:
    for slug in ("postnord", "budbee", "instabox", "dhl", "bring"):
        assert carrier_host_refusal(slug, f"http://127.0.0.1:8090/{slug}") != ""
        assert carrier_host_refusal(slug, "http://localhost/") != ""


def test_the_setting_replaces_a_carriers_own_hosts_and_star_adds_to_all(
    production_like: Any,
) -> None:
    production_like.CARRIER_ALLOWED_HOSTS = {
        "postnord": ["api2.postnord.com"],
        "*": ["carrier-sandbox.internal:8090"],
    }
    production_like.CARRIER_BASE_URLS = {"dhl": {"test": "https://dhl-proxy.internal"}}

    assert allowed_hosts("postnord", own=get_adapter("postnord").own_hosts()) == (
        "api2.postnord.com",
        "carrier-sandbox.internal:8090",
    )
    assert carrier_host_refusal("postnord", "https://atapi2.postnord.com") != ""
    assert carrier_host_refusal("budbee", "http://carrier-sandbox.internal:8090/budbee") == ""
    assert carrier_host_refusal("dhl", "https://dhl-proxy.internal/x") == ""
    assert carrier_host_refusal("bring", "https://dhl-proxy.internal/x") != ""


def _prepared(url: str, headers: dict[str, str] | None = None) -> requests.PreparedRequest:
    return requests.Request("GET", url, headers=headers or {}).prepare()


def test_label_storage_is_reached_only_for_a_label_get_without_secrets(
    production_like: Any,
) -> None:
    http = CarrierHttp("bring")
    storage = "https://bring-labels.s3.eu-north-1.amazonaws.com/l/123.pdf?X-Amz-Signature=abc"
    secrets = (SECRET,)

    label = http.host_refusal(_prepared(storage), _ctx("label", "bring"), secrets)
    with_key = http.host_refusal(
        _prepared(storage, {"X-Mybring-API-Key": SECRET}), _ctx("label", "bring"), secrets
    )
    booking = http.host_refusal(_prepared(storage), _ctx("booking", "bring"), secrets)

    assert label == ""
    assert with_key.startswith("https://bring-labels.s3.eu-north-1.amazonaws.com is not ")
    assert booking.startswith("https://bring-labels.s3.eu-north-1.amazonaws.com is not ")
    # Storage is never an API base URL.
    assert carrier_host_refusal("bring", storage) != ""
