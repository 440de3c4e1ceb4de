"""Helpers of the booking tests: a shipment with the shopper's exact choice, its history, what
the carrier received, and the booking tasks waiting in the test broker."""

from __future__ import annotations

import base64
import json
import time
from typing import Any, cast

import redis
from django.conf import settings

from carriers.models import CarrierTrace
from carriers.types import AgreementCredentials
from merchants.models import CarrierAgreement, Merchant
from tests.conftest import Sandbox
from tests.factories import SessionFactory
from tms_gateway.checkout.services import options_build
from tms_gateway.checkout.types import OfferedOption
from tms_gateway.shipments.models import Shipment

BOOK_TASK = "tms_gateway.shipments.tasks.shipment_book"
#: Celery's default queue: a list of that name in the broker's Redis database.
QUEUE = "celery"


def offered(
    merchant: Merchant, option_id: str, *, country: str = "SE", postal_code: str = "11151"
) -> OfferedOption:
    """The option as the shopper is offered it now (its locations and time slots)."""
    session = SessionFactory.build(country=country, postal_code=postal_code)
    result = options_build(merchant=merchant, session=session)
    return next(o for o in result.options if o.id == option_id)


def history(shipment: Shipment) -> list[tuple[str, str, str, str]]:
    """(from, to, actor, reason) of every recorded transition, in the order written."""
    return [(e.from_status, e.to_status, e.actor, e.reason) for e in shipment.events.order_by("id")]


def shipment_force(shipment: Shipment, **fields: Any) -> Shipment:
    """Put the row in a state no service would (a worker that died, a lease held elsewhere)."""
    Shipment.objects.filter(pk=shipment.pk).update(**fields)
    shipment.refresh_from_db()
    return shipment


def agreement_credentials(merchant: Merchant, carrier: str) -> AgreementCredentials:
    agreement = CarrierAgreement.objects.get(merchant=merchant, carrier=carrier)
    return AgreementCredentials(
        agreement_id=agreement.pk,
        customer_number=agreement.customer_number,
        credentials=agreement.credentials,
        test_mode=agreement.test_mode,
        merchant_id=merchant.pk,
        base_url=agreement.api_base_url,
    )


def sandbox_booking_wait(
    sandbox: Sandbox, carrier: str, reference: str, *, timeout: float = 5.0
) -> dict[str, int]:
    """The sandbox's booking counts once it has recorded ``reference`` (a late answer)."""
    deadline = time.monotonic() + timeout
    while reference not in (bookings := sandbox.bookings(carrier)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{carrier} never recorded a booking for {reference}")
        time.sleep(0.02)
    return bookings


def booking_bodies(carrier: str) -> list[Any]:
    """The JSON bodies of the booking calls we sent the carrier (from the call traces)."""
    traces = CarrierTrace.objects.filter(carrier=carrier, operation="booking").order_by("pk")
    return [json.loads(t.request_body) for t in traces]


def broker() -> redis.Redis:
    """A client of the test broker (the test Redis db)."""
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def queue_clear() -> None:
    """Empty the booking queue and its queued notes, as a Redis restart does."""
    client = broker()
    client.delete(QUEUE)
    for key in client.scan_iter(match="*booking:queued:*"):
        client.delete(key)


def queued_bookings() -> list[int]:
    """The shipment ids of the booking tasks waiting in the default queue, oldest first."""
    shipment_ids = []
    messages = cast(list[bytes], broker().lrange(QUEUE, 0, -1))
    for raw in reversed(messages):  # LPUSHed: the newest comes first
        message = json.loads(raw)
        if message["headers"]["task"] != BOOK_TASK:
            continue
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        shipment_ids.append(int(args[0]))
    return shipment_ids
