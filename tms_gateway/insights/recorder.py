"""Recording of checkout events, cheap on the request thread and never raising.

The request thread only appends a small tuple to an in-process buffer: no I/O, no
serialisation, and an answer that came from the cache stays the bytes it was (parsed when it
is stored). A daemon thread of this process turns the buffered tuples into records (the
session id becomes its keyed hash here, so the raw id never leaves the process) and pushes
them to a Redis list, one RPUSH per batch; the ``insights_drain`` Celery task moves the list
into PostgreSQL with ``bulk_create``. Without Redis (``make run``) the thread stores its
batches itself.

Analytics never cost an answer: a full buffer drops its oldest events, Redis being down keeps
them in the buffer (up to its size) and leaves Redis alone for a few seconds, and every
failure of the thread is logged, not raised.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections import deque
from typing import Any

import orjson
from django.conf import settings

logger = logging.getLogger(__name__)

#: After a failure to reach Redis, the flusher leaves it alone this long.
REDIS_BACKOFF_SECONDS = 5.0

ANSWER = "answer"
RESERVATION = "reservation"
CONFIRM = "confirm"
BREAKER = "breaker"

_buffer: deque[tuple[Any, ...]] = deque(maxlen=10_000)
_lock = threading.Lock()
_wake = threading.Event()
_flusher: threading.Thread | None = None
_flusher_pid = 0
_redis_down_until = 0.0
#: Digests of the kept answers this process pushed lately (monotonic time of the push).
_sent: dict[str, float] = {}
_SENT_MAX = 20_000


def _enabled() -> bool:
    return bool(getattr(settings, "INSIGHTS_RECORDING", True))


def _append(item: tuple[Any, ...]) -> None:
    """The request thread's whole share: one append (atomic on a deque) and, the first time
    in this process, the start of the flusher."""
    _buffer.append(item)
    if _flusher_pid != os.getpid():
        _flusher_start()


# --- the API the request threads call ------------------------------------------------------


def record_answer(
    *,
    merchant_id: int,
    session_id: str = "",
    session: Any = None,
    result: Any = None,
    payload: bytes | None = None,
    assignment: Any = None,
    country: str = "",
    currency: str = "",
) -> None:
    """Record one /shippingoptions answer: the computed ``result`` (an OptionsResult), or the
    kept answer's ``payload`` bytes when it came from the cache (then ``country`` and
    ``currency`` say where to; for a computed one they are read from ``session``)."""
    if not _enabled():
        return
    try:
        if session is not None:
            session_id = session_id or session.session_id
            country = country or session.recipient.address.country
            currency = currency or session.currency
        options = carriers = None
        remembered = False
        if result is not None:
            # Plain values only: holding the result (its locations, hours, slots) until the
            # flush would carry thousands of objects into the garbage collector's older
            # generations, which costs every request of the process.
            options = tuple((o.id, o.carrier, o.price, o.preselected) for o in result.options)
            carriers = tuple((c.carrier, c.ok, c.duration_ms, c.error) for c in result.carriers)
            remembered = getattr(result, "remembered", None) is not None
            assignment = assignment or getattr(result, "experiment", None)
        variant = None
        if assignment is not None:
            variant = (assignment.experiment_id, assignment.variant)
        _append(
            (
                ANSWER,
                merchant_id,
                time.time(),
                session_id,
                country,
                currency,
                options,
                carriers,
                remembered,
                payload if result is None else None,
                variant,
            )
        )
    except Exception:  # analytics never fail an answer
        logger.exception("insights: recording an answer failed")


def record_reservation(shipment: Any) -> None:
    """Record the shopper's choice (a reservation, or a changed one)."""
    _record_choice(RESERVATION, shipment)


def record_confirm(shipment: Any) -> None:
    """Record a confirmed (paid) checkout with the fee it charged."""
    _record_choice(CONFIRM, shipment)


def _record_choice(kind: str, shipment: Any) -> None:
    if not _enabled():
        return
    try:
        recipient = shipment.recipient if isinstance(shipment.recipient, dict) else {}
        selection = shipment.selection if isinstance(shipment.selection, dict) else {}
        _append(
            (
                kind,
                shipment.merchant_id,
                time.time(),
                shipment.session_id,
                str(recipient.get("country") or ""),
                shipment.currency,
                str(selection.get("option_id") or ""),
                shipment.price,
            )
        )
    except Exception:  # analytics never fail a reservation or a confirm
        logger.exception("insights: recording a %s failed", kind)


def record_breaker_open(*, key: str, carrier: str) -> None:
    """A carrier's circuit breaker opened (carriers/breaker.py): counted in carrier health."""
    if not _enabled():
        return
    try:
        _append((BREAKER, 0, time.time(), key, carrier))
    except Exception:
        logger.exception("insights: recording a breaker opening failed")


# --- the flusher ---------------------------------------------------------------------------


def session_ref(session_id: str) -> str:
    """The keyed hash that stands for Klarna's session id in every event."""
    if not session_id:
        return ""
    key = (settings.INSIGHTS_SESSION_KEY or f"insights-session:{settings.SECRET_KEY}").encode()
    return hmac.new(key, session_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _carrier_outcomes(carriers: tuple[tuple[Any, ...], ...]) -> list[dict[str, Any]]:
    return [
        {"carrier": carrier, "ok": bool(ok), "duration_ms": int(ms), "error": str(error)[:200]}
        for carrier, ok, ms, error in carriers
    ]


def _result_options(options: tuple[tuple[Any, ...], ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": option_id,
            "carrier": carrier,
            "price": int(price),
            "preselected": bool(preselected),
            "position": position,
        }
        for position, (option_id, carrier, price, preselected) in enumerate(options)
    ]


def payload_digest(payload: bytes) -> str:
    """The name of a kept answer's bytes: Klarna asks the same question again and again, so
    the bytes go to Redis once (under this name) and each event only names them."""
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def record_of(item: tuple[Any, ...], payloads: dict[str, bytes] | None = None) -> dict[str, Any]:
    """A buffered tuple as the record pushed to Redis (no personal data, JSON-ready); a kept
    answer's bytes go into ``payloads`` under their digest, which the record names."""
    kind = item[0]
    if kind == BREAKER:
        _, _, at, key, carrier = item
        return {"k": BREAKER, "at": at, "key": str(key)[:100], "carrier": carrier}
    if kind == ANSWER:
        (
            _,
            merchant_id,
            at,
            session_id,
            country,
            currency,
            options,
            carriers,
            remembered,
            payload,
            variant,
        ) = item
        record: dict[str, Any] = {
            "k": ANSWER,
            "m": merchant_id,
            "at": at,
            "s": session_ref(session_id),
            "c": str(country or "")[:2].upper(),
            "cu": str(currency or "")[:3].upper(),
        }
        if options is not None:
            record["o"] = _result_options(options)
            record["ca"] = _carrier_outcomes(carriers or ())
            record["r"] = bool(remembered)
        else:
            digest = payload_digest(payload or b"")
            record["pd"] = digest
            if payloads is not None:
                payloads[digest] = payload or b""
        if variant is not None:
            record["x"] = int(variant[0])
            record["v"] = str(variant[1])[:50]
        return record
    _, merchant_id, at, session_id, country, currency, option_id, price = item
    return {
        "k": kind,
        "m": merchant_id,
        "at": at,
        "s": session_ref(session_id),
        "c": str(country or "")[:2].upper(),
        "cu": str(currency or "")[:3].upper(),
        "oid": str(option_id)[:64],
        "pr": price,
    }


def _take(limit: int) -> list[tuple[Any, ...]]:
    taken: list[tuple[Any, ...]] = []
    while len(taken) < limit:
        try:
            taken.append(_buffer.popleft())
        except IndexError:
            break
    return taken


def _push(records: list[bytes], payloads: dict[str, bytes]) -> bool:
    """One pipeline to Redis: the kept answers' bytes not sent lately (SET with an expiry),
    RPUSH of the batch, and a cap on the list's length so that a drain that stopped cannot
    fill Redis. False when Redis could not be reached."""
    global _redis_down_until
    import redis

    from tms_gateway.common.cache import redis_client

    from .services import PAYLOAD_KEY, PAYLOAD_SECONDS, QUEUE_KEY

    now = time.monotonic()
    if now < _redis_down_until:
        return False
    fresh = {d: p for d, p in payloads.items() if now - _sent.get(d, -1e9) > PAYLOAD_SECONDS / 6}
    try:
        client = redis_client(settings.INSIGHTS_REDIS_URL, timeout=1.0)
        pipe = client.pipeline(transaction=False)
        for digest, payload in fresh.items():
            pipe.set(PAYLOAD_KEY + digest, payload, ex=PAYLOAD_SECONDS)
        pipe.rpush(QUEUE_KEY, *records)
        pipe.ltrim(QUEUE_KEY, -settings.INSIGHTS_QUEUE_MAX, -1)
        pipe.execute()
        if len(_sent) > _SENT_MAX:
            _sent.clear()
        _sent.update(dict.fromkeys(fresh, now))
        return True
    except (redis.RedisError, OSError) as exc:
        first = _redis_down_until == 0.0 or time.monotonic() >= _redis_down_until
        _redis_down_until = time.monotonic() + REDIS_BACKOFF_SECONDS
        if first:
            logger.warning("insights: Redis unreachable (%s); events kept in memory", exc)
        return False


def recorder_flush(*, limit: int | None = None) -> int:
    """Move what is buffered on: to Redis, or straight to the database without Redis.
    Returns how many events left the buffer. Runs on the flusher thread (and in tests)."""
    moved = 0
    batch_size = max(1, int(settings.INSIGHTS_FLUSH_BATCH))
    while limit is None or moved < limit:
        items = _take(batch_size if limit is None else min(batch_size, limit - moved))
        if not items:
            break
        records = []
        payloads: dict[str, bytes] = {}
        for item in items:
            try:
                records.append(record_of(item, payloads))
            except Exception:  # one odd event does not stop the others
                logger.exception("insights: an event could not be recorded")
        if settings.INSIGHTS_REDIS_URL:
            if not _push([orjson.dumps(r) for r in records], payloads):
                room = (_buffer.maxlen or 0) - len(_buffer)
                _buffer.extendleft(reversed(items[: max(0, room)]))
                break
        else:
            from .services import events_store

            events_store(records=records, payloads=payloads)
        moved += len(items)
    return moved


def _flusher_loop() -> None:
    from django.db import close_old_connections

    while True:
        _wake.wait(timeout=max(0.05, float(settings.INSIGHTS_FLUSH_SECONDS)))
        _wake.clear()
        try:
            recorder_flush()
        except Exception:  # the thread must live on
            logger.exception("insights: flushing events failed")
        finally:
            if not settings.INSIGHTS_REDIS_URL:
                close_old_connections()


def _flusher_start() -> None:
    """Start this process's flusher (again after a fork: threads do not survive it)."""
    global _flusher, _flusher_pid
    with _lock:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()
        if float(settings.INSIGHTS_FLUSH_SECONDS) <= 0:
            return  # tests flush by hand
        _flusher = threading.Thread(target=_flusher_loop, name="insights-flusher", daemon=True)
        _flusher.start()


def recorder_reset() -> None:
    """Forget what is buffered and which answers were sent (tests)."""
    _buffer.clear()
    _sent.clear()
