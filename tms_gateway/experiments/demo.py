"""A finished experiment for the demo shop, so `make run` shows the experiment pages with data
(never in production: only ``seed_demo`` calls it).

"Cheaper home delivery": two weeks, ending three weeks ago, in which half the Swedish checkouts
were offered PostNord's home delivery at 49 kr instead of 69 kr. Its checkout events are made
up but shaped like real ones (an answer per checkout carrying the variant, then a reservation
and, for most, a confirm), with more shoppers completing and choosing home delivery in the
cheaper variant; the results are computed from them when it stops and kept, as a real stop
does. Seeding again replaces the experiment and its events (``session_ref`` starting with
``demo-experiment:``; the analytics demo's own events are not touched).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from merchants.models import DeliveryOption, Merchant
from tms_gateway.insights.models import CheckoutEvent

from .models import Experiment, ExperimentStatus, Variant
from .results import experiment_results

DEMO_PREFIX = "demo-experiment:"
NAME = "Cheaper home delivery"
HOME = "postnord-home"
COUNTRY, CURRENCY = "SE", "SEK"
CHEAP = 4900
#: Chance that a checkout is completed, per variant (the cheaper one converts better).
COMPLETED = {"A": 0.63, "B": 0.68}


def _ref(n: int) -> str:
    return (DEMO_PREFIX + hashlib.sha256(f"experiment:{n}".encode()).hexdigest())[:64]


def experiments_demo_seed(
    *, merchant: Merchant, sessions: int = 3000, now: dt.datetime | None = None
) -> Experiment | None:
    """Replace the demo's finished experiment and its events; None when the shop has no
    active home delivery in SEK to experiment on."""
    now = now or timezone.now()
    offered = [
        o
        for o in DeliveryOption.objects.filter(merchant=merchant, is_active=True).order_by(
            "sort_order", "id"
        )
        if (not o.countries or COUNTRY in o.countries) and CURRENCY in (o.prices or {})
    ]
    if not any(o.code == HOME for o in offered):
        return None
    stopped_at = now - dt.timedelta(days=21)
    started_at = stopped_at - dt.timedelta(days=14)
    rng = random.Random(1603)  # noqa: S311 - the same made-up demo every time, no secret
    with transaction.atomic():
        Experiment.objects.filter(merchant=merchant, name=NAME).delete()
        CheckoutEvent.objects.filter(
            merchant=merchant, session_ref__startswith=DEMO_PREFIX
        ).delete()
        experiment = Experiment.objects.create(
            merchant=merchant,
            name=NAME,
            status=ExperimentStatus.STOPPED,
            started_at=started_at,
            stopped_at=stopped_at,
        )
        Variant.objects.bulk_create(
            [
                Variant(experiment=experiment, name="A", share=50, changes={}, position=0),
                Variant(
                    experiment=experiment,
                    name="B",
                    share=50,
                    changes={HOME: {"prices": {CURRENCY: CHEAP}}},
                    position=1,
                ),
            ]
        )
        events: list[CheckoutEvent] = []
        span = (stopped_at - started_at).total_seconds()
        for n in range(sessions):
            variant = "A" if n % 2 == 0 else "B"
            ref = _ref(n)
            at = started_at + dt.timedelta(seconds=rng.uniform(0, span - 600))
            shown: list[dict[str, Any]] = [
                {
                    "id": o.code,
                    "carrier": o.carrier,
                    "price": CHEAP
                    if variant == "B" and o.code == HOME
                    else int(o.prices[CURRENCY]),
                    "preselected": o.preselected,
                    "position": position,
                }
                for position, o in enumerate(offered)
            ]
            common: dict[str, Any] = {"merchant": merchant, "session_ref": ref, "country": COUNTRY}
            events.append(
                CheckoutEvent(
                    **common,
                    at=at,
                    kind=CheckoutEvent.Kind.ANSWER,
                    currency=CURRENCY,
                    options=shown,
                    experiment_id=experiment.pk,
                    variant=variant,
                )
            )
            if rng.random() > COMPLETED[variant] / 0.9:
                continue  # left the checkout
            weights = [
                (3.0 if s["preselected"] else 1.0)
                / (1 + 0.35 * s["position"])
                * (2.2 if variant == "B" and s["id"] == HOME else 1.0)
                for s in shown
            ]
            chosen = rng.choices(shown, weights=weights)[0]
            events.append(
                CheckoutEvent(
                    **common,
                    at=at + dt.timedelta(minutes=2),
                    kind=CheckoutEvent.Kind.RESERVATION,
                    currency=CURRENCY,
                    option_id=chosen["id"],
                    price=chosen["price"],
                )
            )
            if rng.random() < 0.9:
                events.append(
                    CheckoutEvent(
                        **common,
                        at=at + dt.timedelta(minutes=4),
                        kind=CheckoutEvent.Kind.CONFIRM,
                        currency=CURRENCY,
                        option_id=chosen["id"],
                        price=chosen["price"],
                    )
                )
        CheckoutEvent.objects.bulk_create(events, batch_size=2000)
        experiment.results = experiment_results(experiment=experiment, until=stopped_at)
        experiment.save(update_fields=["results", "updated_at"])
    return experiment
