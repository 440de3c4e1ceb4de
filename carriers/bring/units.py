"""Bring's codes: products, additional services, pickup-point types, tracking statuses.

Sources: docs/carriers.md §2.3 (pickup-point types), §2.5 (product and service ids), §2.6
(tracking statuses). Unknown codes never raise: a status maps to ``UNKNOWN`` with a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from carriers.types import ProductKind, TrackingStatus

logger = logging.getLogger(__name__)

#: Keys of ``AgreementCredentials.credentials`` for Bring: the Mybring login (an e-mail), its
#: API key, and the URL that identifies the caller (Bring's ``X-Bring-Client-URL``).
CREDENTIAL_API_UID = "api_uid"
CREDENTIAL_API_KEY = "api_key"
CREDENTIAL_CLIENT_URL = "client_url"

HEADER_API_UID = "X-Mybring-API-Uid"
HEADER_API_KEY = "X-Mybring-API-Key"
HEADER_CLIENT_URL = "X-Bring-Client-URL"


@dataclass(frozen=True)
class Product:
    name: str
    kinds: frozenset[ProductKind]
    #: Recipient countries the product delivers to; these ids are Norwegian domestic services
    #: (Nordic and cross-border parcels use other ids, e.g. 0340 PICKUP_PARCEL).
    countries: frozenset[str]


_NORWAY = frozenset({"NO"})

#: Shipping Guide / Booking API product ids (docs/carriers.md §2.5); the same codes as
#: ``carriers.static.BringStaticAdapter``. 5800 serves manned pickup points and parcel lockers
#: (the recipient's chosen point decides which).
PRODUCTS: dict[str, Product] = {
    "5800": Product(
        "Pakke til hentested",
        frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER}),
        _NORWAY,
    ),
    "5600": Product("Pakke levert hjem", frozenset({ProductKind.HOME}), _NORWAY),
    "3584": Product("Pakke i postkassen", frozenset({ProductKind.MAILBOX}), _NORWAY),
    "3570": Product("Pakke i postkassen med RFID", frozenset({ProductKind.MAILBOX}), _NORWAY),
}

#: Countries Bring's Pickup Point API covers; a recipient elsewhere is "not served".
COUNTRIES = frozenset({"NO", "SE", "DK", "FI"})

TIMEZONES: dict[str, ZoneInfo] = {
    "NO": ZoneInfo("Europe/Oslo"),
    "SE": ZoneInfo("Europe/Stockholm"),
    "DK": ZoneInfo("Europe/Copenhagen"),
    "FI": ZoneInfo("Europe/Helsinki"),
}
DEFAULT_TIMEZONE = TIMEZONES["NO"]

#: Where the Shipping Guide is told a parcel leaves from. ``QuoteRequest`` carries no sender
#: address, so a quote assumes the shop hands parcels in at Bring's main terminal of the
#: recipient's country (Oslo for Norway); bookings send the real sender address.
DEFAULT_ORIGINS: dict[str, tuple[str, str]] = {
    "NO": ("NO", "0150"),
    "SE": ("SE", "11120"),
    "DK": ("DK", "1050"),
    "FI": ("FI", "00100"),
}

# Additional services (docs/carriers.md §2.5). EVARSLING is the SMS/e-mail notification.
SERVICE_NOTIFICATION = "EVARSLING"
SERVICE_SIMPLE_DELIVERY = "1081"
SERVICE_SIGNATURE = "1280"
#: Add-on type (merchants.models.AddonType) -> Bring additional service id; "sms" also sends
#: the recipient's mobile and e-mail, "entry-code" goes to the recipient's
#: ``additionalAddressInfo`` (Bring has no door-code field).
ADDON_SERVICES: dict[str, str] = {
    "sms": SERVICE_NOTIFICATION,
    "leave-at-door": SERVICE_SIMPLE_DELIVERY,
    "signature": SERVICE_SIGNATURE,
}
ADDON_ENTRY_CODE = "entry-code"
ENTRY_CODE_LABEL = "Door code"

#: Pickup Point API ``type`` values of unmanned parcel lockers, per country (docs/carriers.md
#: §2.3 and the Pickup Point API's RAML; 27 is "Pakkeautomat" in Bring's own NO example).
LOCKER_TYPES: dict[str, frozenset[str]] = {
    "NO": frozenset({"27", "37"}),
    "SE": frozenset({"39"}),
    "DK": frozenset({"43", "86"}),
    "FI": frozenset({"LOCKER", "SmartPOST"}),
}
#: Countries where the Pickup Point API filters by ``pickupPointType`` itself; in Norway the
#: adapter filters by type.
TYPE_FILTER_COUNTRIES = frozenset({"SE", "DK", "FI"})

#: Tracking API v2 event ``status`` -> our status (docs/carriers.md §2.6, §6.3).
TRACKING_STATUSES: dict[str, TrackingStatus] = {
    "PRE_NOTIFIED": TrackingStatus.PENDING,
    "HANDED_IN": TrackingStatus.IN_TRANSIT,
    "COLLECTED": TrackingStatus.IN_TRANSIT,
    "IN_TRANSIT": TrackingStatus.IN_TRANSIT,
    "TERMINAL": TrackingStatus.IN_TRANSIT,
    "INTERNATIONAL": TrackingStatus.IN_TRANSIT,
    "CUSTOMS": TrackingStatus.IN_TRANSIT,
    "DEVIATION": TrackingStatus.IN_TRANSIT,
    "DELIVERY_ORDERED": TrackingStatus.IN_TRANSIT,
    "DELIVERY_CHANGED": TrackingStatus.IN_TRANSIT,
    "NOTIFICATION_SENT": TrackingStatus.IN_TRANSIT,
    "TRANSPORT_TO_RECIPIENT": TrackingStatus.OUT_FOR_DELIVERY,
    "ARRIVED_DELIVERY": TrackingStatus.OUT_FOR_DELIVERY,
    "READY_FOR_PICKUP": TrackingStatus.READY_FOR_PICKUP,
    "ARRIVED_COLLECTION": TrackingStatus.READY_FOR_PICKUP,
    "DELIVERED": TrackingStatus.DELIVERED,
    "ATTEMPTED_DELIVERY": TrackingStatus.DELIVERY_FAILED,
    "DELIVERY_CANCELLED": TrackingStatus.DELIVERY_FAILED,
    "RETURN": TrackingStatus.RETURNED,
    "DELIVERED_SENDER": TrackingStatus.RETURNED,
    "UNKNOWN": TrackingStatus.UNKNOWN,
}


def tracking_status(code: str) -> TrackingStatus:
    status = TRACKING_STATUSES.get(code)
    if status is None:
        logger.warning("bring: unknown tracking status %r", code)
        return TrackingStatus.UNKNOWN
    return status


def is_locker(*, country: str, point_type: str) -> bool:
    return point_type in LOCKER_TYPES.get(country.upper(), frozenset())


#: ISO 4217 minor units of the currencies whose exponent is not 2.
CURRENCY_EXPONENTS: dict[str, int] = {"ISK": 0, "JPY": 0, "KRW": 0}
