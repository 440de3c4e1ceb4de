"""Budbee's codes: products, media types per endpoint, credential keys, tracking statuses.

Sources: docs/carriers.md §3 (Budbee) and the V2 webhook event list published with the
Instabee documentation (the same vocabulary the parcel events answer in).
"""

from __future__ import annotations

import logging

from carriers.types import ProductKind, TrackingStatus

logger = logging.getLogger(__name__)

#: Credential keys of a Budbee agreement (``AgreementCredentials.credentials``): the API key
#: and secret of HTTP Basic auth. Budbee issues separate pairs for staging and production.
CREDENTIAL_API_KEY = "api_key"
CREDENTIAL_API_SECRET = "api_secret"

#: Home delivery has no product code at Budbee (it is the default of an order without
#: ``productCodes``); "home" names it here, as in carriers/static.py. ``DLVBOX`` is the
#: Budbee Box (locker) product, sent as ``productCodes: ["DLVBOX"]``.
PRODUCT_HOME = "home"
PRODUCT_BOX = "DLVBOX"
PRODUCTS: dict[str, str] = {PRODUCT_HOME: "Budbee Home", PRODUCT_BOX: "Budbee Box"}
PRODUCT_KINDS: dict[str, ProductKind] = {
    PRODUCT_HOME: ProductKind.HOME,
    PRODUCT_BOX: ProductKind.LOCKER,
}

#: Countries Budbee delivers to (as in carriers/static.py), with the zone its delivery
#: windows and cut-offs are read in.
COUNTRY_TIMEZONES: dict[str, str] = {
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "NL": "Europe/Amsterdam",
}

#: How many upcoming delivery intervals a checkout asks for (``/intervals/{cc}/{pc}/{n}``).
INTERVAL_COUNT = 5

#: Budbee picks the endpoint version from the vendor media type (Content-Type and Accept).
MEDIA_POSTALCODES = "application/vnd.budbee.postalcodes-v2+json"
MEDIA_INTERVALS = "application/vnd.budbee.intervals-v2+json"
MEDIA_BOXES = "application/vnd.budbee.boxes-v1+json"
MEDIA_ORDERS_V2 = "application/vnd.budbee.multiple.orders-v2+json"
MEDIA_ORDERS_V1 = "application/vnd.budbee.multiple.orders-v1+json"
MEDIA_PARCELS = "application/vnd.budbee.parcels-v1+json"

#: Add-ons. Budbee notifies the recipient by SMS and e-mail on every order, on the
#: ``delivery.telephoneNumber`` and ``delivery.email`` sent with it: "sms" has no service
#: code of its own. "entry-code" is the ``delivery.doorCode`` field.
ADDON_SMS = "sms"
ADDON_ENTRY_CODE = "entry-code"

#: Budbee Box opening hours name days in full, upper case.
WEEKDAYS: dict[str, int] = {
    "MONDAY": 0,
    "TUESDAY": 1,
    "WEDNESDAY": 2,
    "THURSDAY": 3,
    "FRIDAY": 4,
    "SATURDAY": 5,
    "SUNDAY": 6,
}

#: V2 parcel events -> our status, with Budbee's own description of each.
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
