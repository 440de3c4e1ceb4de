"""Bring's codes: additional services, pickup-point types, tracking statuses, headers.

The product catalogue and the countries are the declaration's (declaration.py); the tables here
are read from it. Unknown codes never raise: a status maps to ``UNKNOWN`` with a warning.
"""

from __future__ import annotations

import logging

from carriers.types import AddonType, ProductKind, TrackingStatus

from .declaration import (
    CREDENTIAL_API_KEY,
    CREDENTIAL_API_UID,
    CREDENTIAL_CLIENT_URL,
    DECLARATION,
    PICKUP_PARCEL,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CREDENTIAL_API_KEY",
    "CREDENTIAL_API_UID",
    "CREDENTIAL_CLIENT_URL",
    "PICKUP_PARCEL",
]

HEADER_API_UID = "X-Mybring-API-Uid"
HEADER_API_KEY = "X-Mybring-API-Key"
HEADER_CLIENT_URL = "X-Bring-Client-URL"

#: Product id -> the kinds it delivers to, and the countries each product serves: both from the
#: declaration, the one catalogue.
PRODUCT_KINDS: dict[str, frozenset[ProductKind]] = {
    product.code: product.kinds for product in DECLARATION.products
}
COUNTRIES = DECLARATION.countries

#: Where the Shipping Guide is told a parcel leaves from when the shop's sender address is not
#: in the recipient's country: Bring's main terminal there (a guess, see FIDELITY.md).
DEFAULT_ORIGINS: dict[str, tuple[str, str]] = {
    "NO": ("NO", "0150"),
    "SE": ("SE", "11120"),
    "DK": ("DK", "1050"),
    "FI": ("FI", "00100"),
}

# Additional services (Booking API ``product.additionalServices[].id``). Which service a
# product takes is Bring's data/services_vas.json (bring/developer-site): "Signature required"
# 1280 for 5600, 3570, 3584; "Unattended delivery w/photo" 0041 for 5600; "Delivery outside
# the door" 1081 for 3570, 3584. EVARSLING (e-notification) with the recipient's e-mail and
# mobile is what Bring's own 5600 booking example sends (bookingold basicRequestNew.json); 5800
# and the mailbox parcels notify the recipient from its contact, with no service (Bring's
# pickup-parcel and mailbox-parcel booking examples send none).
SERVICE_NOTIFICATION = "EVARSLING"
SERVICE_UNATTENDED_DELIVERY = "0041"
SERVICE_SIMPLE_DELIVERY = "1081"
SERVICE_SIGNATURE = "1280"
ADDON_SERVICES: dict[AddonType, dict[str, str]] = {
    AddonType.SMS: {"5600": SERVICE_NOTIFICATION, PICKUP_PARCEL: SERVICE_NOTIFICATION},
    AddonType.LEAVE_AT_DOOR: {
        "5600": SERVICE_UNATTENDED_DELIVERY,
        "3584": SERVICE_SIMPLE_DELIVERY,
        "3570": SERVICE_SIMPLE_DELIVERY,
    },
    AddonType.SIGNATURE: {
        "5600": SERVICE_SIGNATURE,
        "3584": SERVICE_SIGNATURE,
        "3570": SERVICE_SIGNATURE,
    },
}
#: Add-ons that need no service because the product does it from the recipient's contact.
ADDONS_FROM_CONTACT: dict[AddonType, frozenset[str]] = {
    AddonType.SMS: frozenset({"5800", "3584", "3570"}),
}
#: Services a product is always booked with. PICKUP_PARCEL (0340) to a chosen pickup point:
#: "when service code 0010/0011 is used it is mandatory with service 0091-eAdvising", with the
#: recipient's mobile number and/or e-mail ("Service Code 0010 and 0011 (BIG14) 1.7",
#: developer.bring.com/files). Those are EDI codes; in the Booking API the pickup point is
#: ``parties.pickupPoint`` (SELECT_PICKUP_POINT_NORDICS is "orderedViaVasCodes": false) and
#: eAdvising is ``EVARSLING`` (its "bookingCode", supported on PICKUP_PARCEL, in
#: data/services_vas.json). That the Booking API refuses PICKUP_PARCEL without it is a guess:
#: Bring's Appendix A says 0091 "is added automatically if mobile number and/or email address
#: in EDI", so it is sent always rather than relied upon.
MANDATORY_SERVICES: dict[str, tuple[str, ...]] = {PICKUP_PARCEL: (SERVICE_NOTIFICATION,)}
#: Sender countries from which a product cannot be booked to a chosen pickup point: the
#: "Optional pickup point (Nordics)" row of PICKUP_PARCEL lists senders "ALL COUNTRIES EXCEPT
#: NORWAY" (data/services_vas.json), and Appendix A: "0340 from NO: No additional services
#: available when sending from NO".
PICKUP_POINT_CHOICE_NOT_FROM: dict[str, frozenset[str]] = {PICKUP_PARCEL: frozenset({"NO"})}
#: Bring has no door-code field: the code goes to the recipient's ``additionalAddressInfo``.
ENTRY_CODE_LABEL = "Door code"


def addon_service(addon: str, product: str) -> str:
    """The Bring service id for an add-on on ``product``; "" when none applies."""
    try:
        kind = AddonType(addon)
    except ValueError:
        return ""
    return ADDON_SERVICES.get(kind, {}).get(product, "")


#: Products whose booking takes the shopper's chosen day as ``customerSpecifiedDeliveryDateTime``
#: (Booking API RAML: "applicable for 'PA_DOREN', '5600', and 'OIL_EXPRESS'").
CUSTOMER_SPECIFIED_DELIVERY_PRODUCTS = frozenset({"5600", "PA_DOREN", "OIL_EXPRESS"})
#: "For 'PA_DOREN' and '5600' the date cannot be set to more than current date + 10 days."
CUSTOMER_SPECIFIED_DELIVERY_MAX_DAYS = 10

#: Pickup Point API ``type`` values of unmanned parcel lockers, per country (the Pickup Point
#: API's RAML, https://developer.bring.com/api/pickup-point/; 27 is "Pakkeautomat" in Bring's
#: own NO example).
LOCKER_TYPES: dict[str, frozenset[str]] = {
    "NO": frozenset({"27", "37"}),
    "SE": frozenset({"39"}),
    "DK": frozenset({"43", "86"}),
    "FI": frozenset({"LOCKER", "SmartPOST"}),
}
#: Countries where the Pickup Point API's postal-code search filters by ``pickupPointType``
#: (its RAML: "Available for Swedish, Finnish, Danish and Norway pickup point request").
TYPE_FILTER_COUNTRIES = frozenset({"NO", "SE", "DK", "FI"})

#: Tracking API v2 event ``status`` -> our status (the Tracking API RAML's event table).
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
    # Removed from the Tracking API on 22.06.2022 (its changelog); kept for older answers.
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

#: Tracking API error codes inside a 200 (its RAML examples): 404 "No shipments found" is an
#: answer (nothing found), 400 a refusal, 500/503 Bring being unavailable.
TRACKING_NOT_FOUND = 404


def tracking_status(code: str) -> TrackingStatus:
    status = TRACKING_STATUSES.get(code)
    if status is None:
        logger.warning("bring: unknown tracking status %r", code)
        return TrackingStatus.UNKNOWN
    return status


def is_locker(*, country: str, point_type: str) -> bool:
    return point_type in LOCKER_TYPES.get(country.upper(), frozenset())
