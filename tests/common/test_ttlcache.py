"""The in-process TTL cache: a value lives for the lifetime set when it was stored."""

from __future__ import annotations

import time

from tms_gateway.common.ttlcache import TtlCache


def test_a_value_is_kept_for_its_lifetime_and_then_gone() -> None:
    cache: TtlCache[str] = TtlCache(seconds=lambda: 0.05)
    cache.set("key", "value")

    assert cache.get("key") == "value"
    time.sleep(0.1)
    assert cache.get("key") is None


def test_the_lifetime_is_read_when_a_value_is_stored() -> None:
    lifetime = [60.0]
    cache: TtlCache[str] = TtlCache(seconds=lambda: lifetime[0])
    cache.set("long", "kept")
    lifetime[0] = 0.05
    cache.set("short", "gone")
    time.sleep(0.1)

    assert (cache.get("long"), cache.get("short")) == ("kept", None)


def test_zero_seconds_disables_the_cache() -> None:
    lifetime = [60.0]
    cache: TtlCache[str] = TtlCache(seconds=lambda: lifetime[0])
    cache.set("key", "value")
    lifetime[0] = 0

    assert cache.get("key") is None
    cache.set("other", "value")
    lifetime[0] = 60
    assert (cache.get("key"), cache.get("other")) == ("value", None)


def test_the_oldest_entries_make_room_and_clear_empties_it() -> None:
    cache: TtlCache[int] = TtlCache(seconds=lambda: 60, max_entries=2)
    for number in range(3):
        cache.set(number, number)

    assert [cache.get(n) for n in range(3)] == [None, 1, 2]
    cache.clear()
    assert cache.get(2) is None
