"""The carrier-answer cache: answers of one options fan-out are stored together, in one round
trip, each with its own lifetime; Redis being down costs a carrier call, never an error."""

from __future__ import annotations

import contextvars
import threading
from typing import Any

import pytest
from django.core.cache import cache, caches
from redis.connection import AbstractConnection

from carriers.cache import cache_key, cache_writes_batched, cached


def _cached(operation: str, value: Any, *, ttl: int | None = None, params: Any = "p") -> Any:
    return cached(
        carrier="postnord",
        agreement_id=7,
        operation=operation,
        params=params,
        compute=lambda: value,
        ttl=ttl,
    )


def _key(operation: str, params: Any = "p") -> str:
    return cache_key(carrier="postnord", agreement_id=7, operation=operation, params=params)


def _ttl(key: str) -> int:
    raw = caches["default"]._cache.get_client(write=True)  # type: ignore[attr-defined]
    return int(raw.ttl(cache.make_and_validate_key(key)))


def test_answers_of_a_batch_are_stored_when_it_ends_each_with_its_lifetime(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CARRIER_CACHE_TTL = {"service_points": 3600, "timeslots": 300}
    sends: list[int] = []
    real_send = AbstractConnection.send_packed_command

    def counted(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sends.append(1)
        real_send(self, command, check_health)

    with cache_writes_batched():
        # as the fan-out runs its calls: on threads, in copies of the checkout's context
        threads = [
            threading.Thread(
                target=contextvars.copy_context().run, args=(_cached, "service_points", ["a"])
            ),
            threading.Thread(
                target=contextvars.copy_context().run, args=(_cached, "timeslots", ["b"])
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert cache.get(_key("service_points")) is None  # not yet
        monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)

    monkeypatch.undo()
    assert len(sends) == 1  # both answers in one round trip
    assert cache.get(_key("service_points")) == ["a"]
    assert cache.get(_key("timeslots")) == ["b"]
    assert 3590 <= _ttl(_key("service_points")) <= 3600
    assert 290 <= _ttl(_key("timeslots")) <= 300


def test_an_answer_after_the_batch_is_written_is_stored_at_once() -> None:
    with cache_writes_batched() as batch:
        pass
    assert not batch.add("k", 1, 60)  # the fan-out's block is over: refused, the caller writes

    with cache_writes_batched():
        pass
    _cached("service_points", ["late"])
    assert cache.get(_key("service_points")) == ["late"]


def test_a_batch_on_another_cache_backend_uses_set_many(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with cache_writes_batched():
        _cached("service_points", ["x"])
        _cached("timeslots", ["y"], ttl=5)
    assert caches["default"].get(_key("service_points")) == ["x"]
    assert caches["default"].get(_key("timeslots")) == ["y"]


def test_redis_down_asks_the_carrier_and_raises_nothing(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "tms_gateway.common.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    calls: list[int] = []

    def compute() -> list[str]:
        calls.append(1)
        return ["fresh"]

    for _ in range(2):
        with cache_writes_batched():
            value = cached(
                carrier="postnord",
                agreement_id=7,
                operation="service_points",
                params="down",
                compute=compute,
            )
        assert value == ["fresh"]
    assert len(calls) == 2
