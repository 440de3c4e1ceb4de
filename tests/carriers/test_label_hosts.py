"""A label link in a carrier's answer is fetched only from the carrier's own hosts (or its declared
label storage, without secrets): a link to anywhere else, such as another port of this machine,
is not fetched. The booking keeps it as a link only, and the refusal is traced."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carriers.instabox import InstaboxAdapter
from carriers.models import CarrierTrace
from carriers.types import Label
from tests.carriers.instabox.builders import API_KEY, booking_request, fixture_json
from tests.conftest import Sandbox
from tests.factories import MerchantFactory

from .recorder import Recorder

pytestmark = pytest.mark.django_db

PARCEL_ID = "SHOP7D0F5A524A0E4B5C9F3E2A1D6C9B8E01"


def test_a_label_link_to_another_port_of_this_machine_is_not_fetched(
    sandbox: Sandbox, settings: Any
) -> None:
    # given: a carrier (the only allowed host) whose booking answer links its label to an
    # internal service on another port (here the sandbox, which would serve it)
    internal = f"{sandbox.url('instabox')}/labels/{PARCEL_ID}.pdf"
    answer = {**fixture_json("order-post-packing-response.json"), "labelUrl": internal}
    carrier = Recorder(body=json.dumps(answer).encode())
    settings.CARRIER_ALLOWED_HOSTS = {"instabox": [f"127.0.0.1:{carrier.port}"]}
    try:
        # when
        booking = InstaboxAdapter().book(
            request=booking_request(
                base_url=f"{carrier.url}/instabox", merchant_id=MerchantFactory.create().pk
            )
        )
    finally:
        carrier.close()

    # then: booked, the label kept as a link only; the internal service was never asked
    assert booking.carrier_shipment_id == PARCEL_ID
    assert booking.labels == (Label(url=internal),)
    assert sandbox.requests("instabox") == 0
    assert [(r.method, r.path) for r in carrier.requests] == [("PUT", "/instabox/orders")]
    refused = CarrierTrace.objects.get(operation="label")
    assert (refused.method, refused.url, refused.status_code) == ("GET", internal, None)
    assert refused.error == (
        f"refused: {sandbox.server.url} is not an allowed host for instabox "
        f"(CARRIER_ALLOWED_HOSTS; allowed: 127.0.0.1:{carrier.port})"
    )
    assert API_KEY not in json.dumps(list(CarrierTrace.objects.values()), default=str)


def test_a_label_link_on_the_carriers_host_is_fetched(sandbox: Sandbox, settings: Any) -> None:
    # given: the sandbox is the carrier and the only allowed host
    settings.CARRIER_ALLOWED_HOSTS = {"instabox": [sandbox.server.url.split("//")[1]]}

    # when
    booking = InstaboxAdapter().book(request=booking_request(base_url=sandbox.url("instabox")))

    # then
    (label,) = booking.labels
    assert label.url == f"{sandbox.url('instabox')}/labels/{PARCEL_ID}.pdf"
    assert label.content.startswith(b"%PDF-")
    assert CarrierTrace.objects.filter(error__startswith="refused").count() == 0
