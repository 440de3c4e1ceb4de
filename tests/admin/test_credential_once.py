"""A Klarna credential is issued once and its key shown once: the POST redirects to the page
that shows the key, kept in the session only until it is shown; reloading that page, or
resubmitting the form, issues nothing and shows no key. The key is never logged."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from merchants.admin.once import KEYS, form_nonce_issue, form_nonce_spend
from merchants.models import KlarnaCredential
from tests.factories import KlarnaCredentialFactory, MerchantFactory

from .helpers import ONCE, messages_of

pytestmark = pytest.mark.django_db

KEY_ON_PAGE = re.compile(r'id="ksa-key" type="text" value="([^"]+)"')


def _nonce(client: Client, url: str) -> str:
    match = ONCE.search(client.get(url).content.decode())
    assert match
    return match.group(1)


def test_one_post_issues_one_credential_and_the_key_is_shown_once(
    staff: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.DEBUG)
    merchant = MerchantFactory.create(slug="once")
    url = f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/"
    nonce = _nonce(staff, url)

    # when: the form is sent
    posted = staff.post(url, {"once": nonce})

    # then: one credential, and a redirect to the page that shows its key
    credential = KlarnaCredential.objects.get(merchant=merchant)
    key_url = f"/admin/merchants/merchant/{merchant.pk}/credentials/{credential.pk}/key/"
    assert posted.status_code == 302
    assert posted["Location"] == key_url
    assert credential.key not in posted.content.decode()
    # kept in the session until shown, encrypted
    assert str(credential.pk) in staff.session[KEYS]
    assert credential.key not in json.dumps(staff.session[KEYS])

    # when: the redirect is followed
    shown = staff.get(key_url)

    # then: the key, once, not to be cached, and no longer in the session
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    match = KEY_ON_PAGE.search(shown.content.decode())
    assert match and match.group(1) == credential.key
    assert staff.session.get(KEYS) == {}

    # when: the page is reloaded
    reloaded = staff.get(key_url)

    # then: no key, nothing issued, and what to do if it was lost
    page = reloaded.content.decode()
    assert reloaded.status_code == 200
    assert credential.key not in page
    assert not KEY_ON_PAGE.search(page)
    assert "was already shown" in page
    assert "issue a new credential" in page
    assert KlarnaCredential.objects.filter(merchant=merchant).count() == 1

    # when: the same form is sent again (the browser resubmits it)
    resubmitted = staff.post(url, {"once": nonce}, follow=True)

    # then: nothing new is issued and no key is shown
    assert KlarnaCredential.objects.filter(merchant=merchant).count() == 1
    assert not KEY_ON_PAGE.search(resubmitted.content.decode())
    assert messages_of(resubmitted) == [
        "This form was already sent: no credential was issued now. Issue again here if a new "
        "credential is really wanted."
    ]

    # then: the key is in no log record
    assert credential.key not in caplog.text
    assert all(credential.key not in str(r.args) for r in caplog.records)


def test_a_post_without_a_form_nonce_issues_nothing(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create()
    other = MerchantFactory.create()
    url = f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/"
    foreign = _nonce(staff, f"/admin/merchants/merchant/{other.pk}/credentials/issue/")

    # when: no nonce, an invented one, and one handed out for another merchant's form
    for data in ({}, {"once": "made-up"}, {"once": foreign}):
        response = staff.post(url, data)
        assert response.status_code == 302
        assert response["Location"] == url

    # then
    assert not KlarnaCredential.objects.exists()


def test_a_nonce_from_another_session_issues_nothing(staff: Client, superuser: object) -> None:
    # given: a second session of the same user
    merchant = MerchantFactory.create()
    url = f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/"
    nonce = _nonce(staff, url)
    other = Client()
    other.force_login(superuser)  # type: ignore[arg-type]

    # when
    other.post(url, {"once": nonce})

    # then
    assert not KlarnaCredential.objects.exists()


def test_a_rotation_is_done_once_and_its_key_shown_once(staff: Client) -> None:
    # given
    credential = KlarnaCredentialFactory.create(identifier="rot-once", key="old-key-0000001")
    merchant = credential.merchant
    url = f"/admin/merchants/merchant/{merchant.pk}/credentials/{credential.pk}/rotate/"
    nonce = _nonce(staff, url)

    # when
    posted = staff.post(url, {"once": nonce})
    shown = staff.get(posted["Location"])
    credential.refresh_from_db()
    first_key = credential.key
    reloaded = staff.get(posted["Location"])
    resubmitted = staff.post(url, {"once": nonce}, follow=True)

    # then
    assert posted.status_code == 302
    match = KEY_ON_PAGE.search(shown.content.decode())
    assert match and match.group(1) == first_key != "old-key-0000001"
    assert first_key not in reloaded.content.decode()
    assert "rotate its key" in reloaded.content.decode()
    credential.refresh_from_db()
    assert credential.key == first_key
    assert not KEY_ON_PAGE.search(resubmitted.content.decode())
    assert "was not rotated now" in messages_of(resubmitted)[0]


def test_the_key_page_of_another_merchants_credential_is_not_found(staff: Client) -> None:
    credential = KlarnaCredentialFactory.create()
    other = MerchantFactory.create()

    response = staff.get(f"/admin/merchants/merchant/{other.pk}/credentials/{credential.pk}/key/")

    assert response.status_code == 404


def test_support_cannot_open_the_key_page(support: Client) -> None:
    credential = KlarnaCredentialFactory.create()

    response = support.get(
        f"/admin/merchants/merchant/{credential.merchant_id}/credentials/{credential.pk}/key/"
    )

    assert response.status_code == 403


def test_two_requests_racing_with_the_same_nonce_spend_it_once(rf: RequestFactory) -> None:
    # given: a double click — both requests read the session before either saved it
    first = rf.post("/", {"once": "x"})
    first.session = SessionStore()
    nonce = form_nonce_issue(first, purpose="issue:1")
    stored = dict(first.session)
    requests = []
    for _ in range(2):
        request = rf.post("/", {"once": nonce})
        request.session = SessionStore()
        request.session.update(stored)
        requests.append(request)

    # when / then: the cache decides; the second finds the nonce spent
    assert [form_nonce_spend(r, purpose="issue:1") for r in requests] == [True, False]
    assert form_nonce_spend(requests[0], purpose="issue:1") is False


def test_a_key_not_shown_within_15_minutes_is_dropped_unseen(
    staff: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: issued, then the page left unopened for 16 minutes
    merchant = MerchantFactory.create()
    url = f"/admin/merchants/merchant/{merchant.pk}/credentials/issue/"
    posted = staff.post(url, {"once": _nonce(staff, url)})
    later = time.time() + 16 * 60
    monkeypatch.setattr("merchants.admin.once.time.time", lambda: later)

    # when
    page = staff.get(posted["Location"]).content.decode()

    # then
    assert not KEY_ON_PAGE.search(page)
    assert "was already shown" in page
    assert staff.session[KEYS] == {}
