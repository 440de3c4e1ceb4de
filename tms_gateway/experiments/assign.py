"""Which variant of the shop's running experiment a checkout gets.

Deterministic: a SHA-256 of (experiment id, unit) picks a bucket out of 10,000, and the
variants' shares (in percent, in order) divide the buckets. The unit is the shopper's identity
hash when known (the same remembered shopper gets the same variant in every checkout), else
Klarna's session id (the same session gets the same variant on every call, whichever process
answers it). No state is written. A session whose e-mail or number arrives after its first
answer is assigned by identity from then on, so it may switch variant once; the reservation is
checked against, and the results count it under, the variant of its last answer.

Cheap: the shop's running experiment is kept in-process for CHECKOUT_CONFIG_CACHE_SECONDS, like
the checkout's option configuration (tms_gateway/checkout/services.py); starting or stopping
drops this process's copy, other processes follow within that many seconds.

Never raising: the options answer must not fail because of an experiment; a failure is logged
and the checkout gets the shop's own options.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from merchants.models import Merchant
from tms_gateway.checkout.types import ExperimentAssignment, Session
from tms_gateway.common.ttlcache import TtlCache
from tms_gateway.shoppers.identity import hash_keys, identities, identity_hash

from .models import Experiment, ExperimentStatus, Variant

logger = logging.getLogger(__name__)

BUCKETS = 10_000


@dataclass(frozen=True, slots=True)
class VariantConfig:
    name: str
    share: int
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExperimentConfig:
    id: int
    variants: tuple[VariantConfig, ...]

    def variant(self, name: str) -> VariantConfig | None:
        return next((v for v in self.variants if v.name == name), None)


@dataclass(frozen=True, slots=True)
class _Running:
    """The cached answer for a shop, including "nothing running" (``config`` None)."""

    config: ExperimentConfig | None


_running: TtlCache[_Running] = TtlCache(
    seconds=lambda: settings.CHECKOUT_CONFIG_CACHE_SECONDS, max_entries=2000
)


def experiment_config_load(*, experiment_id: int) -> ExperimentConfig | None:
    """An experiment's variants as the checkout applies them (any status: the preview shows a
    draft's variants too)."""
    rows = list(
        Variant.objects.filter(experiment_id=experiment_id)
        .order_by("position", "id")
        .values_list("name", "share", "changes")
    )
    if not rows:
        return None
    return ExperimentConfig(
        id=experiment_id,
        variants=tuple(VariantConfig(name=n, share=s, changes=c or {}) for n, s, c in rows),
    )


def running_experiment(*, merchant_id: int) -> ExperimentConfig | None:
    """The shop's running experiment, from this process's copy when fresh."""
    cached = _running.get(merchant_id)
    if cached is None:
        experiment_id = (
            Experiment.objects.filter(merchant_id=merchant_id, status=ExperimentStatus.RUNNING)
            .values_list("pk", flat=True)
            .first()
        )
        config = (
            None if experiment_id is None else experiment_config_load(experiment_id=experiment_id)
        )
        cached = _Running(config)
        _running.set(merchant_id, cached)
    return cached.config


def experiment_config_forget(*, merchant_id: int) -> None:
    """Drop this process's copy of the shop's running experiment (it started or stopped)."""
    _running.discard(merchant_id)


def variant_pick(*, config: ExperimentConfig, unit: str) -> VariantConfig:
    """The variant ``unit`` falls in: its bucket against the cumulative shares."""
    digest = hashlib.sha256(f"{config.id}:{unit}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % BUCKETS
    total = sum(v.share for v in config.variants) or 1
    edge = 0
    for variant in config.variants:
        edge += variant.share
        if bucket < edge * BUCKETS // total:
            return variant
    return config.variants[-1]


def shopper_identity(*, merchant: Merchant, email: str, phone: str, country: str) -> str:
    """The shopper's identity hash (e-mail first, else mobile number, under the newest key of
    tms_gateway/shoppers) where the shop remembers shoppers; "" otherwise. A rotated key gives
    a new hash, so a returning shopper may change variant once after a rotation."""
    if not merchant.remember_choices:
        return ""
    try:
        keys = hash_keys()
        found = identities(email=email, phone=phone, country=country)
        if not keys or not found:
            return ""
        return identity_hash(merchant=merchant, identity=found[0], key=keys[0])
    except Exception:  # the session id decides instead
        logger.exception("shopper identity failed", extra={"merchant_id": merchant.pk})
        return ""


def experiment_assign(
    *, merchant_id: int, session_id: str, identity: str | Callable[[], str] = ""
) -> ExperimentAssignment | None:
    """The variant this checkout gets, or None (no running experiment, no session id).

    ``identity``: the shopper's keyed identity hash where the shop remembers shoppers
    (tms_gateway/shoppers), or a function that works it out, called only while the shop runs
    an experiment (the hash is not free on every answer); it takes precedence over the session
    id, so a returning shopper keeps the variant across checkouts. Without one, the session id
    decides.
    """
    try:
        config = running_experiment(merchant_id=merchant_id)
        if config is None:
            return None
        unit = (identity() if callable(identity) else identity) or session_id
        if not unit:
            return None
        variant = variant_pick(config=config, unit=unit)
        return ExperimentAssignment(experiment_id=config.id, variant=variant.name)
    except Exception:  # the answer goes out without the experiment
        logger.exception("experiment assignment failed", extra={"merchant_id": merchant_id})
        return None


def session_assign(*, merchant: Merchant, session: Session) -> ExperimentAssignment | None:
    """The variant of a parsed checkout session, made as the API view makes it before its
    answer-cache lookup: from the shopper's identity where the shop remembers shoppers (worked
    out only while an experiment runs), else from the session id."""
    recipient = session.recipient
    return experiment_assign(
        merchant_id=merchant.pk,
        session_id=session.session_id,
        identity=lambda: shopper_identity(
            merchant=merchant,
            email=recipient.email,
            phone=recipient.phone,
            country=recipient.address.country,
        ),
    )
