"""Stored carrier secrets never follow a changed URL (security review, issue 13, item 6).

The attack: an admin changes an agreement's API base URL to a host of their choosing, leaves the
masked credential fields blank (which keeps the stored secrets) and presses "Check connection",
so the stored key would be sent there. Now the form refuses a changed address unless every stored
secret is entered again, refuses hosts the carrier does not allow (CARRIER_ALLOWED_HOSTS), and
the check uses only what is saved; a host not allowed is refused again at call time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from carriers.models import CarrierTrace
from merchants.models import AuditLog, CarrierAgreement, KlarnaCheckoutCredential, Merchant
from tests.carriers.recorder import Recorder, recorder_serve
from tests.conftest import Sandbox
from tests.factories import CarrierAgreementFactory, MerchantFactory

from .helpers import form_data, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Another host on this machine, which records whatever reaches it."""
    yield from recorder_serve()


KEY = "pn-stored-key-0123456789"
NEW_KEY = "pn-entered-again-9876543"
SECRETS_AGAIN = (
    "The agreement would call another address (API base URL or test mode changed): enter every "
    "secret key again (api_key). Stored secrets are never sent to a new address."
)


def _port(sandbox: Sandbox) -> int:
    return int(sandbox.server.url.rsplit(":", 1)[1])


@pytest.fixture
def allowed(settings: Any, sandbox: Sandbox) -> Any:
    """Only the sandbox may be called (as 127.0.0.1 and as localhost): no test wildcard."""
    port = _port(sandbox)
    settings.CARRIER_ALLOWED_HOSTS = {"*": [f"127.0.0.1:{port}", f"localhost:{port}"]}
    return settings


def _agreement(sandbox: Sandbox, **fields: Any) -> CarrierAgreement:
    values = {
        "merchant": MerchantFactory.create(),
        "carrier": "postnord",
        "credentials": {"api_key": KEY},
        "api_base_url": sandbox.url("postnord"),
        **fields,
    }
    return CarrierAgreementFactory.create(**values)


def _change_url(agreement: CarrierAgreement) -> str:
    return f"/admin/merchants/carrieragreement/{agreement.pk}/change/"


def _stored(agreement: CarrierAgreement) -> tuple[str, bool, dict[str, Any]]:
    row = CarrierAgreement.objects.get(pk=agreement.pk)
    return row.api_base_url, row.test_mode, dict(row.credentials)


def test_a_new_host_with_blank_secrets_is_refused_and_the_check_calls_only_the_saved_host(
    staff: Client, sandbox: Sandbox, recorder: Recorder, allowed: Any
) -> None:
    # given: the attacker's host is even an allowed one
    allowed.CARRIER_ALLOWED_HOSTS["*"].append(f"127.0.0.1:{recorder.port}")
    agreement = _agreement(sandbox)
    before = _stored(agreement)
    data = form_data(staff, _change_url(agreement), "carrieragreement_form")
    assert data["credential_api_key"] == ""

    # when: the host is changed and the secret left blank, then "Check connection" is pressed
    data["api_base_url"] = f"{recorder.url}/postnord"
    response = staff.post(_change_url(agreement), data)
    check = staff.post(f"/admin/merchants/carrieragreement/{agreement.pk}/check/", follow=True)

    # then: refused with the reason, nothing saved or audited
    page = response.content.decode()
    assert response.status_code == 200
    assert SECRETS_AGAIN in page
    assert "Enter it again: the API address changes." in page
    assert KEY not in page
    assert _stored(agreement) == before
    assert not AuditLog.objects.exclude(action="agreement_check").exists()  # the check is kept
    # then: the check asked the saved host; the new host never heard of the agreement
    (message, _caveat) = messages_of(check)
    assert message.startswith(f"{agreement}: PostNord OK in ")
    assert recorder.requests == []
    assert sandbox.requests("postnord") >= 1
    assert set(CarrierTrace.objects.values_list("url", flat=True)) != set()
    for url in CarrierTrace.objects.values_list("url", flat=True):
        assert url.startswith(sandbox.url("postnord") + "/")


def test_switching_test_mode_to_the_carriers_other_host_needs_the_secrets_too(
    staff: Client, sandbox: Sandbox
) -> None:
    # given: no API base URL, so test mode picks PostNord's test or live host
    agreement = _agreement(sandbox, api_base_url="", test_mode=True)
    data = form_data(staff, _change_url(agreement), "carrieragreement_form")

    # when
    data["test_mode"] = ""
    response = staff.post(_change_url(agreement), data)

    # then
    assert response.status_code == 200
    assert SECRETS_AGAIN in response.content.decode()
    assert _stored(agreement) == ("", True, {"api_key": KEY})
    assert not AuditLog.objects.exists()


def test_entering_the_secrets_again_lets_an_allowed_host_be_used(
    staff: Client, sandbox: Sandbox, allowed: Any
) -> None:
    # given
    agreement = _agreement(sandbox)
    data = form_data(staff, _change_url(agreement), "carrieragreement_form")
    new_url = f"http://localhost:{_port(sandbox)}/postnord"

    # when
    data.update(api_base_url=new_url, credential_api_key=NEW_KEY)
    response = staff.post(_change_url(agreement), data)
    calls = sandbox.requests("postnord")
    check = staff.post(f"/admin/merchants/carrieragreement/{agreement.pk}/check/", follow=True)

    # then
    assert response.status_code == 302, response.content.decode()
    assert _stored(agreement) == (new_url, True, {"api_key": NEW_KEY})
    (message,) = [m for m in messages_of(check) if "PostNord OK in " in m]
    assert message.startswith(f"{agreement}: PostNord OK in ")
    assert sandbox.requests("postnord") > calls
    urls = set(CarrierTrace.objects.values_list("url", flat=True))
    assert urls and all(url.startswith(new_url + "/") for url in urls)


def test_a_host_not_allowed_is_refused_even_with_the_secrets(
    staff: Client, sandbox: Sandbox, recorder: Recorder, allowed: Any
) -> None:
    # given
    agreement = _agreement(sandbox)
    before = _stored(agreement)
    data = form_data(staff, _change_url(agreement), "carrieragreement_form")

    # when
    data.update(api_base_url=f"{recorder.url}/postnord", credential_api_key=NEW_KEY)
    response = staff.post(_change_url(agreement), data)

    # then
    port = _port(sandbox)
    assert response.status_code == 200
    assert (
        f"Refused: http://127.0.0.1:{recorder.port} is not an allowed host for PostNord "
        "(CARRIER_ALLOWED_HOSTS; allowed: api2.postnord.com, atapi2.postnord.com, "
        f"127.0.0.1:{port}, localhost:{port})."
    ) in response.content.decode()
    assert NEW_KEY not in response.content.decode()
    assert _stored(agreement) == before
    assert not AuditLog.objects.exists()
    assert recorder.requests == []


def test_a_new_agreement_on_a_host_not_allowed_is_refused(
    staff: Client, sandbox: Sandbox, allowed: Any
) -> None:
    merchant = MerchantFactory.create()
    url = f"/admin/merchants/carrieragreement/add/?merchant={merchant.pk}&carrier=budbee"
    data = form_data(staff, url, "carrieragreement_form")
    data.update(
        api_base_url="https://169.254.169.254/latest",
        credential_api_key="bb-key-0001",
        credential_api_secret="bb-secret-0123456789",
    )

    response = staff.post(url, data)

    assert response.status_code == 200
    assert (
        "Refused: https://169.254.169.254 is not an allowed host for Budbee"
    ) in response.content.decode()
    assert not CarrierAgreement.objects.exists()


def test_an_agreement_already_saved_with_a_host_not_allowed_is_refused_at_call_time(
    staff: Client, sandbox: Sandbox, recorder: Recorder, allowed: Any
) -> None:
    # given: saved before the allow-list (or by a script): it points at another host
    agreement = _agreement(sandbox, api_base_url=f"{recorder.url}/postnord")

    # when
    check = staff.post(f"/admin/merchants/carrieragreement/{agreement.pk}/check/", follow=True)

    # then: refused before a byte was sent, traced as refused without the key
    (message, _caveat) = messages_of(check)
    assert message.startswith(f"{agreement}: PostNord failed after ")
    assert message.endswith(
        f"refused: http://127.0.0.1:{recorder.port} is not an allowed host for postnord "
        "(CARRIER_ALLOWED_HOSTS; allowed: api2.postnord.com, atapi2.postnord.com, "
        f"127.0.0.1:{_port(sandbox)}, localhost:{_port(sandbox)})"
    )
    assert recorder.requests == []
    traces = CarrierTrace.objects.filter(agreement_id=agreement.pk)
    assert traces.exists()
    for trace in traces:
        assert (trace.status_code, trace.request_headers, trace.request_body) == (None, {}, "")
        assert trace.error.startswith(f"refused: http://127.0.0.1:{recorder.port} is not ")
    assert KEY not in json.dumps(list(CarrierTrace.objects.values()), default=str)
    assert KEY not in check.content.decode()


def test_the_merchant_page_cannot_change_where_an_agreement_calls(
    staff: Client, sandbox: Sandbox, recorder: Recorder
) -> None:
    # given: the merchant page lists its agreements inline
    agreement = _agreement(sandbox)
    before = _stored(agreement)
    url = f"/admin/merchants/merchant/{agreement.merchant_id}/change/"
    data = form_data(staff, url, "merchant_form")
    assert "agreements-0-api_base_url" not in data
    assert "agreements-0-test_mode" not in data

    # when: a crafted post sets them anyway
    data.update(
        {"agreements-0-api_base_url": f"{recorder.url}/postnord", "agreements-0-test_mode": ""}
    )
    response = staff.post(url, data)

    # then
    assert response.status_code == 302, response.content.decode()
    assert _stored(agreement) == before


def _checkout_page(merchant: Merchant) -> str:
    return f"/admin/merchants/merchant/{merchant.pk}/change/"


def test_the_checkout_api_password_must_be_entered_again_for_another_address(
    staff: Client, recorder: Recorder
) -> None:
    # given: the shop's checkout API credential for Kustom's playground
    merchant = MerchantFactory.create()
    KlarnaCheckoutCredential.objects.create(
        merchant=merchant, provider="kustom", region="eu", username="u", password="kco-secret-1"
    )
    data = form_data(staff, _checkout_page(merchant), "merchant_form")

    # when: pointed elsewhere with the password left blank
    data["checkout_credential-0-api_base_url"] = f"{recorder.url}/klarna"
    response = staff.post(_checkout_page(merchant), data)

    # then
    assert response.status_code == 200
    assert (
        "Enter the API password again: the address it is sent to changes (stored secrets are "
        "never sent to a new address)."
    ) in response.content.decode()
    stored = KlarnaCheckoutCredential.objects.get(merchant=merchant)
    assert (stored.api_base_url, stored.password) == ("", "kco-secret-1")
    assert not AuditLog.objects.exists()


def test_the_checkout_api_refuses_a_host_not_allowed(staff: Client) -> None:
    merchant = MerchantFactory.create()
    KlarnaCheckoutCredential.objects.create(merchant=merchant, username="u", password="kco-1")
    data = form_data(staff, _checkout_page(merchant), "merchant_form")

    data.update(
        {
            "checkout_credential-0-api_base_url": "https://evil.example/klarna",
            "checkout_credential-0-password": "kco-2",
        }
    )
    response = staff.post(_checkout_page(merchant), data)

    assert response.status_code == 200
    assert (
        "Refused: https://evil.example is not an allowed host for Klarna&#x27;s checkout API"
    ) in response.content.decode()
    stored = KlarnaCheckoutCredential.objects.get(merchant=merchant)
    assert (stored.api_base_url, stored.password) == ("", "kco-1")
