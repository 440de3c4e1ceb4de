"""Reuse of /shippingoptions answers for identical requests of one merchant.

Klarna asks again on every change in the checkout, and sometimes twice in parallel; an
identical question (same merchant, same body apart from ``session_id``) within
CHECKOUT_ANSWER_CACHE_SECONDS gets the same answer, as bytes, from Redis. Only answers that
every asked carrier took part in are kept, so a carrier's hiccup is not remembered.

A saved change of a shop's options (admin or portal) calls :func:`answers_forget`: the shop's
kept answers and this process's copy of its configuration are dropped, so the next question
is answered from the new configuration.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache

from tms_gateway.checkout.services import checkout_configuration_forget

VERSION = 2


def _merchant_prefix(merchant_id: int) -> str:
    return f"ksa:answer:v{VERSION}:{merchant_id}:"


def answer_key(*, merchant_id: int, body: dict[str, Any], variant: str = "") -> str:
    """The key of the answer to ``body``; ``variant`` ("<experiment id>:<variant>") is the
    session's experiment variant: sessions of different variants get different answers, and
    without one the key is the same as before experiments."""
    question = {k: v for k, v in body.items() if k != "session_id"}
    try:
        canonical = orjson.dumps(question, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson does not take (an integer beyond 64 bits, a lone surrogate)
        canonical = json.dumps(question, sort_keys=True, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
    digest = hashlib.sha256(canonical).hexdigest()
    if variant:
        digest = f"{digest}:x{hashlib.sha256(variant.encode()).hexdigest()[:16]}"
    return f"{_merchant_prefix(merchant_id)}{digest}"


def answer_get(key: str) -> bytes | None:
    if settings.CHECKOUT_ANSWER_CACHE_SECONDS <= 0:
        return None
    value = cache.get(key)  # a miss when Redis is down (tms_gateway/common/cache.py)
    return value if isinstance(value, bytes) else None


def answer_set(key: str, payload: bytes) -> None:
    if settings.CHECKOUT_ANSWER_CACHE_SECONDS <= 0:
        return
    cache.set(key, payload, timeout=settings.CHECKOUT_ANSWER_CACHE_SECONDS)


def answers_forget(*, merchant_id: int) -> None:
    """The merchant's options changed: drop its kept answers and this process's copy of its
    configuration. Call it once the change is committed (``transaction.on_commit``): a
    question asked in between would otherwise keep the old answer again. Without Redis (the
    local in-memory cache) kept answers expire on their own."""
    checkout_configuration_forget(merchant_id=merchant_id)
    delete_prefix = getattr(cache, "delete_prefix", None)
    if delete_prefix is not None:
        delete_prefix(_merchant_prefix(merchant_id))
