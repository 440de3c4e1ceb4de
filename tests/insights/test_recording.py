"""Every options answer (computed or kept), reservation and confirm becomes one event, through
the real /ksa/v1 endpoints, the buffer, Redis and the drain; and none holds personal data."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache

from tests.ksa.conftest import FULL_RECIPIENT, Klarna, selection_body, session
from tms_gateway.insights import recorder
from tms_gateway.insights.models import CheckoutEvent
from tms_gateway.insights.services import PAYLOAD_KEY, QUEUE_KEY, events_store, insights_drain

from .conftest import stored


def ref(session_id: str) -> str:
    key = f"insights-session:{django_settings.SECRET_KEY}".encode()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


def test_a_computed_answer_is_one_event_with_what_was_shown(klarna: Klarna) -> None:
    body = session()
    shown = klarna.options(body)

    [event] = stored()

    assert event.kind == "answer"
    assert event.merchant_id == klarna.shop.merchant.pk
    assert (event.country, event.currency) == ("SE", "SEK")
    assert event.session_ref == ref(body["session_id"])
    assert [(o["id"], o["price"], o["preselected"], o["position"]) for o in event.options] == [
        (o["id"], o["price"], o["preselected"], i) for i, o in enumerate(shown)
    ]
    carriers = {o["carrier"] for o in event.options}
    assert carriers <= {"postnord", "budbee", "generic"}
    assert {c["carrier"] for c in event.carriers} == {"postnord", "budbee"}
    assert all(c["ok"] and c["error"] == "" for c in event.carriers)


def test_a_kept_answer_is_recorded_from_its_bytes_with_its_own_session(
    klarna: Klarna, settings: Any
) -> None:
    settings.CHECKOUT_ANSWER_CACHE_SECONDS = 10
    first, second = session(), session()
    klarna.options(first)
    shown = klarna.options(second)  # the same question: the kept answer

    klarna.options(session())  # once more: its bytes are not sent again
    recorder.recorder_flush()
    client = redis.Redis.from_url(settings.INSIGHTS_REDIS_URL)
    assert len(list(client.scan_iter(PAYLOAD_KEY + "*"))) == 1

    computed, kept, again = stored()

    assert again.options == kept.options
    assert kept.session_ref == ref(second["session_id"]) != computed.session_ref
    assert kept.carriers == []  # no carrier was asked
    assert (kept.country, kept.currency) == ("SE", "SEK")
    assert kept.options == computed.options
    assert [o["id"] for o in kept.options] == [o["id"] for o in shown]


def test_a_reservation_a_change_and_a_confirm_are_events_with_the_fee(
    klarna: Klarna, django_capture_on_commit_callbacks: Any
) -> None:
    body = selection_body("pn-pickup")
    with django_capture_on_commit_callbacks(execute=True):
        created = klarna.reserve(body)
        assert created.status_code == 201
        shipment_id = created.json()["shipment_id"]
        body["selected_shipping_option"] = {"id": "pn-home"}
        assert klarna.put(f"shipment/{shipment_id}", body).status_code == 200
        assert klarna.post(f"shipment/{shipment_id}/confirm").status_code == 200
        assert klarna.post(f"shipment/{shipment_id}/confirm").status_code == 200  # no event

    events = stored()

    assert [(e.kind, e.option_id, e.price) for e in events] == [
        ("reservation", "pn-pickup", 4900),
        ("reservation", "pn-home", 6900),
        ("confirm", "pn-home", 6900),
    ]
    assert {e.session_ref for e in events} == {ref(body["session_id"])}
    assert {(e.country, e.currency) for e in events} == {("SE", "SEK")}


def test_a_refused_reservation_is_no_event(klarna: Klarna) -> None:
    assert klarna.reserve(selection_body("no-such-option")).status_code == 400

    assert stored() == []


def test_no_event_holds_personal_data(
    klarna: Klarna, django_capture_on_commit_callbacks: Any
) -> None:
    body = session()
    klarna.options(body)
    reserve = selection_body("pn-home")
    with django_capture_on_commit_callbacks(execute=True):
        shipment_id = klarna.reserve(reserve).json()["shipment_id"]
        klarna.post(f"shipment/{shipment_id}/confirm")
    recorder.recorder_flush()
    queued = cache._cache.get_client(None).lrange(QUEUE_KEY, 0, -1)  # type: ignore[attr-defined]
    insights_drain()
    rows = list(CheckoutEvent.objects.values())

    assert len(rows) == 3 and len(queued) == 3
    text = json.dumps(rows, default=str) + b"".join(queued).decode()
    secrets = [
        FULL_RECIPIENT["email"],
        FULL_RECIPIENT["phone"],
        "765260000",
        FULL_RECIPIENT["given_name"],
        FULL_RECIPIENT["family_name"],
        FULL_RECIPIENT["street_address"],
        FULL_RECIPIENT["postal_code"],
        FULL_RECIPIENT["city"],
        body["session_id"],
        reserve["session_id"],
    ]
    assert [s for s in secrets if s in text] == []


def test_recording_off_records_nothing(klarna: Klarna, settings: Any) -> None:
    settings.INSIGHTS_RECORDING = False
    klarna.options(session())

    assert stored() == []


def test_redis_down_never_fails_the_answer_and_keeps_the_events(
    klarna: Klarna, settings: Any
) -> None:
    settings.INSIGHTS_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    shown = klarna.options(session())
    moved = recorder.recorder_flush()

    assert shown and moved == 0
    assert len(recorder._buffer) == 1  # kept for when Redis is back

    settings.INSIGHTS_REDIS_URL = django_settings.REDIS_URL
    recorder._redis_down_until = 0.0
    assert [e.kind for e in stored()] == ["answer"]


def test_a_recorder_that_raises_never_fails_the_answer(
    klarna: Klarna, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(item: Any) -> None:
        raise RuntimeError("buffer broken")

    monkeypatch.setattr(recorder, "_append", broken)

    assert klarna.options(session())


def test_the_drain_stores_in_batches_and_empties_the_list(klarna: Klarna, settings: Any) -> None:
    settings.INSIGHTS_DRAIN_BATCH = 2
    for _ in range(5):
        klarna.options(session())
    recorder.recorder_flush()

    assert insights_drain() == 5
    client = redis.Redis.from_url(settings.INSIGHTS_REDIS_URL)
    assert client.llen(QUEUE_KEY) == 0
    assert CheckoutEvent.objects.count() == 5
    assert insights_drain() == 0


def test_a_malformed_record_or_an_unknown_shop_is_dropped(klarna: Klarna) -> None:
    merchant_id = klarna.shop.merchant.pk
    good = {"k": "confirm", "m": merchant_id, "at": 1.7e9, "s": "x", "oid": "a", "pr": 100}

    stored_count = events_store(
        records=[
            good,
            {"k": "confirm", "m": 999_999, "at": 1.7e9},
            {"k": "answer", "m": merchant_id},
        ]
    )

    assert stored_count == 1
    assert list(CheckoutEvent.objects.values_list("option_id", "price")) == [("a", 100)]


def test_a_breaker_opening_is_recorded_once_per_opening(db: None, settings: Any) -> None:
    from carriers.breaker import breaker
    from tms_gateway.insights.models import BreakerOpening

    settings.CARRIER_BREAKER_FAILURES = 2
    for _ in range(4):  # opens at the second; the others fail while it is open
        breaker.record_failure(("budbee", 7))
    stored()

    assert list(BreakerOpening.objects.values_list("carrier", "key")) == [("budbee", "budbee:7")]


def test_an_answer_carries_its_variant_and_a_remembered_preselection(klarna: Klarna) -> None:
    from tms_gateway.checkout.types import ExperimentAssignment, OptionsResult

    result = OptionsResult(
        options=(),
        experiment=ExperimentAssignment(experiment_id=7, variant="B"),
        remembered=object(),  # type: ignore[arg-type]
    )
    recorder.record_answer(merchant_id=klarna.shop.merchant.pk, session_id="s-1", result=result)
    recorder.record_answer(
        merchant_id=klarna.shop.merchant.pk,
        session_id="s-2",
        payload=b'{"shipping_options": []}',
        assignment=ExperimentAssignment(experiment_id=7, variant="A"),
    )

    computed, kept = stored()

    assert (computed.experiment_id, computed.variant, computed.remembered) == (7, "B", True)
    assert (kept.experiment_id, kept.variant, kept.remembered) == (7, "A", False)


def test_a_choice_takes_the_variant_of_its_sessions_last_answer_before_it(klarna: Klarna) -> None:
    """Stored in a later drain than its answers, a reservation still says its variant; an
    answer after it, or another session's, does not count."""
    m = klarna.shop.merchant.pk
    answer = {"k": "answer", "m": m, "s": "ref-1", "o": []}
    events_store(
        records=[
            {**answer, "at": 1.7e9, "x": 7, "v": "A"},
            {**answer, "at": 1.7e9 + 10, "x": 7, "v": "B"},  # the shopper became known
            {**answer, "s": "ref-2", "at": 1.7e9 + 20, "x": 7, "v": "A"},
        ]
    )

    events_store(
        records=[
            {"k": "reservation", "m": m, "at": 1.7e9 + 30, "s": "ref-1", "oid": "a", "pr": 100},
            {**answer, "at": 1.7e9 + 40, "x": 7, "v": "A"},  # after the reservation
            {"k": "reservation", "m": m, "at": 1.7e9 + 30, "s": "ref-3", "oid": "a", "pr": 100},
        ]
    )

    choices = CheckoutEvent.objects.filter(kind="reservation").order_by("session_ref")
    assert [(e.session_ref, e.experiment_id, e.variant) for e in choices] == [
        ("ref-1", 7, "B"),
        ("ref-3", None, ""),
    ]
