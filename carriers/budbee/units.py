"""Budbee's codes: media types per endpoint, the interval count, locker weekdays, webhook events.

The product catalogue and the countries are the declaration's (declaration.py); the tables
below are derived from it, never a second copy.

Sources: Budbee's own PHP client (budbee/budbee-php, its ``*Api.php`` media types), budbee-js
(benchatech/budbee-js ``src/client.ts``) and the V2 webhook event list of Instabee's
documentation (instabee-api-docs.vercel.app/docs/misc/events/home-delivery).
"""

from __future__ import annotations

import logging

from carriers.types import ProductKind, TrackingStatus

from .declaration import (
    CREDENTIAL_API_KEY,
    CREDENTIAL_API_SECRET,
    DECLARATION,
    PRODUCT_BOX,
    PRODUCT_HOME,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CREDENTIAL_API_KEY",
    "CREDENTIAL_API_SECRET",
    "PRODUCT_BOX",
    "PRODUCT_HOME",
]

#: product code -> name and -> the one kind it delivers to (from the declaration).
PRODUCTS: dict[str, str] = DECLARATION.product_names
PRODUCT_KINDS: dict[str, ProductKind] = {
    product.code: next(iter(product.kinds)) for product in DECLARATION.products
}
COUNTRIES: frozenset[str] = DECLARATION.countries

#: How many upcoming delivery intervals a checkout asks for (``/intervals/{cc}/{pc}/{n}``).
INTERVAL_COUNT = 5

#: Budbee picks the endpoint version from the vendor media type (budbee-php sends it as
#: Content-Type and Accept; budbee-js as Content-Type).
MEDIA_POSTALCODES = "application/vnd.budbee.postalcodes-v2+json"
MEDIA_INTERVALS = "application/vnd.budbee.intervals-v2+json"
MEDIA_BOXES = "application/vnd.budbee.boxes-v1+json"
MEDIA_ORDERS_V2 = "application/vnd.budbee.multiple.orders-v2+json"
MEDIA_ORDERS_V1 = "application/vnd.budbee.multiple.orders-v1+json"
MEDIA_PARCELS = "application/vnd.budbee.parcels-v1+json"

#: Budbee Box opening hours name days in full, upper case (budbee-js ``DayOfWeek``).
WEEKDAYS: dict[str, int] = {
    "MONDAY": 0,
    "TUESDAY": 1,
    "WEDNESDAY": 2,
    "THURSDAY": 3,
    "FRIDAY": 4,
    "SATURDAY": 5,
    "SUNDAY": 6,
}

#: V2 webhook events -> our status, with Budbee's own description of each.
EVENTS: dict[str, tuple[TrackingStatus, str]] = {
    "PARCEL_CREATED": (TrackingStatus.PENDING, "New parcel registered"),
    "SORTED_AT_TERMINAL": (TrackingStatus.IN_TRANSIT, "Parcel sorted at terminal"),
    "PARCEL_RECALLED": (TrackingStatus.RETURNED, "Parcel recalled by merchant"),
    "HOME_DELIVERY_CHANGED": (TrackingStatus.IN_TRANSIT, "Home delivery details updated"),
    "DELIVERY_VEHICLE_LOADED": (
        TrackingStatus.OUT_FOR_DELIVERY,
        "Parcel loaded onto delivery vehicle",
    ),
    "DELIVERED_TO_CONSUMER": (TrackingStatus.DELIVERED, "Successfully delivered to consumer"),
    "DELIVERY_FAILED": (TrackingStatus.DELIVERY_FAILED, "Delivery attempt failed"),
    "DELIVERY_CANCELLED": (TrackingStatus.DELIVERY_FAILED, "Delivery cancelled"),
    "RETURN_BOOKED_HOME": (TrackingStatus.RETURNED, "Home pickup return booked"),
    "RETURN_HOME_PICKED_UP": (TrackingStatus.RETURNED, "Home pickup return collected"),
    "RETURN_HOME_PICK_UP_FAILED": (TrackingStatus.RETURNED, "Home pickup return failed"),
    "RETURN_HOME_PICK_UP_CANCELLED": (TrackingStatus.RETURNED, "Home pickup return cancelled"),
    "RETURNED_TO_MERCHANT": (TrackingStatus.RETURNED, "Parcel returned to merchant"),
    "LOCKER_CHANGED": (TrackingStatus.IN_TRANSIT, "Locker assignment changed"),
    "DELIVERED_TO_LOCKER": (TrackingStatus.READY_FOR_PICKUP, "Parcel placed in locker"),
    "INJECTED_IN_LOCKER": (TrackingStatus.READY_FOR_PICKUP, "Parcel injected directly into locker"),
    "CONSUMER_PICKED_UP_FROM_LOCKER": (
        TrackingStatus.DELIVERED,
        "Consumer collected from locker",
    ),
    "CHANGED_TO_LOCKER_DELIVERY": (TrackingStatus.IN_TRANSIT, "Delivery type changed to locker"),
    "CHANGED_TO_HOME_DELIVERY": (TrackingStatus.IN_TRANSIT, "Delivery type changed to home"),
    "RETURN_BOOKED_LOCKER": (TrackingStatus.RETURNED, "Locker return booked"),
    "RETURN_LOCKER_PICK_UP_FAILED": (TrackingStatus.RETURNED, "Locker return pickup failed"),
}


def tracking_status(event: str) -> TrackingStatus:
    """Our status for a Budbee event; an unknown event is UNKNOWN and logged, never an error."""
    known = EVENTS.get(event)
    if known is None:
        logger.warning("budbee: unknown tracking event %r", event)
        return TrackingStatus.UNKNOWN
    return known[0]


def event_description(event: str) -> str:
    known = EVENTS.get(event)
    return known[1] if known else event
