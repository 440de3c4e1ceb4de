"""The carrier sandbox answered in-process (CARRIER_HTTP_TRANSPORT): the adapters' real requests
and parsing, no socket; faults and counts as over HTTP. The bench's options_computed runs on it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from carriers.exceptions import CarrierUnavailable
from carriers.postnord import PostNordAdapter
from carriers.sandbox import transport
from carriers.sandbox.server import Fault
from carriers.types import LocationKind, ProductKind, ProductQuery

from .postnord.conftest import make_agreement, quote_request

SANDBOX_URL = "http://carrier-sandbox.invalid:8090"
PICKUP = ProductQuery("19", ProductKind.PICKUP_POINT, wants_locations=True)


@pytest.fixture
def in_process(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.CARRIER_SANDBOX_URL = SANDBOX_URL
    settings.CARRIER_HTTP_TRANSPORT = "carriers.sandbox.transport.InProcessSandboxAdapter"

    def no_sockets(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "create_connection", no_sockets)
    transport.STATE.reset()
    yield
    transport.STATE.reset()
    transport.STATE.stop.clear()


def _quote() -> Any:
    adapter = PostNordAdapter()
    agreement = make_agreement(f"{SANDBOX_URL}/postnord")
    (pickup,) = adapter.quote(request=quote_request(agreement, PICKUP))
    return pickup


@pytest.mark.django_db
def test_an_adapter_is_answered_in_process_by_the_sandbox(in_process: None) -> None:
    pickup = _quote()

    assert pickup.available
    assert [p.kind for p in pickup.locations] == [LocationKind.SERVICE_POINT] * 3
    assert pickup.locations[0].name == "Pressbyrån Sveavägen"  # the sandbox's deterministic data
    assert transport.STATE.stats()["requests"]["postnord"] >= 1


@pytest.mark.django_db
def test_faults_apply_in_process(in_process: None) -> None:
    transport.STATE.set_fault("postnord", Fault(status=503))

    with pytest.raises(CarrierUnavailable, match="HTTP 503"):
        _quote()


@pytest.mark.django_db
def test_a_hang_is_a_read_timeout(in_process: None) -> None:
    transport.STATE.set_fault("postnord", Fault(hang=True))
    transport.STATE.stop.set()  # the hang ends at once, as when the sandbox stops

    with pytest.raises(CarrierUnavailable, match="timeout"):
        _quote()
