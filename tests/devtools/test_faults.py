"""The fault drill's report: what counts as answered, failed, recovered, lost and duplicated."""

from __future__ import annotations

import uuid

from tms_gateway.devtools.faults import (
    FORGET_PHASE,
    Checkout,
    Recorder,
    Request,
    ShipmentRow,
    Window,
    args_parse,
    bookings_summary,
    forgotten_summary,
    phase_summary,
    time_to_recover,
)


def _request(at: float, status: int | None, phase: str = "redis_down") -> Request:
    return Request(at=at, phase=phase, step="auth", status=status, ms=5)


def test_time_to_recover_is_up_to_the_last_failure_after_the_part_came_back() -> None:
    requests = [
        _request(1.0, 503),  # during the outage: not part of the recovery
        _request(10.5, 503),
        _request(11.0, None),  # no answer at all counts as a failure
        _request(12.0, 200),
        _request(13.0, 201),
    ]

    assert time_to_recover(10.0, requests) == 1.0
    assert time_to_recover(11.5, requests) == 0.0
    assert time_to_recover(0.0, [_request(1.0, 404), _request(2.0, 429)]) == 0.0  # 4xx answer


def test_phase_summary_counts_only_its_own_requests_and_checkouts() -> None:
    window = Window("redis_down", "Redis stopped", start=0.0, end=20.0, restored=10.0)
    requests = [
        _request(1.0, 200),
        _request(2.0, 500),
        _request(3.0, None),
        _request(11.0, 201),
        _request(12.0, 503, phase="postgres_restart"),  # the next phase's outage
    ]
    checkouts = [
        Checkout(1.0, "redis_down", ok=True, confirmed=True, shipment_id="a", failed_step=None),
        Checkout(
            2.0,
            "redis_down",
            ok=False,
            confirmed=False,
            shipment_id=None,
            failed_step="auth",
            failure="auth: expected HTTP 201",
        ),
        Checkout(3.0, "baseline", ok=True, confirmed=True, shipment_id="b", failed_step=None),
    ]

    summary = phase_summary(window, requests, checkouts)

    assert summary["requests"] == 4
    assert summary["answered"] == 3
    assert summary["unanswered"] == 1
    assert summary["server_errors_5xx"] == 1
    assert summary["statuses"] == {"200": 1, "201": 1, "500": 1, "none": 1}
    assert summary["checkouts"] == 2
    assert summary["checkouts_completed"] == 1
    assert summary["checkouts_failed"] == {"auth": 1}
    assert summary["checkout_failures"] == {"auth: expected HTTP 201": 1}
    assert summary["time_to_recover_s"] == 0.0  # the 503 at 12 s is postgres_restart's


def test_a_phase_without_a_part_coming_back_has_no_recovery_time() -> None:
    summary = phase_summary(Window("baseline", "", 0.0, 5.0), [_request(1.0, 200, "baseline")], [])

    assert "time_to_recover_s" not in summary


def _ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def test_bookings_booked_once_at_the_carrier_are_neither_lost_nor_duplicated() -> None:
    confirmed = _ids(3)
    hexes = [c.replace("-", "") for c in confirmed]
    shipments = dict.fromkeys(hexes, ("booked", ""))
    ledger = {"postnord": {hexes[0]: 1, hexes[1]: 1}, "budbee": {hexes[2]: 1}}

    summary = bookings_summary(confirmed=confirmed, shipments=shipments, ledger=ledger)

    assert summary["confirmed"] == 3
    assert summary["booked"] == 3
    assert summary["lost"] == 0
    assert summary["duplicated"] == 0


def test_lost_and_duplicated_bookings_are_counted() -> None:
    confirmed = _ids(5)
    h = [c.replace("-", "") for c in confirmed]
    shipments = {
        h[0]: ("booked", ""),  # booked once: fine
        h[1]: ("booked", ""),  # booked twice at the carrier: duplicated
        h[2]: ("booked", ""),  # we say booked, the carrier has nothing: lost
        h[3]: ("confirmed", ""),  # never booked, never given up: lost
        h[4]: ("failed", "DHL: outcome unknown, check before booking again\nmore"),
    }
    ledger = {"postnord": {h[0]: 1, h[1]: 2}, "dhl": {}}

    summary = bookings_summary(confirmed=confirmed, shipments=shipments, ledger=ledger)

    assert summary["lost"] == 2
    assert set(summary["lost_sample"]) == {h[2], h[3]}
    assert summary["duplicated"] == 1
    assert summary["duplicated_sample"] == [h[1]]
    assert summary["failed"] == 1
    assert summary["failed_reasons"] == {"DHL: outcome unknown, check before booking again": 1}
    assert summary["statuses"] == {"booked": 3, "confirmed": 1, "failed": 1}


def test_a_confirmed_shipment_missing_from_the_database_is_lost() -> None:
    confirmed = _ids(1)

    summary = bookings_summary(confirmed=confirmed, shipments={}, ledger={})

    assert summary["lost"] == 1
    assert summary["statuses"] == {"missing": 1}


def test_failure_reasons_are_grouped_without_their_references_and_counted_by_phase() -> None:
    confirmed = _ids(3)
    h = [c.replace("-", "") for c in confirmed]
    reason = "an earlier attempt may have booked with DHL ({}); check with the carrier"
    shipments = {
        h[0]: ("failed", reason.format(h[0])),
        h[1]: ("failed", reason.format(h[1])),
        h[2]: ("confirmed", ""),
    }
    phase_of = {h[0]: "carrier_garbage", h[1]: "worker_killed", h[2]: "worker_killed"}

    summary = bookings_summary(
        confirmed=confirmed, shipments=shipments, ledger={}, phase_of=phase_of
    )

    assert summary["failed_reasons"] == {reason.format("…"): 2}
    assert summary["failed_by_phase"] == {"carrier_garbage": 1, "worker_killed": 1}
    assert summary["lost_by_phase"] == {"worker_killed": 1}


def test_klarna_forgets_one_confirm_in_n_only_in_its_phase_and_rescuers_alternate() -> None:
    recorder = Recorder(forget_every=5)
    recorder.phase = "baseline"
    assert [recorder.forget_next() for _ in range(10)] == [None] * 10

    recorder.phase = FORGET_PHASE
    picks = [recorder.forget_next() for _ in range(20)]

    assert picks == [None, None, None, None, "checkout_api"] + [None] * 4 + ["shop"] + [
        None
    ] * 4 + ["checkout_api"] + [None] * 4 + ["shop"]
    assert Recorder(forget_every=0, phase=FORGET_PHASE).forget_next() is None


def _forgotten(shipment_id: str, rescuer: str, purchased_at: float) -> Checkout:
    return Checkout(
        at=1.0,
        phase=FORGET_PHASE,
        ok=True,
        confirmed=True,
        shipment_id=shipment_id,
        failed_step=None,
        forgotten=True,
        rescuer=rescuer,
        order_id="o",
        purchased_at=purchased_at,
    )


def test_forgotten_confirms_are_counted_by_who_confirmed_them_with_their_timings() -> None:
    a, b, c, d = (uuid.uuid4().hex for _ in range(4))
    checkouts = [
        _forgotten(a, "shop", 100.0),
        _forgotten(b, "checkout_api", 100.0),
        _forgotten(c, "checkout_api", 100.0),
        _forgotten(d, "shop", 100.0),
        Checkout(1.0, "baseline", ok=True, confirmed=True, shipment_id="x", failed_step=None),
    ]
    shipments = {
        a: ShipmentRow("booked", "", "shop", 102.5),
        b: ShipmentRow("booked", "", "checkout_api", 108.0),
        c: ShipmentRow("booked", "", "checkout_api", 110.0),
        d: ShipmentRow("reserved", "", "", None),  # nobody confirmed it: lost
    }
    ledger = {"postnord": {a: 1, b: 1, c: 2}}

    summary = forgotten_summary(checkouts=checkouts, shipments=shipments, ledger=ledger)

    assert summary == {
        "forgotten": 4,
        "rescuer_asked": {"checkout_api": 2, "shop": 2},
        "confirmed_by": {"(not confirmed)": 1, "checkout_api": 2, "shop": 1},
        "booked": 3,
        "failed": 0,
        "lost": 1,
        "duplicated": 1,
        "seconds_purchase_to_booked": {
            "checkout_api": {"median": 10.0, "p95": 10.0, "max": 10.0},
            "shop": {"median": 2.5, "p95": 2.5, "max": 2.5},
        },
    }


def test_forgotten_confirms_booked_at_the_carrier_without_our_row_are_lost() -> None:
    a = uuid.uuid4().hex
    summary = forgotten_summary(
        checkouts=[_forgotten(a, "shop", 1.0)], shipments={}, ledger={"bring": {a: 1}}
    )
    assert (summary["forgotten"], summary["lost"], summary["booked"]) == (1, 1, 0)


def test_the_drill_refuses_forgetting_every_single_confirm() -> None:
    import pytest

    with pytest.raises(SystemExit):
        args_parse(["--forget-every", "1"])
    assert args_parse([]).forget_every == 5
    assert args_parse(["--forget-every", "0"]).forget_every == 0
