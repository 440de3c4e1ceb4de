"""``manage.py seed_bookings``: many realistic bookings in one shop, by COPY, touching no other
shop; idempotent; refused on SQLite and where seeding is disabled (production)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from merchants.demo import demo_merchant_seed
from merchants.models import Merchant
from tests.factories import MerchantFactory
from tms_gateway.shipments.management.commands.seed_bookings import (
    SEED_PREFIX,
    SeedRefused,
    bookings_seed,
)
from tms_gateway.shipments.models import Shipment, ShipmentEvent, ShipmentStatus

pytestmark = pytest.mark.django_db

COUNT = 3000


@pytest.fixture
def shop() -> Merchant:
    return demo_merchant_seed(identifier="demo", key="demo-key")


@pytest.fixture
def other_shop() -> Merchant:
    return MerchantFactory.create(name="Other Shop", slug="other-shop")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_bookings", *args, stdout=out)
    return out.getvalue()


def test_seeds_the_count_into_one_shop_with_a_realistic_mix(
    shop: Merchant, other_shop: Merchant
) -> None:
    before_other = Shipment.objects.filter(merchant=other_shop).count()
    now = timezone.now()

    output = seed("--shop", shop.slug, "--count", str(COUNT))

    assert f"{COUNT:,} seeded bookings ({COUNT:,} new" in output
    rows = Shipment.objects.filter(merchant=shop)
    assert rows.count() == COUNT
    assert rows.filter(session_id__startswith=SEED_PREFIX).count() == COUNT
    assert Shipment.objects.filter(merchant=other_shop).count() == before_other
    assert Shipment.objects.exclude(merchant=shop).count() == before_other
    assert ShipmentEvent.objects.exclude(merchant=shop).count() == 0

    statuses = Counter(rows.values_list("status", flat=True))
    assert statuses[ShipmentStatus.BOOKED] > 0.8 * COUNT
    for status in (ShipmentStatus.CANCELLED, ShipmentStatus.FAILED, ShipmentStatus.EXPIRED):
        assert 0 < statuses[status] < 0.15 * COUNT, status
    # Reserved only in the last hour, as a real shop's would be.
    assert not rows.filter(
        status=ShipmentStatus.RESERVED, created_at__lt=now - dt.timedelta(hours=1)
    ).exists()

    oldest = rows.order_by("created_at").first()
    newest = rows.order_by("-created_at").first()
    assert oldest is not None and newest is not None
    assert now - oldest.created_at > dt.timedelta(days=600)
    assert newest.created_at <= timezone.now()

    references = list(rows.values_list("merchant_reference", flat=True))
    assert len(set(references)) == COUNT
    assert all(r.startswith("WEB-") for r in references)
    assert rows.values("public_id").distinct().count() == COUNT

    # The shop's own options and carriers, and the generated columns agree with the snapshot.
    codes = set(shop.options.values_list("code", flat=True))
    assert set(rows.values_list("selection_option_id", flat=True)) <= codes
    sample = rows.filter(status=ShipmentStatus.BOOKED, selection_carrier="postnord").first()
    assert sample is not None
    assert sample.snapshot.carrier == "postnord"
    assert sample.tracking_number.startswith("00373")
    assert sample.tracking_numbers == [sample.tracking_number]
    assert sample.recipient["email"].endswith(
        ("gmail.com", "hotmail.com", "outlook.com", "telia.com", "yahoo.se", "live.se")
    )
    assert sample.recipient["phone"].startswith("+4670")
    assert not rows.filter(status=ShipmentStatus.BOOKED, confirmed_at__isnull=True).exists()
    assert rows.filter(attention_since__isnull=False).exists()

    # A tenth of them with their history, each starting with the reservation.
    with_history = ShipmentEvent.objects.filter(merchant=shop).values("shipment").distinct()
    assert 0.05 * COUNT < with_history.count() < 0.15 * COUNT
    assert ShipmentEvent.objects.filter(merchant=shop, to_status="reserved").count() == (
        with_history.count()
    )


def test_runs_again_add_only_what_is_missing_and_replace_starts_over(shop: Merchant) -> None:
    seed("--shop", shop.slug, "--count", "1000")
    first_ids = set(Shipment.objects.filter(merchant=shop).values_list("id", flat=True))

    assert "(0 new" in seed("--shop", shop.slug, "--count", "1000")
    assert set(Shipment.objects.filter(merchant=shop).values_list("id", flat=True)) == first_ids

    seed("--shop", shop.slug, "--count", "1500")
    assert Shipment.objects.filter(merchant=shop).count() == 1500
    assert len({*Shipment.objects.filter(merchant=shop).values_list("merchant_reference")}) == 1500

    output = seed("--shop", shop.slug, "--count", "400", "--replace")
    assert "Deleted 1,500 seeded bookings" in output
    assert Shipment.objects.filter(merchant=shop).count() == 400
    assert not Shipment.objects.filter(id__in=first_ids).exists()
    assert not ShipmentEvent.objects.filter(shipment_id__in=first_ids).exists()


def test_replace_keeps_the_shops_real_bookings(shop: Merchant, settings: Any) -> None:
    from carriers.breaker import breaker
    from tests.checkout.conftest import STATIC_ADAPTERS
    from tests.factories import ShipmentFactory

    settings.CARRIER_ADAPTERS = STATIC_ADAPTERS
    settings.CARRIER_SANDBOX_URL = ""
    breaker.reset()
    real = ShipmentFactory.create(merchant=shop, option_id="postnord-home")
    seed("--shop", shop.slug, "--count", "200")

    seed("--shop", shop.slug, "--count", "100", "--replace")

    assert Shipment.objects.filter(pk=real.pk).exists()
    assert Shipment.objects.filter(merchant=shop).count() == 101


def test_refused_where_seeding_is_disabled(shop: Merchant, settings: Any) -> None:
    settings.DEMO_SEED_ENABLED = False

    with pytest.raises(CommandError, match="DEMO_SEED_ENABLED"):
        seed("--shop", shop.slug, "--count", "10")

    assert not Shipment.objects.exists()


def test_refused_on_sqlite(shop: Merchant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")

    with pytest.raises(SeedRefused, match="PostgreSQL"):
        bookings_seed(merchant=shop, count=10)

    monkeypatch.undo()
    assert not Shipment.objects.exists()


def test_unknown_shop_and_a_shop_without_options_are_refused(other_shop: Merchant) -> None:
    with pytest.raises(CommandError, match="No shop with the slug 'nope'"):
        seed("--shop", "nope", "--count", "10")
    with pytest.raises(CommandError, match="has no delivery options"):
        seed("--shop", other_shop.slug, "--count", "10")
    assert not Shipment.objects.exists()
