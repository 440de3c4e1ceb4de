"""``manage.py seed_bookings``: fill one shop with many realistic bookings (PostgreSQL only).

For measuring the portal at a big shop's size (``make bench``'s portal part): a million
bookings by default, written with PostgreSQL's COPY in batches of 50,000 (a million took 2
minutes on 2 CPUs, 7 with the portal's trigram indexes to keep up), never through the services
(nothing is queued, nothing reaches a carrier). Then VACUUM ANALYZE, as autovacuum would later.

What a row looks like: created over the last ``--days`` days (730: two years), oldest first;
mostly booked, some cancelled, failed or expired (a few of these needing attention), and
reserved only in the last hour, as a real shop's would be; one of the shop's own delivery
options with its carrier, product and price; the shop's own order number
(``merchant_reference``, ``WEB-`` and a running number), a Klarna order id, the shopper's name,
e-mail and mobile phone (E.164, as reservation stores it), a tracking number in the carrier's
style when booked. One booking in ten also gets its history (reserved, confirmed, booking,
then its outcome) as ShipmentEvent rows, written by one INSERT ... SELECT.

The seeded rows are told apart by their session id (``seed-`` and a uuid): running again adds
only what is missing up to ``--count``; ``--replace`` first deletes the shop's seeded bookings
(never its real ones). No other shop is read or written. Refused with production settings
(``DEMO_SEED_ENABLED`` off) unless ``--force``, and on SQLite.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from merchants.models import DeliveryOption, Merchant, OptionKind
from tms_gateway.shipments.models import (
    ConfirmSource,
    Shipment,
    ShipmentEvent,
    ShipmentLabel,
    ShipmentStatus,
    ShipmentTrackingEvent,
)

S = ShipmentStatus
SEED_PREFIX = "seed-"
DEFAULT_COUNT = 1_000_000
DEFAULT_DAYS = 730
BATCH_SIZE = 50_000
#: One booking in this many gets its ShipmentEvent history.
HISTORY_EVERY = 10
#: (status, weight) of bookings older than an hour.
STATUS_WEIGHTS = (
    (S.BOOKED, 880),
    (S.CANCELLED, 30),
    (S.FAILED, 20),
    (S.EXPIRED, 70),
)
#: Of the expired: this share needs attention (may have been paid, never confirmed).
ATTENTION_SHARE = 0.05
#: Options of these kinds are chosen this much more often than the others.
KIND_WEIGHT: dict[str, int] = {
    OptionKind.HOME: 5,
    OptionKind.PICKUP_POINT: 6,
    OptionKind.LOCKER: 4,
    OptionKind.MAILBOX: 2,
}
CURRENCY_OF_COUNTRY = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "FI": "EUR", "DE": "EUR"}

GIVEN_NAMES = (
    *("Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Emma", "Kristina", "Elin", "Ida"),
    *("Lars", "Mikael", "Johan", "Erik", "Per", "Karl", "Anders", "Peter", "Oskar", "Nils"),
    *("Åsa", "Björn", "Göran", "Märta", "Örjan", "Linnéa", "Aino", "Mikko", "Siri", "Ola"),
)
FAMILY_NAMES = (
    *("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"),
    *("Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindström"),
    *("Lindqvist", "Axelsson", "Berg", "Bergström", "Lundberg", "Virtanen", "Korhonen"),
    *("Hansen", "Johansen", "Öberg", "Åberg", "Holm", "Sandberg", "Forsberg", "Sjöberg"),
)
MAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "telia.com", "yahoo.se", "live.se")
TOWNS = (
    ("11122", "Stockholm", "Drottninggatan"),
    ("41103", "Göteborg", "Kungsgatan"),
    ("21119", "Malmö", "Södra Förstadsgatan"),
    ("75310", "Uppsala", "Svartbäcksgatan"),
    ("58223", "Linköping", "Storgatan"),
    ("90326", "Umeå", "Rådhusesplanaden"),
    ("97231", "Luleå", "Storgatan"),
    ("70210", "Örebro", "Drottninggatan"),
    ("35230", "Växjö", "Kungsgatan"),
    ("85230", "Sundsvall", "Esplanaden"),
)
TRACKING_STYLE = {
    "postnord": ("00373{:015d}", "https://tracking.postnord.com/se/?id={}"),
    "budbee": ("BB{:010d}", "https://tracking.budbee.com/{}"),
    "instabox": ("IB{:010d}SE", "https://track.instabox.io/{}"),
    "dhl": ("JVGL{:014d}", "https://www.dhl.com/se-sv/home/tracking.html?tracking-id={}"),
    "bring": ("70{:015d}", "https://tracking.bring.se/tracking/{}"),
}


@dataclass(frozen=True, slots=True)
class SeedResult:
    merchant: Merchant
    existing: int
    deleted: int
    created: int
    events: int
    seconds: float


class SeedRefused(CommandError):
    pass


def seeded_bookings_count(*, merchant: Merchant) -> int:
    """How many of the shop's bookings this command made."""
    return Shipment.objects.filter(merchant=merchant, session_id__startswith=SEED_PREFIX).count()


def _option_pool(merchant: Merchant) -> list[tuple[DeliveryOption, int]]:
    options = list(DeliveryOption.objects.filter(merchant=merchant).order_by("sort_order", "id"))
    if not options:
        raise SeedRefused(
            f"The shop {merchant.slug!r} has no delivery options: a booking names one. "
            "Configure options first (e.g. manage.py seed_demo for the demo shop)."
        )
    return [(option, KIND_WEIGHT.get(str(option.kind), 1)) for option in options]


def _currency(option: DeliveryOption, home: str) -> tuple[str, int]:
    prices: dict[str, int] = option.prices or {}
    if home in prices:
        return home, int(prices[home])
    if prices:
        currency = sorted(prices)[0]
        return currency, int(prices[currency])
    return home, 0


def _location(option: DeliveryOption, rng: random.Random) -> dict[str, Any] | None:
    if option.kind not in (OptionKind.PICKUP_POINT, OptionKind.LOCKER):
        return None
    postal_code, city, street = rng.choice(TOWNS)
    number = rng.randrange(1, 400)
    kind = "locker" if option.kind == OptionKind.LOCKER else "service_point"
    return {
        "id": f"{option.carrier.upper()[:3]}-{postal_code}-{number}",
        "name": f"{'Paketbox' if kind == 'locker' else 'Ombud'} {city} {number}",
        "kind": kind,
        "address": {
            "country": "SE",
            "postal_code": postal_code,
            "city": city,
            "street_address": f"{street} {number % 90 + 1}",
            "street_address2": "",
        },
        "coordinates": None,
        "extra": {},
    }


def _selection_json(option: DeliveryOption, price: int, rng: random.Random) -> str:
    names: dict[str, str] = option.names or {}
    location = _location(option, rng)
    return json.dumps(
        {
            "option_id": option.code,
            "name": names.get("sv") or names.get("en") or option.code,
            "kind": option.kind,
            "carrier": option.carrier,
            "carrier_product": option.carrier_product,
            "carrier_product_name": "",
            "service_class": "",
            "option_price": price,
            "location": location,
            "timeslot": None,
            "addons": [],
        },
        ensure_ascii=False,
    )


class _Rows:
    """Row values in the order of ``columns``: the fields a booking sets, every other column
    its field's default (so a column added later does not break the COPY)."""

    def __init__(self, merchant: Merchant, *, now: dt.datetime, rng: random.Random) -> None:
        self.merchant = merchant
        self.now = now
        self.rng = rng
        fields = [
            f
            for f in Shipment._meta.concrete_fields
            if not f.primary_key and not getattr(f, "generated", False)
        ]
        self.columns = [str(f.column) for f in fields]
        self.attnames = [f.attname for f in fields]
        self.defaults: dict[str, Any] = {}
        for f in fields:
            value = f.get_default()
            self.defaults[f.attname] = (
                json.dumps(value) if isinstance(value, dict | list) else value
            )
        home = CURRENCY_OF_COUNTRY.get(merchant.sender_country or "SE", "SEK")
        self.options = []
        for option, weight in _option_pool(merchant):
            currency, price = _currency(option, home)
            # A few locations per option, their snapshots made once.
            selections = [_selection_json(option, price, rng) for _ in range(8)]
            self.options.append((option, weight, currency, price, selections))
        self.weights = [weight for _, weight, *_ in self.options]
        self.statuses = [status for status, _ in STATUS_WEIGHTS]
        self.status_weights = [weight for _, weight in STATUS_WEIGHTS]

    def row(self, number: int, created_at: dt.datetime) -> list[Any]:
        rng = self.rng
        option, _weight, currency, price, selections = rng.choices(self.options, self.weights)[0]
        if self.now - created_at < dt.timedelta(hours=1):
            status = rng.choice((S.RESERVED, S.BOOKED))
        else:
            status = rng.choices(self.statuses, self.status_weights)[0]
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(FAMILY_NAMES)
        postal_code, city, street = rng.choice(TOWNS)
        reference = f"WEB-{100000 + number}"
        order_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        email = f"{given}.{family}{number % 997}@{rng.choice(MAIL_DOMAINS)}".lower()
        phone = f"+4670{rng.randrange(10_000_000):07d}"
        values: dict[str, Any] = {
            "created_at": created_at,
            "updated_at": created_at,
            "public_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "session_id": f"{SEED_PREFIX}{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "status": status,
            "merchant_id": self.merchant.pk,
            "option_id": option.pk,
            "selection": rng.choice(selections),
            "recipient": json.dumps(
                {
                    "country": "SE",
                    "postal_code": postal_code,
                    "city": city,
                    "street_address": f"{street} {rng.randrange(1, 120)}",
                    "street_address2": "",
                    "given_name": given,
                    "family_name": family,
                    "company_name": "",
                    "care_of": "",
                    "email": email,
                    "phone": phone,
                    "customer_type": "person",
                },
                ensure_ascii=False,
            ),
            "order": json.dumps(
                {
                    "id": order_id,
                    "tags": [],
                    "total_amount": rng.randrange(9900, 250000),
                    "total_weight_g": rng.randrange(100, 20000),
                    "lines": [],
                }
            ),
            "klarna_order_id": order_id,
            "currency": currency,
            "locale": "sv-SE",
            "price": price,
            "tax_rate": 2500,
            "selection_changed_at": created_at,
            "merchant_reference": reference,
        }
        if status != S.RESERVED and status != S.EXPIRED:
            values["confirmed_at"] = created_at + dt.timedelta(seconds=rng.randrange(5, 300))
            values["confirmed_by"] = ConfirmSource.KLARNA
            values["booking_since"] = values["confirmed_at"]
            values["booking_attempts"] = 1 if status != S.FAILED else 5
        if status == S.EXPIRED and rng.random() < ATTENTION_SHARE:
            values["attention_since"] = created_at + dt.timedelta(hours=1)
            values["attention_reason"] = "no_confirm"
        if status == S.FAILED:
            values["booking_error"] = "The carrier refused the booking: postal code not served."
        if status in (S.BOOKED, S.CANCELLED):
            booked_at = values["confirmed_at"] + dt.timedelta(seconds=rng.randrange(1, 30))
            values["booked_at"] = booked_at
            style = TRACKING_STYLE.get(option.carrier)
            if style is not None:
                tracking = style[0].format(rng.randrange(10**9))
                values["tracking_number"] = tracking
                values["tracking_numbers"] = json.dumps([tracking])
                values["tracking_url"] = style[1].format(tracking)
                values["carrier_shipment_id"] = tracking
                if status == S.BOOKED and self.now - booked_at > dt.timedelta(days=4):
                    values["tracking_status"] = "delivered"
                    values["delivered_at"] = booked_at + dt.timedelta(days=2)
                    values["tracking_checked_at"] = values["delivered_at"]
            values["updated_at"] = booked_at
        return [values.get(name, self.defaults[name]) for name in self.attnames]


def _created_times(count: int, *, now: dt.datetime, days: int, rng: random.Random) -> list[float]:
    """Seconds before ``now``, oldest first: a shop that grows (more orders lately)."""
    span = days * 86400.0
    ages = [span * (1 - rng.random() ** 0.8) for _ in range(count)]
    ages.sort(reverse=True)
    return ages


def bookings_seed(
    *,
    merchant: Merchant,
    count: int,
    replace: bool = False,
    days: int = DEFAULT_DAYS,
    seed: int = 1,
    progress: Any = None,
) -> SeedResult:
    """Make the shop have ``count`` seeded bookings (adding what is missing; ``replace``
    deletes the seeded ones first)."""
    if connection.vendor != "postgresql":
        raise SeedRefused(
            "seed_bookings writes with PostgreSQL's COPY: set DATABASE_URL to a PostgreSQL "
            f"database (this one is {connection.vendor}). Nothing was written."
        )
    started = time.monotonic()
    deleted = 0
    if replace:
        deleted = _seeded_delete(merchant=merchant)
    existing = seeded_bookings_count(merchant=merchant)
    missing = max(count - existing, 0)
    now = timezone.now()
    rng = random.Random(f"{seed}-{merchant.pk}-{existing}")  # noqa: S311 - made-up data
    events = 0
    if missing:
        rows = _Rows(merchant, now=now, rng=rng)
        ages = _created_times(missing, now=now, days=days, rng=rng)
        columns = ", ".join(connection.ops.quote_name(c) for c in rows.columns)
        table = connection.ops.quote_name(Shipment._meta.db_table)
        first_number = existing
        last_id = Shipment.objects.order_by("-id").values_list("id", flat=True).first() or 0
        done = 0
        while done < missing:
            size = min(BATCH_SIZE, missing - done)
            # The psycopg 3 cursor under Django's wrapper: COPY ... FROM STDIN.
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for index in range(done, done + size):
                    created_at = now - dt.timedelta(seconds=ages[index])
                    copy.write_row(rows.row(first_number + index, created_at))
            done += size
            if progress is not None:
                progress(done, missing)
        events = _history_insert(merchant=merchant, after_id=last_id)
    # Fresh statistics for the planner, and (outside a transaction) the visibility map that
    # lets the dashboard count from its index alone; autovacuum would get there later.
    table = connection.ops.quote_name(Shipment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ANALYZE {table}" if connection.in_atomic_block else f"VACUUM ANALYZE {table}"
        )
    return SeedResult(
        merchant=merchant,
        existing=existing,
        deleted=deleted,
        created=missing,
        events=events,
        seconds=time.monotonic() - started,
    )


def _seeded_delete(*, merchant: Merchant) -> int:
    """The shop's seeded bookings and what hangs on them, in SQL (a million rows through the
    ORM's cascade would take minutes)."""
    seeded = Shipment.objects.filter(merchant=merchant, session_id__startswith=SEED_PREFIX)
    ids = seeded.values("pk")
    with transaction.atomic():
        for model in (ShipmentEvent, ShipmentTrackingEvent, ShipmentLabel):
            model.objects.filter(merchant=merchant, shipment__in=ids)._raw_delete(model.objects.db)
        deleted: int = seeded._raw_delete(seeded.db)
    return deleted


_HISTORY_SQL = """
INSERT INTO {events} (merchant_id, shipment_id, "at", from_status, to_status, actor, reason)
SELECT s.merchant_id, s.id, step.at, step.from_status, step.to_status, step.actor, step.reason
FROM {shipments} s
CROSS JOIN LATERAL (
    VALUES
        (s.created_at, '', 'reserved', 'klarna', 'reserved ' || (s.selection ->> 'option_id')),
        (s.confirmed_at, 'reserved', 'confirmed', 'klarna', ''),
        (s.confirmed_at, 'confirmed', 'booking', 'system', ''),
        (COALESCE(s.booked_at, s.confirmed_at + interval '5 minutes'), 'booking',
         CASE WHEN s.status = 'failed' THEN 'failed' ELSE 'booked' END, 'system', 'attempt 1'),
        (s.updated_at + interval '1 day', 'booked', 'cancelled', 'staff', 'cancelled by the shop'),
        (s.created_at + interval '1 hour', 'reserved', 'expired', 'system', 'no confirm')
) AS step(at, from_status, to_status, actor, reason)
WHERE s.merchant_id = %s
  AND s.session_id LIKE %s
  AND s.id %% {every} = 0
  AND s.id > %s
  AND step.at IS NOT NULL
  AND (
    (step.to_status = 'reserved')
    OR (step.to_status IN ('confirmed', 'booking') AND s.status IN ('booked', 'failed', 'cancelled'))
    OR (step.to_status IN ('booked', 'failed') AND step.from_status = 'booking'
        AND s.status IN ('booked', 'failed', 'cancelled'))
    OR (step.to_status = 'cancelled' AND s.status = 'cancelled')
    OR (step.to_status = 'expired' AND s.status = 'expired')
  )
"""


def _history_insert(*, merchant: Merchant, after_id: int) -> int:
    """ShipmentEvent rows for one seeded booking in HISTORY_EVERY (those made by this run:
    ids above ``after_id``)."""
    sql = _HISTORY_SQL.format(
        events=connection.ops.quote_name(ShipmentEvent._meta.db_table),
        shipments=connection.ops.quote_name(Shipment._meta.db_table),
        every=HISTORY_EVERY,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [merchant.pk, f"{SEED_PREFIX}%", after_id])
        return int(cursor.rowcount)


class Command(BaseCommand):
    help = "Seed many realistic bookings into one shop (PostgreSQL; for measuring the portal)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", default="demo", help="the shop's slug (default: demo)")
        parser.add_argument(
            "--count",
            type=int,
            default=DEFAULT_COUNT,
            help=f"seeded bookings the shop should have (default {DEFAULT_COUNT:,})",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the shop's seeded bookings first (never its real ones)",
        )
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help="created over this many days"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (same rows again)")
        parser.add_argument(
            "--force", action="store_true", help="run even where DEMO_SEED_ENABLED is off"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_SEED_ENABLED and not options["force"]:
            raise CommandError(
                "Seeding is disabled here (DEMO_SEED_ENABLED=False, as in production); "
                "--force if you really mean it. Nothing was written."
            )
        if options["count"] < 0 or options["days"] < 1:
            raise CommandError("--count must not be negative and --days must be at least 1.")
        merchant = Merchant.objects.filter(slug=options["shop"]).first()
        if merchant is None:
            raise CommandError(f"No shop with the slug {options['shop']!r}. Nothing was written.")

        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 1 or done == total or done % 200_000 == 0:
                self.stdout.write(f"  {done:,} / {total:,} bookings written")

        result = bookings_seed(
            merchant=merchant,
            count=options["count"],
            replace=options["replace"],
            days=options["days"],
            seed=options["seed"],
            progress=progress,
        )
        if result.deleted:
            self.stdout.write(f"Deleted {result.deleted:,} seeded bookings of {merchant.slug}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{merchant.slug}: {result.existing + result.created:,} seeded bookings "
                f"({result.created:,} new, {result.events:,} history events) "
                f"in {result.seconds:.1f} s."
            )
        )
