"""Shipments that need attention in the admin: filtered and marked in the list, the reason on
the shipment's page, and partner staff settling them, selected in the list or with the page's
buttons: confirm by hand (the order was paid: it is booked) or dismiss (not paid)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from merchants.models import Merchant
from tests.factories import ShipmentFactory
from tests.shipments.helpers import queue_clear, queued_bookings
from tms_gateway.shipments.models import Shipment
from tms_gateway.shipments.services import (
    ATTENTION_CHECKING,
    shipment_confirm,
    shipment_expire_stale,
)

from .helpers import messages_of

pytestmark = pytest.mark.django_db

LIST = "/admin/shipments/shipment/"


def needing_attention(merchant: Merchant, *, session_id: str) -> Shipment:
    """A reservation never confirmed, an hour and a minute old, expired by the sweeper."""
    shipment = ShipmentFactory.create(
        merchant=merchant, option_id="postnord-home", session_id=session_id
    )
    Shipment.objects.filter(pk=shipment.pk).update(
        selection_changed_at=timezone.now() - dt.timedelta(minutes=61)
    )
    shipment_expire_stale()
    shipment.refresh_from_db()
    assert shipment.status == "expired"
    assert shipment.attention_since is not None
    return shipment


def history(shipment: Shipment) -> list[tuple[str, str, str, str]]:
    return [(e.from_status, e.to_status, e.actor, e.reason) for e in shipment.events.order_by("id")]


def state(shipment: Shipment) -> tuple[object, ...]:
    shipment.refresh_from_db()
    return (
        shipment.status,
        shipment.attention_since,
        shipment.attention_reason,
        shipment.confirmed_by,
        shipment.confirmed_at,
        shipment.merchant_reference,
        shipment.events.count(),
    )


def listed(response: object, *shipments: Shipment) -> set[int]:
    page = response.content.decode()  # type: ignore[attr-defined]
    return {s.pk for s in shipments if f"{LIST}{s.pk}/change/" in page}


def test_the_list_filters_and_marks_what_needs_attention(staff: Client, demo: Merchant) -> None:
    # given
    attention = needing_attention(demo, session_id="s-1")
    plain = ShipmentFactory.create(merchant=demo, option_id="postnord-home", session_id="s-2")

    # when
    everything = staff.get(LIST)
    yes = staff.get(f"{LIST}?attention=yes")
    no = staff.get(f"{LIST}?attention=no")

    # then
    html = everything.content.decode()
    assert "By needs attention" in html
    assert 'class="sortable column-needs_attention"' in html
    assert html.count('<img src="/static/admin/img/icon-yes.svg" alt="True">') == 1
    assert listed(everything, attention, plain) == {attention.pk, plain.pk}
    assert listed(yes, attention, plain) == {attention.pk}
    assert listed(no, attention, plain) == {plain.pk}


def test_the_shipment_page_shows_the_reason_and_the_two_buttons(
    staff: Client, demo: Merchant
) -> None:
    # given
    shipment = needing_attention(demo, session_id="s-1")

    # when
    html = staff.get(f"{LIST}{shipment.pk}/change/").content.decode()

    # then
    # The demo shop has a checkout API credential, so the gateway says it is reading the order.
    assert shipment.attention_reason == ATTENTION_CHECKING
    reason = ATTENTION_CHECKING.replace("'", "&#x27;")
    assert f'<li class="warning">Needs attention: {reason}</li>' in html
    assert f'<form method="post" action="{LIST}{shipment.pk}/confirm-by-hand/">' in html
    assert f'<form method="post" action="{LIST}{shipment.pk}/dismiss-attention/">' in html
    assert "Confirm by hand (order was paid)</button>" in html
    assert "Dismiss (not paid)</button>" in html
    assert 'name="merchant_reference"' in html


def test_a_shipment_without_attention_has_no_buttons(staff: Client, demo: Merchant) -> None:
    # given
    shipment = ShipmentFactory.create(merchant=demo, option_id="postnord-home")

    # when
    html = staff.get(f"{LIST}{shipment.pk}/change/").content.decode()

    # then
    assert "confirm-by-hand/" not in html
    assert "dismiss-attention/" not in html
    assert "Needs attention:" not in html


def test_confirm_by_hand_from_the_page_books_it(
    staff: Client, demo: Merchant, django_capture_on_commit_callbacks: object
) -> None:
    # given
    shipment = needing_attention(demo, session_id="s-1")
    queue_clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = staff.post(
            f"{LIST}{shipment.pk}/confirm-by-hand/",
            {"merchant_reference": " WEB-77 "},
            follow=True,
        )

    # then
    assert response.redirect_chain == [(f"{LIST}{shipment.pk}/change/", 302)]
    assert messages_of(response) == [f"{shipment}: confirmed by hand; booking queued."]
    assert queued_bookings() == [shipment.pk]
    shipment.refresh_from_db()
    assert shipment.status == "confirmed"
    assert shipment.confirmed_by == "staff"
    assert shipment.merchant_reference == "WEB-77"
    assert shipment.attention_since is None
    assert shipment.attention_reason == ""
    assert history(shipment)[-1] == (
        "expired",
        "confirmed",
        "staff:root",
        "confirmed by hand (order WEB-77), after the reservation lifetime",
    )
    assert "confirm-by-hand/" not in response.content.decode()


def test_dismiss_from_the_page(staff: Client, demo: Merchant) -> None:
    # given
    shipment = needing_attention(demo, session_id="s-1")

    # when
    response = staff.post(f"{LIST}{shipment.pk}/dismiss-attention/", follow=True)

    # then
    assert messages_of(response) == [f"{shipment}: dismissed (not paid); it stays expired."]
    shipment.refresh_from_db()
    assert shipment.status == "expired"
    assert shipment.attention_since is None
    assert shipment.attention_reason == ""
    assert shipment.confirmed_by == ""
    assert history(shipment)[-1] == (
        "expired",
        "expired",
        "staff:root",
        "dismissed: the order was not paid",
    )


def test_the_actions_settle_each_selected_shipment_and_say_what_happened(
    staff: Client, demo: Merchant, django_capture_on_commit_callbacks: object
) -> None:
    # given: two need attention, one is a live reservation, one was confirmed by Klarna
    first = needing_attention(demo, session_id="s-1")
    second = needing_attention(demo, session_id="s-2")
    live = ShipmentFactory.create(merchant=demo, option_id="postnord-home", session_id="s-3")
    confirmed = shipment_confirm(
        merchant=demo,
        shipment=ShipmentFactory.create(merchant=demo, option_id="postnord-home", session_id="s-4"),
    )
    live_before, confirmed_before = state(live), state(confirmed)
    queue_clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        confirm = staff.post(
            LIST,
            {
                "action": "confirm_by_hand",
                "_selected_action": [first.pk, live.pk, confirmed.pk],
            },
            follow=True,
        )
    dismiss = staff.post(
        LIST,
        {"action": "dismiss_attention", "_selected_action": [second.pk, live.pk]},
        follow=True,
    )

    # then
    assert sorted(messages_of(confirm)) == sorted(
        [
            f"{first}: confirmed by hand; booking queued.",
            f"{live}: does not need attention (it is reserved); nothing changed.",
            f"{confirmed}: already confirmed (Klarna's confirm); nothing changed.",
        ]
    )
    assert sorted(messages_of(dismiss)) == sorted(
        [
            f"{second}: dismissed (not paid); it stays expired.",
            f"{live}: does not need attention (it is reserved); nothing changed.",
        ]
    )
    assert queued_bookings() == [first.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.confirmed_by, first.attention_since) == ("confirmed", "staff", None)
    assert history(first)[-1][2] == "staff:root"
    assert (second.status, second.confirmed_by, second.attention_since) == ("expired", "", None)
    assert history(second)[-1][2:] == ("staff:root", "dismissed: the order was not paid")
    assert state(live) == live_before
    assert state(confirmed) == confirmed_before


def test_the_buttons_are_post_only(staff: Client, demo: Merchant) -> None:
    # given
    shipment = needing_attention(demo, session_id="s-1")
    before = state(shipment)

    # when
    confirm = staff.get(f"{LIST}{shipment.pk}/confirm-by-hand/")
    dismiss = staff.get(f"{LIST}{shipment.pk}/dismiss-attention/")

    # then
    assert confirm.status_code == dismiss.status_code == 405
    assert state(shipment) == before


def test_the_buttons_need_the_csrf_token(superuser: object, demo: Merchant) -> None:
    # given
    shipment = needing_attention(demo, session_id="s-1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)  # type: ignore[arg-type]
    before = state(shipment)

    # when
    confirm = client.post(f"{LIST}{shipment.pk}/confirm-by-hand/")
    dismiss = client.post(f"{LIST}{shipment.pk}/dismiss-attention/")

    # then
    assert confirm.status_code == dismiss.status_code == 403
    assert state(shipment) == before


def test_support_sees_the_attention_but_cannot_settle_it(support: Client, demo: Merchant) -> None:
    # given
    shipment = needing_attention(demo, session_id="s-1")
    before = state(shipment)

    # when
    page = support.get(f"{LIST}{shipment.pk}/change/").content.decode()
    confirm = support.post(f"{LIST}{shipment.pk}/confirm-by-hand/")
    dismiss = support.post(f"{LIST}{shipment.pk}/dismiss-attention/")
    action = support.post(LIST, {"action": "confirm_by_hand", "_selected_action": [shipment.pk]})

    # then
    assert "Needs attention" in page  # the fieldset: support reads the reason
    assert "confirm-by-hand/" not in page
    assert "dismiss-attention/" not in page
    assert confirm.status_code == dismiss.status_code == 403
    assert action.status_code in (200, 302)
    assert state(shipment) == before


def test_an_unknown_shipment_is_not_found(staff: Client, demo: Merchant) -> None:
    assert staff.post(f"{LIST}999999/confirm-by-hand/").status_code == 404
    assert staff.post(f"{LIST}999999/dismiss-attention/").status_code == 404
