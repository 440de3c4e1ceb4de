"""Bookings that need attention in the portal: an expired reservation whose order may have been
paid is listed under its own filter, counted on the bookings page and the dashboard, and
confirmed by hand or dismissed by the shop's staff (only their own shop's); the counts also
reach /metrics."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant
from tests.factories import ShipmentFactory
from tests.ops.test_metrics import sample, scrape
from tests.shipments.helpers import queue_clear, queued_bookings
from tms_gateway.shipments.models import Shipment, ShipmentStatus
from tms_gateway.shipments.services import (
    ATTENTION_NO_CONFIRM,
    shipment_attention_dismiss,
    shipment_confirm,
)
from tms_gateway.shipments.tasks import shipment_expire_stale

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"


def needing_attention(merchant: Merchant, option_id: str, *, order_id: str) -> Shipment:
    """A reservation never confirmed, an hour and a minute old, expired by the sweeper (the
    task, which counts it)."""
    shipment = ShipmentFactory.create(merchant=merchant, option_id=option_id, order_id=order_id)
    Shipment.objects.filter(pk=shipment.pk).update(
        selection_changed_at=timezone.now() - dt.timedelta(minutes=61)
    )
    shipment_expire_stale()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.EXPIRED
    assert shipment.attention_since is not None
    return shipment


def detail(shipment: Shipment) -> str:
    return reverse("portal:booking", kwargs={"public_id": shipment.public_id})


def confirm_url(shipment: Shipment) -> str:
    return reverse("portal:booking_confirm", kwargs={"public_id": shipment.public_id})


def dismiss_url(shipment: Shipment) -> str:
    return reverse("portal:booking_dismiss", kwargs={"public_id": shipment.public_id})


def history(shipment: Shipment) -> list[tuple[str, str, str, str]]:
    return [(e.from_status, e.to_status, e.actor, e.reason) for e in shipment.events.order_by("id")]


def state(shipment: Shipment) -> tuple[object, ...]:
    """What the actions could change, to prove a refused one changed nothing."""
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


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


# --- the list, the badge and the banners ----------------------------------------------------


def test_the_filter_lists_exactly_the_bookings_that_need_attention(
    shop_a: Merchant, shop_b: Merchant, client_a: Client
) -> None:
    # given: two of A's need attention; a plain reservation, an order, an expired one that
    # was dismissed and B's that needs attention do not show
    first = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    second = needing_attention(shop_a, "instabox-locker", order_id="ATT-2")
    ShipmentFactory.create(merchant=shop_a, option_id="postnord-home", order_id="RES-1")
    ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="ORD-1"
    )
    dismissed = needing_attention(shop_a, "postnord-home", order_id="DIS-1")
    shipment_attention_dismiss(merchant=shop_a, shipment=dismissed, actor="test")
    needing_attention(shop_b, "b-courier", order_id="B-ATT-1")

    # when
    response = client_a.get(reverse("portal:bookings"), {"status": "attention"})

    # then
    assert [r["shipment"].pk for r in response.context["rows"]] == [second.pk, first.pk]
    assert [r["attention"] for r in response.context["rows"]] == [True, True]
    html = response.content.decode()
    assert '<option value="attention" selected>Needs attention</option>' in html
    assert html.count('class="status status-failed status-attention"') == 2


def test_the_default_list_badges_no_order(shop_a: Merchant, client_a: Client) -> None:
    # given
    ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="ORD-1"
    )
    needing_attention(shop_a, "postnord-home", order_id="ATT-1")

    # when
    orders = client_a.get(reverse("portal:bookings"))
    everything = client_a.get(reverse("portal:bookings"), {"status": "all"})

    # then: the default list leaves expired reservations out; "all" badges the one
    assert [r["shipment"].klarna_order_id for r in orders.context["rows"]] == ["ORD-1"]
    assert [
        (r["shipment"].klarna_order_id, r["attention"]) for r in everything.context["rows"]
    ] == [("ATT-1", True), ("ORD-1", False)]
    assert everything.content.decode().count("status-attention") == 1


def test_the_count_shows_on_the_bookings_page_and_the_dashboard_linking_to_the_filter(
    shop_a: Merchant, shop_b: Merchant, client_a: Client
) -> None:
    # given
    needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    needing_attention(shop_a, "instabox-locker", order_id="ATT-2")
    needing_attention(shop_b, "b-courier", order_id="B-ATT-1")

    # when
    pages = [
        client_a.get(reverse("portal:bookings")),
        client_a.get(reverse("portal:dashboard")),
    ]

    # then
    for page in pages:
        assert page.context["attention_count"] == 2
        html = page.content.decode()
        link = f'<a href="{reverse("portal:bookings")}?status=attention">'
        assert link in html
        banner = html.split(link)[1].split("</a>")[0]
        assert " ".join(banner.split()) == (
            "2 bookings need attention: their reservations expired without a confirm, "
            "but the orders may have been paid."
        )


def test_no_banner_when_nothing_needs_attention(shop_a: Merchant, client_a: Client) -> None:
    # given
    ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="ORD-1"
    )

    # when
    pages = [
        client_a.get(reverse("portal:bookings")),
        client_a.get(reverse("portal:dashboard")),
    ]

    # then
    for page in pages:
        assert page.context["attention_count"] == 0
        assert "?status=attention" not in page.content.decode()


def test_the_banner_in_swedish(shop_a: Merchant, client_a: Client) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    # when
    listing = client_a.get(reverse("portal:bookings"), {"status": "attention"}).content.decode()
    page = client_a.get(detail(shipment)).content.decode()

    # then
    assert "1 bokning behöver åtgärdas" in listing
    assert "Behöver åtgärdas" in listing
    assert f"Bekräfta {DASH} ordern är betald" in page
    assert f"Avfärda {DASH} inte betald" in page
    assert "Utgick utan bekräftelse från Klarna eller butiken" in page


def test_the_csv_export_follows_the_filter(shop_a: Merchant, client_a: Client) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="ORD-1"
    )

    # when
    response = client_a.get(reverse("portal:bookings_export"), {"status": "attention"})

    # then
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = body.splitlines()
    assert ",tracking_url,confirmed_by,merchant_reference," in lines[0]
    assert len(lines) == 2
    assert lines[1].startswith(f"{shipment.created_at.isoformat(timespec='seconds')},")
    assert ",ATT-1,expired," in lines[1]
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["confirmed_by"] == row["merchant_reference"] == ""  # not confirmed, no reference


# --- the detail page -----------------------------------------------------------------------


def test_the_detail_shows_the_reason_and_both_buttons(shop_a: Merchant, client_a: Client) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")

    # when
    html = client_a.get(detail(shipment)).content.decode()

    # then
    assert shipment.attention_reason == ATTENTION_NO_CONFIRM
    assert ATTENTION_NO_CONFIRM.replace("'", "&#x27;") in html
    assert f'<form method="post" action="{confirm_url(shipment)}">' in html
    assert f'<form method="post" action="{dismiss_url(shipment)}">' in html
    assert 'name="merchant_reference"' in html
    assert f"Confirm {DASH} the order was paid" in html
    assert f"Dismiss {DASH} not paid" in html
    assert html.count("csrfmiddlewaretoken") == 4  # language, sign out, confirm, dismiss


def test_the_detail_of_a_booking_without_attention_has_no_buttons(
    shop_a: Merchant, client_a: Client
) -> None:
    # given
    shipment = ShipmentFactory.create(
        merchant=shop_a, option_id="postnord-home", confirmed=True, order_id="ORD-1"
    )

    # when
    html = client_a.get(detail(shipment)).content.decode()

    # then
    assert confirm_url(shipment) not in html
    assert dismiss_url(shipment) not in html
    assert "status-attention" not in html
    assert re.search(r"<dt>Confirmed by</dt>\s*<dd>Klarna&#x27;s confirm · ", html)
    assert re.search(rf"<dt>Your order reference</dt>\s*<dd>{DASH}</dd>", html)


# --- confirm by hand -----------------------------------------------------------------------


def test_confirm_by_hand_confirms_queues_the_booking_and_shows_its_progress(
    shop_a: Merchant, client_a: Client, django_capture_on_commit_callbacks: object
) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    queue_clear()

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        response = client_a.post(confirm_url(shipment), {"merchant_reference": "WEB-4711"})
    page = client_a.get(response["Location"])

    # then
    assert response.status_code == 302
    assert response["Location"] == detail(shipment)
    # after the commit: the booking queued once (beside the confirm's other after-commit work:
    # its checkout event, the shopper's remembered choice)
    assert callbacks
    assert queued_bookings() == [shipment.pk]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CONFIRMED
    assert shipment.confirmed_by == "staff"
    assert shipment.merchant_reference == "WEB-4711"
    assert shipment.attention_since is None
    assert shipment.attention_reason == ""
    assert history(shipment)[-1] == (
        "expired",
        "confirmed",
        "anna (portal)",
        "confirmed by hand (order WEB-4711), after the reservation lifetime",
    )
    assert messages_of(page) == [
        "Confirmed by hand: the booking with the carrier is queued; its progress shows below."
    ]
    html = page.content.decode()
    assert '<span class="status status-confirmed">Confirmed</span>' in html
    assert "Expired → Confirmed" in html
    assert re.search(r"<dt>Confirmed by</dt>\s*<dd>By hand · ", html)
    assert re.search(r"<dt>Your order reference</dt>\s*<dd>WEB-4711</dd>", html)
    assert confirm_url(shipment) not in html


def test_confirm_without_a_reference(shop_a: Merchant, client_a: Client) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")

    # when
    response = client_a.post(confirm_url(shipment), {}, follow=True)

    # then
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CONFIRMED
    assert shipment.merchant_reference == ""
    assert history(shipment)[-1][2:] == (
        "anna (portal)",
        "confirmed by hand, after the reservation lifetime",
    )
    assert messages_of(response) == [
        "Confirmed by hand: the booking with the carrier is queued; its progress shows below."
    ]


def test_confirming_again_is_harmless_and_says_so(shop_a: Merchant, client_a: Client) -> None:
    # given: confirmed by hand once
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    client_a.post(confirm_url(shipment), {"merchant_reference": "WEB-1"}, follow=True)
    before = state(shipment)

    # when
    response = client_a.post(confirm_url(shipment), {"merchant_reference": "WEB-2"}, follow=True)

    # then
    assert response.status_code == 200
    assert messages_of(response) == [
        "This booking no longer needs attention: it was already confirmed (By hand)."
    ]
    assert state(shipment) == before


def test_a_late_confirm_from_klarna_wins_and_the_shops_confirm_changes_nothing(
    shop_a: Merchant, client_a: Client
) -> None:
    # given: Klarna's confirm arrived after all while the page was open
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    shipment_confirm(merchant=shop_a, shipment=shipment)
    before = state(shipment)

    # when
    response = client_a.post(confirm_url(shipment), {}, follow=True)

    # then
    assert messages_of(response) == [
        "This booking no longer needs attention: it was already confirmed (Klarna's confirm)."
    ]
    assert state(shipment) == before
    assert shipment.confirmed_by == "klarna"


def test_confirm_of_a_dismissed_booking_changes_nothing(shop_a: Merchant, client_a: Client) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    client_a.post(dismiss_url(shipment), follow=True)
    before = state(shipment)

    # when
    response = client_a.post(confirm_url(shipment), {}, follow=True)

    # then
    assert messages_of(response) == ["This booking does not need attention; nothing was changed."]
    assert state(shipment) == before
    assert shipment.status == ShipmentStatus.EXPIRED


def test_a_reference_too_long_is_refused_and_nothing_changes(
    shop_a: Merchant, client_a: Client
) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    before = state(shipment)

    # when
    response = client_a.post(confirm_url(shipment), {"merchant_reference": "x" * 256}, follow=True)

    # then
    assert messages_of(response) == [
        "Nothing was changed: Ensure this value has at most 255 characters (it has 256)."
    ]
    assert state(shipment) == before


# --- dismiss -------------------------------------------------------------------------------


def test_dismiss_clears_the_attention_and_the_booking_stays_expired(
    shop_a: Merchant, client_a: Client, django_capture_on_commit_callbacks: object
) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        response = client_a.post(dismiss_url(shipment))
    page = client_a.get(response["Location"])

    # then
    assert response.status_code == 302
    assert response["Location"] == detail(shipment)
    assert callbacks == []  # nothing is booked
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.EXPIRED
    assert shipment.attention_since is None
    assert shipment.attention_reason == ""
    assert shipment.confirmed_by == ""
    assert history(shipment)[-1] == (
        "expired",
        "expired",
        "anna (portal)",
        "dismissed: the order was not paid",
    )
    assert messages_of(page) == ["Dismissed: the order was not paid, so nothing will be booked."]
    assert dismiss_url(shipment) not in page.content.decode()
    listing = client_a.get(reverse("portal:bookings"), {"status": "attention"})
    assert listing.context["rows"] == []
    assert listing.context["attention_count"] == 0


def test_dismiss_twice_says_nothing_changed(shop_a: Merchant, client_a: Client) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    client_a.post(dismiss_url(shipment), follow=True)
    before = state(shipment)

    # when
    response = client_a.post(dismiss_url(shipment), follow=True)

    # then
    assert messages_of(response) == ["This booking does not need attention; nothing was changed."]
    assert state(shipment) == before


# --- only the shop's own, only POST, only with the CSRF token --------------------------------


def test_another_shops_booking_is_not_found_and_unchanged(
    shop_a: Merchant, client_b: Client
) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    before = state(shipment)

    # when
    confirm = client_b.post(confirm_url(shipment), {"merchant_reference": "B-1"})
    dismiss = client_b.post(dismiss_url(shipment))
    page = client_b.get(detail(shipment))

    # then
    assert confirm.status_code == dismiss.status_code == page.status_code == 404
    assert state(shipment) == before


def test_an_unknown_booking_is_not_found(client_a: Client) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"

    assert client_a.post(f"/portal/bookings/{unknown}/confirm/").status_code == 404
    assert client_a.post(f"/portal/bookings/{unknown}/dismiss/").status_code == 404


def test_get_is_not_allowed(shop_a: Merchant, client_a: Client) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    before = state(shipment)

    # when
    confirm = client_a.get(confirm_url(shipment))
    dismiss = client_a.get(dismiss_url(shipment))

    # then
    assert confirm.status_code == dismiss.status_code == 405
    assert confirm["Allow"] == dismiss["Allow"] == "POST"
    assert state(shipment) == before


def test_signed_out_is_sent_to_sign_in_and_nothing_changes(shop_a: Merchant) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    before = state(shipment)

    # when
    response = Client().post(confirm_url(shipment))

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert state(shipment) == before


def test_the_csrf_token_is_required(shop_a: Merchant, user_a: object) -> None:
    # given
    shipment = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_a)  # type: ignore[arg-type]
    before = state(shipment)

    # when: without the token, then with the one the page's form carries
    forged = client.post(confirm_url(shipment))
    unchanged = state(shipment)
    html = client.get(detail(shipment)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    posted = client.post(confirm_url(shipment), {"csrfmiddlewaretoken": token.group(1)})

    # then
    assert forged.status_code == 403
    assert unchanged == before
    assert posted.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CONFIRMED


# --- metrics -------------------------------------------------------------------------------


def test_metrics_count_expiries_confirms_and_what_needs_attention(
    shop_a: Merchant, shop_b: Merchant, client_a: Client
) -> None:
    # given: the counters are per process, so the test reads how much they grow
    metrics = Client()
    before = scrape(metrics)

    # when: three expire needing attention (two A, one B); A confirms one by hand
    first = needing_attention(shop_a, "postnord-home", order_id="ATT-1")
    needing_attention(shop_a, "instabox-locker", order_id="ATT-2")
    needing_attention(shop_b, "b-courier", order_id="B-ATT-1")
    client_a.post(confirm_url(first))
    after = scrape(metrics)

    # then
    def grew(name: str, **labels: str) -> float:
        return (sample(after, name, **labels) or 0.0) - (sample(before, name, **labels) or 0.0)

    assert sample(before, "tms_shipments_needing_attention") == 0.0
    assert sample(after, "tms_shipments_needing_attention") == 2.0
    assert grew("tms_reservations_expired_total", attention="yes") == 3.0
    assert grew("tms_reservations_expired_total", attention="no") == 0.0
    assert grew("tms_shipment_confirms_total", source="staff") == 1.0
    assert grew("tms_shipment_confirms_total", source="klarna") == 0.0
