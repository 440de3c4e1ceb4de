"""Some weeks of checkout analytics for the demo shop, so `make run` shows the analytics page
and carrier health with data (never in production: only ``seed_demo`` calls it).

The events are made up but shaped like real ones: every day, in four Nordic markets, a few
dozen checkouts are offered the demo's options for that market and currency, most choose one
(the preselected and the cheap ones more often) and most of those are paid; each answer lists
its carriers' calls, now and then a slow one or a missed deadline. Seeding again replaces the
demo's own events (their ``session_ref`` starts with ``demo:``) and rolls the days up again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from django.db import transaction

from merchants.models import DeliveryOption, Merchant

from .models import CheckoutEvent
from .services import carrier_hours_rollup, option_days_rollup

DEMO_PREFIX = "demo:"
MARKETS = (("SE", "SEK", 22), ("NO", "NOK", 9), ("FI", "EUR", 7), ("DK", "DKK", 6))
#: Carriers whose quotes the demo's answers wait for (the shop's own options ask nobody).
_ASKED = frozenset({"postnord", "budbee", "instabox", "dhl", "bring"})


def _ref(day: dt.date, market: str, n: int) -> str:
    digest = hashlib.sha256(f"{day}:{market}:{n}".encode()).hexdigest()
    return (DEMO_PREFIX + digest)[:64]


def _offered(options: list[DeliveryOption], country: str, currency: str) -> list[DeliveryOption]:
    return [
        o
        for o in options
        if (not o.countries or country in o.countries) and currency in (o.prices or {})
    ]


def _carrier_calls(rng: random.Random, carriers: set[str]) -> list[dict[str, Any]]:
    calls = []
    for carrier in sorted(carriers):
        roll = rng.random()
        if roll < 0.02:  # missed the options deadline
            calls.append(
                {"carrier": carrier, "ok": False, "duration_ms": 1350, "error": "deadline exceeded"}
            )
        elif roll < 0.035:
            calls.append(
                {
                    "carrier": carrier,
                    "ok": False,
                    "duration_ms": rng.randint(40, 200),
                    "error": "CarrierUnavailable: HTTP 503",
                }
            )
        else:
            base = {"postnord": 180, "budbee": 120, "instabox": 140}.get(carrier, 220)
            calls.append(
                {
                    "carrier": carrier,
                    "ok": True,
                    "duration_ms": int(base * rng.lognormvariate(0, 0.45)),
                    "error": "",
                }
            )
    return calls


def insights_demo_seed(*, merchant: Merchant, weeks: int = 8, today: dt.date | None = None) -> int:
    """Replace the demo shop's made-up events of the last ``weeks`` weeks and roll them up.
    Returns how many events were written."""
    zone = merchant.zone
    today = today or dt.datetime.now(tz=zone).date()
    first = today - dt.timedelta(days=7 * weeks - 1)
    options = list(
        DeliveryOption.objects.filter(merchant=merchant, is_active=True).order_by(
            "sort_order", "id"
        )
    )
    rng = random.Random(16)  # noqa: S311 - the same made-up demo every time, no secret
    events: list[CheckoutEvent] = []
    day = first
    while day <= today:
        # More checkouts towards today and at weekends: the chart has a shape.
        growth = 0.7 + 0.6 * (day - first).days / max((today - first).days, 1)
        weekend = 1.3 if day.weekday() >= 5 else 1.0
        for country, currency, volume in MARKETS:
            offered = _offered(options, country, currency)
            if not offered:
                continue
            carriers = {o.carrier for o in offered if o.carrier in _ASKED}
            for n in range(int(volume * growth * weekend * rng.uniform(0.8, 1.2))):
                ref = _ref(day, country, n)
                at = dt.datetime.combine(
                    day, dt.time(rng.randint(7, 22), rng.randint(0, 59)), tzinfo=zone
                )
                shown: list[dict[str, Any]] = [
                    {
                        "id": o.code,
                        "carrier": o.carrier,
                        "price": int(o.prices[currency]),
                        "preselected": o.preselected,
                        "position": position,
                    }
                    for position, o in enumerate(offered)
                ]
                events.append(
                    CheckoutEvent(
                        merchant=merchant,
                        at=at,
                        kind=CheckoutEvent.Kind.ANSWER,
                        session_ref=ref,
                        country=country,
                        currency=currency,
                        options=shown,
                        carriers=_carrier_calls(rng, carriers),
                    )
                )
                if rng.random() > 0.78:
                    continue  # left the checkout
                # The preselected and the first options are chosen more often.
                weights = [
                    (3.0 if s["preselected"] else 1.0) / (1 + 0.35 * s["position"]) for s in shown
                ]
                chosen = rng.choices(shown, weights=weights)[0]
                for kind, minutes in ((CheckoutEvent.Kind.RESERVATION, 2), ("confirm", 4)):
                    if kind == "confirm" and rng.random() > 0.86:
                        break  # not paid
                    events.append(
                        CheckoutEvent(
                            merchant=merchant,
                            at=at + dt.timedelta(minutes=minutes),
                            kind=kind,
                            session_ref=ref,
                            country=country,
                            currency=currency,
                            option_id=chosen["id"],
                            price=chosen["price"],
                        )
                    )
        day += dt.timedelta(days=1)
    with transaction.atomic():
        CheckoutEvent.objects.filter(
            merchant=merchant, session_ref__startswith=DEMO_PREFIX
        ).delete()
        CheckoutEvent.objects.bulk_create(events, batch_size=1000)
    day = first
    while day <= today:
        option_days_rollup(merchant=merchant, day=day)
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    carrier_hours_rollup(start=start.replace(minute=0), end=end.astimezone(dt.UTC))
    return len(events)
