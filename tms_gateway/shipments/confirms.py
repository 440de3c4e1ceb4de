"""Confirms that arrive while the database is unreachable: kept in Redis, applied once it is back.

Klarna calls ``/confirm`` once, when the purchase has gone through, and ignores every answer but
401 (https://docs.klarna.com/shipping-assistant/api, "confirm"): a confirm refused during a database restart or failover
would be a paid order never booked. So the confirm view, when the database cannot be reached,
checks the token's signature (no database needed), appends the confirm to a Redis list and
answers 202; ``confirms_replay`` (run by beat before every requeue sweep) applies the list in
order as Klarna's confirm at the moment it arrived, which queues the booking as usual.

Only the signature and expiry of the token are checked when a confirm is noted, so the replay
checks what the database would have: a confirm whose token was signed for a Klarna credential
that has since been revoked, or for a merchant that has been deactivated, is refused as the live
confirm would be (logged, dropped, and counted in ``tms_ksa_confirms_refused_total`` by reason,
by the task that replays: ``ConfirmsReplayed`` says what a replay did).

Redis keeps nothing on disk in our deployments: a confirm noted here is lost if Redis is lost
before the database comes back. With Redis down as well the view answers 503.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db.utils import InterfaceError, OperationalError

from merchants.models import KlarnaCredential, Merchant
from tms_gateway.common.cache import redis_client
from tms_gateway.common.errors import ApplicationError

from .models import Shipment
from .services import shipment_confirm_outcome

logger = logging.getLogger(__name__)

JOURNAL_KEY = "tms:ksa:confirms:pending"
REPLAY_BATCH = 1000

REDIS_TIMEOUT_SECONDS = 1.0


def _client() -> redis.Redis | None:
    url = str(settings.REDIS_URL or "")
    return redis_client(url, timeout=REDIS_TIMEOUT_SECONDS) if url else None


@dataclass(frozen=True, slots=True)
class PendingConfirm:
    merchant_public_id: str
    credential_id: int
    shipment_id: str
    received_at: str  # ISO 8601, aware

    def as_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> PendingConfirm | None:
        try:
            data: dict[str, Any] = json.loads(raw)
            return cls(
                merchant_public_id=str(data["merchant_public_id"]),
                credential_id=int(data["credential_id"]),
                shipment_id=str(data["shipment_id"]),
                received_at=str(data["received_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None


def confirm_journal(
    *, merchant_public_id: str, credential_id: int, shipment_id: str, now: dt.datetime
) -> bool:
    """Note a confirm for later; False when it cannot be noted (no Redis, or Redis down)."""
    try:
        uuid.UUID(shipment_id)
    except ValueError:
        return False
    client = _client()
    if client is None:
        return False
    entry = PendingConfirm(merchant_public_id, credential_id, shipment_id, now.isoformat())
    try:
        client.rpush(JOURNAL_KEY, entry.as_json())
    except redis.RedisError:
        return False
    logger.warning(
        "database unavailable: confirm of shipment %s noted, applied once it is back", shipment_id
    )
    return True


def confirms_pending() -> int:
    client = _client()
    if client is None:
        return 0
    try:
        return int(client.llen(JOURNAL_KEY))  # type: ignore[arg-type]
    except redis.RedisError:
        return 0


@dataclass
class ConfirmsReplayed:
    """What one replay did: ``done`` entries (applied or dropped), of which ``confirmed``
    confirmed their shipment (as Klarna's confirm) and ``refused`` were refused, by reason."""

    done: int = 0
    confirmed: int = 0
    refused: Counter[str] = field(default_factory=Counter)


class _Refused(Exception):
    """The live confirm would be refused now (401): the entry is dropped, not applied."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _apply(entry: PendingConfirm) -> tuple[str, bool]:
    """What became of the entry, and whether it confirmed its shipment."""
    merchant = Merchant.objects.filter(public_id=entry.merchant_public_id).first()
    if merchant is not None:
        # What token_verify checks before a live confirm (tms_gateway/ksa/authentication.py).
        if not merchant.is_active:
            raise _Refused("merchant_inactive")
        if not KlarnaCredential.objects.filter(
            pk=entry.credential_id, merchant=merchant, revoked_at__isnull=True
        ).exists():
            raise _Refused("credential_revoked")
    shipment = (
        Shipment.objects.filter(merchant=merchant, public_id=entry.shipment_id).first()
        if merchant is not None
        else None
    )
    if merchant is None or shipment is None:
        return "no such shipment", False
    received_at = dt.datetime.fromisoformat(entry.received_at)
    try:
        outcome = shipment_confirm_outcome(merchant=merchant, shipment=shipment, now=received_at)
    except ApplicationError as exc:
        return exc.message or exc.code, False
    return f"now {outcome.shipment.status}", outcome.confirmed


def confirms_replay(*, limit: int = REPLAY_BATCH) -> ConfirmsReplayed:
    """Apply the confirms noted during a database outage, oldest first; says what it did.

    One that cannot be applied because the database is still unreachable goes back to the head
    of the list and the run stops; one for an unknown (or cancelled) shipment, or whose
    credential is revoked or merchant deactivated, is logged and dropped, as the live confirm
    would have been refused. Dropped ones count as done.
    """
    replayed = ConfirmsReplayed()
    client = _client()
    if client is None:
        return replayed
    for _ in range(limit):
        try:
            raw = client.lpop(JOURNAL_KEY)
        except redis.RedisError:
            break
        if raw is None:
            break
        entry = PendingConfirm.from_json(raw)  # type: ignore[arg-type]
        if entry is None:
            logger.error("dropped an unreadable pending confirm")
            continue
        try:
            outcome, confirmed = _apply(entry)
        except _Refused as refused:
            replayed.done += 1
            replayed.refused[refused.reason] += 1
            logger.error(
                "confirm of shipment %s received at %s refused and dropped: %s",
                entry.shipment_id,
                entry.received_at,
                refused.reason,
            )
            continue
        except (OperationalError, InterfaceError):
            try:
                client.lpush(JOURNAL_KEY, raw)  # type: ignore[arg-type]
            except redis.RedisError:
                logger.error("pending confirm of shipment %s lost", entry.shipment_id)
            break
        replayed.done += 1
        replayed.confirmed += confirmed
        logger.info(
            "confirm of shipment %s received at %s applied: %s",
            entry.shipment_id,
            entry.received_at,
            outcome,
        )
    return replayed
