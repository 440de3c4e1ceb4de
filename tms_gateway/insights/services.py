"""Storing recorded events, rolling them up per day and forgetting old ones."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncHour

from merchants.models import DeliveryOption, Merchant

from .models import BreakerOpening, CarrierHour, CheckoutEvent, OptionDay

logger = logging.getLogger(__name__)

#: The Redis list the recorders push to and the drain empties.
QUEUE_KEY = "insights:events:v1"
#: A kept answer's bytes, named by their digest, for as long as the drain may take to come.
PAYLOAD_KEY = "insights:payload:v1:"
PAYLOAD_SECONDS = 3600
#: Raw events are kept at least this many days, whatever INSIGHTS_RAW_DAYS says.
MIN_RAW_DAYS = 3


def _at(value: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)


def _answer_options(payload: bytes, carriers_of: dict[str, str]) -> list[dict[str, Any]]:
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


def events_store(*, records: list[dict[str, Any]], payloads: dict[str, bytes] | None = None) -> int:
    """Store recorded events (the records ``recorder`` pushes) with ``bulk_create``; records of
    shops that no longer exist, and malformed ones, are dropped. A kept answer's options are
    read from its bytes in ``payloads`` (by digest), each distinct answer parsed once; an
    answer whose bytes are gone is stored without options. Returns how many were stored."""
    payloads = payloads or {}
    parsed: dict[tuple[int, str], list[dict[str, Any]]] = {}
    merchant_ids = {
        r["m"] for r in records if r.get("k") != "breaker" and isinstance(r.get("m"), int)
    }
    existing = set(Merchant.objects.filter(pk__in=merchant_ids).values_list("pk", flat=True))
    carriers_of = _option_carriers(existing) if any("pd" in r for r in records) else {}
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
                if "pd" in record:
                    key = (merchant_id, str(record["pd"]))
                    if key not in parsed:
                        parsed[key] = _answer_options(
                            payloads.get(key[1], b""), carriers_of.get(merchant_id, {})
                        )
                    event.options = parsed[key]
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
    _choices_assigned(events)
    batch = max(1, int(settings.INSIGHTS_STORE_BATCH))
    with transaction.atomic():
        CheckoutEvent.objects.bulk_create(events, batch_size=batch)
        BreakerOpening.objects.bulk_create(openings, batch_size=batch)
    return len(events) + len(openings)


def _choices_assigned(events: list[CheckoutEvent]) -> None:
    """A reservation or confirm carries the experiment variant of its session's last answer
    before it (in this batch or stored), so every event says which variant it belongs to."""
    choices = [e for e in events if e.kind != "answer" and e.session_ref]
    if not choices:
        return
    wanted = {(e.merchant_id, e.session_ref) for e in choices}
    stored = CheckoutEvent.objects.filter(
        merchant_id__in={m for m, _ in wanted},
        session_ref__in={ref for _, ref in wanted},
        kind="answer",
    ).values_list("merchant_id", "session_ref", "at", "experiment_id", "variant")
    answers: dict[tuple[int, str], list[tuple[dt.datetime, int | None, str]]] = {}
    for merchant_id, ref, at, experiment_id, variant in stored:
        answers.setdefault((merchant_id, ref), []).append((at, experiment_id, variant))
    for e in events:
        if e.kind == "answer" and (e.merchant_id, e.session_ref) in wanted:
            answers.setdefault((e.merchant_id, e.session_ref), []).append(
                (e.at, e.experiment_id, e.variant)
            )
    for event in choices:
        before = [
            a for a in answers.get((event.merchant_id, event.session_ref), []) if a[0] <= event.at
        ]
        if before:
            _, experiment_id, variant = max(before, key=lambda answer: answer[0])
            if experiment_id is not None:
                event.experiment_id, event.variant = experiment_id, variant


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
        records = [r for r in records if isinstance(r, dict)]
        digests = sorted({str(r["pd"]) for r in records if r.get("pd")})
        payloads: dict[str, bytes] = {}
        if digests:
            try:
                found: Any = client.mget([PAYLOAD_KEY + d for d in digests])
            except (redis.RedisError, OSError) as exc:
                # The events are out of the list: stored without their options, not lost.
                logger.warning("insights: the kept answers could not be read: %s", exc)
                found = []
            payloads = {d: p for d, p in zip(digests, found, strict=False) if p is not None}
        stored += events_store(records=records, payloads=payloads)
        if len(raw) < batch:
            break
    return stored


def insights_forget(*, now: dt.datetime | None = None) -> int:
    """Delete raw events (and breaker openings) older than INSIGHTS_RAW_DAYS; the roll-ups
    stay. In chunks, so a large backlog does not hold one long transaction. Never fewer than
    :data:`MIN_RAW_DAYS`: the recurring roll-up rebuilds yesterday from the raw events, and
    would rebuild it from a part of them."""
    now = now or dt.datetime.now(tz=dt.UTC)
    cutoff = now - dt.timedelta(days=max(MIN_RAW_DAYS, int(settings.INSIGHTS_RAW_DAYS)))
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


# --- daily roll-ups -----------------------------------------------------------------------

#: How a carrier's missed options deadline is named (tms_gateway/checkout/fanout.py).
DEADLINE_MISSED = "deadline exceeded"
#: A call the open breaker refused: no carrier was called, so it is not one of its calls.
CIRCUIT_OPEN = "circuit open"

_OFFERED_SQL = """
SELECT e.country, e.currency, o->>'id', max(o->>'carrier'),
       count(DISTINCT e.session_ref),
       count(DISTINCT e.session_ref) FILTER (WHERE o->'preselected' = 'true'::jsonb)
FROM insights_checkoutevent e CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(e.options) WHEN 'array' THEN e.options ELSE '[]'::jsonb END) o
WHERE e.merchant_id = %s AND e.kind = 'answer' AND e.at >= %s AND e.at < %s
GROUP BY 1, 2, 3
"""

# A session's choice is its last reservation of the day (a shopper may change it).
_CHOSEN_SQL = """
SELECT country, currency, option_id, count(*)
FROM (
    SELECT DISTINCT ON (session_ref) session_ref, country, currency, option_id
    FROM insights_checkoutevent
    WHERE merchant_id = %s AND kind = 'reservation' AND at >= %s AND at < %s
    ORDER BY session_ref, at DESC, id DESC
) last_choice
GROUP BY 1, 2, 3
"""

_CONFIRMED_SQL = """
SELECT country, currency, option_id, count(*), coalesce(sum(price), 0)
FROM insights_checkoutevent
WHERE merchant_id = %s AND kind = 'confirm' AND at >= %s AND at < %s
GROUP BY 1, 2, 3
"""

_CARRIER_SQL = """
SELECT date_trunc('hour', e.at), c->>'carrier', count(*),
       count(*) FILTER (WHERE c->'ok' <> 'true'::jsonb),
       count(*) FILTER (WHERE c->>'error' = %s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (c->>'duration_ms')::float),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY (c->>'duration_ms')::float)
FROM insights_checkoutevent e CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(e.carriers) WHEN 'array' THEN e.carriers ELSE '[]'::jsonb END) c
WHERE e.kind = 'answer' AND e.at >= %s AND e.at < %s
  AND coalesce(c->>'error', '') <> %s AND coalesce(c->>'carrier', '') <> ''
GROUP BY 1, 2
"""


Rows = list[tuple[Any, ...]]


def _in_sql() -> bool:
    """Roll up in PostgreSQL (its JSON table functions and percentile_cont), else here."""
    return connection.vendor == "postgresql"


def _option_figures_sql(
    merchant_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[Rows, Rows, Rows]:
    """Offered, chosen and confirmed rows of one shop's events in [start, end), in SQL."""
    with connection.cursor() as cursor:
        cursor.execute(_OFFERED_SQL, [merchant_id, start, end])
        offered = cursor.fetchall()
        cursor.execute(_CHOSEN_SQL, [merchant_id, start, end])
        chosen = cursor.fetchall()
        cursor.execute(_CONFIRMED_SQL, [merchant_id, start, end])
        confirmed = cursor.fetchall()
    return offered, chosen, confirmed


def _option_figures_python(
    merchant_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[Rows, Rows, Rows]:
    """The same as :func:`_option_figures_sql`, counted here: for the embedded SQLite of
    ``make run`` (no JSON table functions, no DISTINCT ON), where a day is small."""
    events = CheckoutEvent.objects.filter(merchant_id=merchant_id, at__gte=start, at__lt=end)
    shown: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    preselected: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    carriers: dict[tuple[str, str, str], str] = {}
    answers = events.filter(kind="answer").values_list(
        "country", "currency", "session_ref", "options"
    )
    for country, currency, ref, options in answers.iterator(chunk_size=2000):
        for option in options if isinstance(options, list) else []:
            if not isinstance(option, dict):
                continue
            key = (country, currency, str(option.get("id") or ""))
            shown[key].add(ref)
            if option.get("preselected") is True:
                preselected[key].add(ref)
            carriers[key] = max(carriers.get(key, ""), str(option.get("carrier") or ""))
    offered = [(*k, carriers[k], len(v), len(preselected[k])) for k, v in shown.items()]
    last: dict[str, tuple[str, str, str]] = {}
    reservations = events.filter(kind="reservation").order_by("at", "id")
    for country, currency, ref, option_id in reservations.values_list(
        "country", "currency", "session_ref", "option_id"
    ):
        last[ref] = (country, currency, option_id)
    chosen_counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for key in last.values():
        chosen_counts[key] += 1
    paid: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for country, currency, option_id, price in events.filter(kind="confirm").values_list(
        "country", "currency", "option_id", "price"
    ):
        paid[(country, currency, option_id)][0] += 1
        paid[(country, currency, option_id)][1] += price or 0
    return (
        offered,
        [(*k, n) for k, n in chosen_counts.items()],
        [(*k, n, fees) for k, (n, fees) in paid.items()],
    )


def _carrier_figures_sql(start: dt.datetime, end: dt.datetime) -> Rows:
    with connection.cursor() as cursor:
        cursor.execute(_CARRIER_SQL, [DEADLINE_MISSED, start, end, CIRCUIT_OPEN])
        return cursor.fetchall()


def _percentile(ordered: list[int], fraction: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _carrier_figures_python(start: dt.datetime, end: dt.datetime) -> Rows:
    """The same as :func:`_carrier_figures_sql`, counted here (SQLite)."""
    calls: dict[tuple[dt.datetime, str], list[dict[str, Any]]] = defaultdict(list)
    answers = CheckoutEvent.objects.filter(kind="answer", at__gte=start, at__lt=end)
    for at, outcomes in answers.values_list("at", "carriers").iterator(chunk_size=2000):
        hour = at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        for outcome in outcomes if isinstance(outcomes, list) else []:
            if not isinstance(outcome, dict) or not outcome.get("carrier"):
                continue
            if (outcome.get("error") or "") == CIRCUIT_OPEN:
                continue
            calls[(hour, str(outcome["carrier"]))].append(outcome)
    rows: Rows = []
    for (hour, carrier), made in calls.items():
        durations = sorted(int(c.get("duration_ms") or 0) for c in made)
        rows.append(
            (
                hour,
                carrier,
                len(made),
                sum(1 for c in made if c.get("ok") is not True),
                sum(1 for c in made if c.get("error") == DEADLINE_MISSED),
                _percentile(durations, 0.5),
                _percentile(durations, 0.95),
            )
        )
    return rows


def _local_day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def option_days_rollup(*, merchant: Merchant, day: dt.date) -> int:
    """Rebuild the shop's roll-up rows of one of its calendar days from the raw events:
    offered and preselected (sessions shown the option), chosen (sessions whose last
    reservation took it), confirmed and the fees charged. Idempotent: run it again any time.
    Returns the number of rows written."""
    start, end = _local_day_bounds(day, merchant.zone)
    rows: dict[tuple[str, str, str], OptionDay] = {}

    def row(country: str, currency: str, option_id: str) -> OptionDay:
        key = (country, currency, option_id)
        if key not in rows:
            rows[key] = OptionDay(
                merchant=merchant, day=day, country=country, currency=currency, option_id=option_id
            )
        return rows[key]

    offered, chosen, confirmed = (_option_figures_sql if _in_sql() else _option_figures_python)(
        merchant.pk, start, end
    )
    for country, currency, option_id, carrier, n_offered, n_preselected in offered:
        if option_id:
            r = row(country, currency, option_id)
            r.carrier = (carrier or "")[:40]
            r.offered, r.preselected = n_offered, n_preselected
    for country, currency, option_id, n_chosen in chosen:
        if option_id:
            row(country, currency, option_id).chosen = n_chosen
    for country, currency, option_id, n_confirmed, fee_sum in confirmed:
        if option_id:
            r = row(country, currency, option_id)
            r.confirmed, r.fee_sum = n_confirmed, int(fee_sum)
    with transaction.atomic():
        OptionDay.objects.filter(merchant=merchant, day=day).delete()
        OptionDay.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)


def carrier_hours_rollup(*, start: dt.datetime, end: dt.datetime) -> int:
    """Rebuild carrier health for the whole hours in [start, end) (UTC): calls (the calls
    made; a call the open breaker refused is none), failures (deadline misses included),
    deadline misses, p50/p95 of the calls' durations, and breaker openings. Idempotent."""
    rows: dict[tuple[dt.datetime, str], CarrierHour] = {}
    figures = (_carrier_figures_sql if _in_sql() else _carrier_figures_python)(start, end)
    for hour, carrier, calls, failures, misses, p50, p95 in figures:
        rows[(hour, carrier)] = CarrierHour(
            hour=hour,
            carrier=carrier[:40],
            calls=calls,
            failures=failures,
            deadline_misses=misses,
            p50_ms=round(p50) if p50 is not None else None,
            p95_ms=round(p95) if p95 is not None else None,
        )
    openings = (
        BreakerOpening.objects.filter(at__gte=start, at__lt=end)
        .annotate(hour=TruncHour("at", tzinfo=dt.UTC))
        .values("hour", "carrier")
        .annotate(n=Count("id"))
    )
    for opening in openings:
        key = (opening["hour"], opening["carrier"])
        if key not in rows:
            rows[key] = CarrierHour(hour=opening["hour"], carrier=opening["carrier"])
        rows[key].breaker_openings = opening["n"]
    with transaction.atomic():
        CarrierHour.objects.filter(hour__gte=start, hour__lt=end).delete()
        CarrierHour.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)


def insights_rollup_day(*, day: dt.date) -> int:
    """Roll up one day: every shop with events around it (its own calendar day) and the
    carriers' hours of that UTC day. Idempotent and re-runnable (a late drain, a fix)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    # A shop's day lies within a day either side of the UTC one (zones are UTC-12..+14).
    merchant_ids = (
        CheckoutEvent.objects.filter(
            at__gte=start - dt.timedelta(days=1), at__lt=end + dt.timedelta(days=1)
        )
        .values_list("merchant_id", flat=True)
        .distinct()
    )
    written = 0
    for merchant in Merchant.objects.filter(pk__in=list(merchant_ids)):
        written += option_days_rollup(merchant=merchant, day=day)
    written += carrier_hours_rollup(start=start, end=end)
    return written


def insights_rollup_recent(*, now: dt.datetime | None = None) -> int:
    """Roll up yesterday, today and tomorrow (UTC dates; each shop's own calendar day, which
    runs ahead of UTC in the east), so the pages
    are at most one run of the task behind."""
    now = now or dt.datetime.now(tz=dt.UTC)
    today = now.astimezone(dt.UTC).date()
    return sum(insights_rollup_day(day=today - dt.timedelta(days=n)) for n in (1, 0, -1))
