"""PostNord code tables: products, additional services, party and reference codes, service
point types and tracking statuses, each from PostNord's published API specifications
(carriers/FIDELITY.md, PostNord, and tests/carriers/postnord/fixtures/SOURCES.md). The product
catalogue and the countries are the declaration's (declaration.py); local times come from
carriers.calendar.

Nothing here talks to PostNord; the adapter, the mappers and the sandbox read these tables.
"""

from __future__ import annotations

import logging

from carriers.declaration import CarrierProduct
from carriers.types import LocationKind, ProductKind, TrackingStatus

from . import declaration
from .declaration import DECLARATION

logger = logging.getLogger(__name__)

# --- Credentials (keys of ``AgreementCredentials.credentials``; declared in declaration.py) ---

CREDENTIAL_API_KEY = declaration.CREDENTIAL_API_KEY
CREDENTIAL_APPLICATION_ID = declaration.CREDENTIAL_APPLICATION_ID
CREDENTIAL_ISSUER_CODE = declaration.CREDENTIAL_ISSUER_CODE
CREDENTIAL_ORIGIN_POSTAL_CODE = declaration.CREDENTIAL_ORIGIN_POSTAL_CODE
CREDENTIAL_ORIGIN_COUNTRY = declaration.CREDENTIAL_ORIGIN_COUNTRY

# --- Products (EDI basicServiceCode): the declaration's, by code ------------------------------

PRODUCTS: dict[str, CarrierProduct] = {p.code: p for p in DECLARATION.products}
PRODUCT_NAMES: dict[str, str] = DECLARATION.product_names
#: Recipient countries served: the Nordic markets of MyPack and Varubrev.
COUNTRIES = DECLARATION.countries

# --- EDI instruction codes (Booking API swagger) ---------------------------------------------

#: issuerCode: the PostNord company the customer number belongs to.
ISSUER_CODES = {"DK": "Z11", "SE": "Z12", "NO": "Z13", "FI": "Z14"}
ISSUER_COUNTRIES = {code: country for country, code in ISSUER_CODES.items()}
#: updateIndicator (booking swagger 3.5.29.1, definition ``updateIndicator``): "Update and
#: Deletion are not supported for (Z11=PostNord Denmark, Z13=PostNord Norway, Z14=PostNord
#: Finland)". Only a Swedish (Z12) instruction can be deleted.
DELETION_ISSUER_CODES = frozenset({"Z12"})
#: partyIdType values.
PARTY_ID_CUSTOMER_NUMBER = "160"
PARTY_ID_SERVICE_POINT = "156"
#: Additional service "Optional Service Point": the shopper chose the point or locker.
ADDON_OPTIONAL_SERVICE_POINT = "A7"
#: freeText usageCode "Delivery instruction": where the door code goes.
FREE_TEXT_DELIVERY_INSTRUCTION = "DEL"
#: references[].referenceType: our shipment reference and the shop's order number.
REFERENCE_CUSTOMER = "CU"
REFERENCE_ORDER = "REF"
PACKAGE_TYPE_PARCEL = "PC"
#: itemId "0" asks PostNord to allocate the parcel id (returned as the tracking number).
ITEM_ID_ALLOCATE = "0"
ITEM_ID_TYPE = "SSCC"
WEIGHT_UNIT = "KGM"
DIMENSION_UNIT = "CMT"
LABEL_PAPER_SIZE = "LABEL"

# Add-ons (``carriers.types.AddonType``): PostNord has no separate additional service for SMS
# notice: the recipient's mobile in ``consignee.contact.smsNo`` is the notice (and PostNord
# charges for EDI without it), so it is always sent. The entry code goes in a ``DEL``
# free text.

# --- Service points (Service Points v5 swagger) ---------------------------------------------

#: typeId filters PostNord recommends for checkouts: manned optional service points, and
#: parcel boxes (lockers). Collect-in-store (51) and terminal pickup (73) need an agreement.
SERVICE_POINT_TYPE_IDS = ("4", "6", "24", "25", "37", "38", "44", "46", "54", "61")
LOCKER_TYPE_IDS = ("2",)
TYPE_IDS: dict[ProductKind, tuple[str, ...]] = {
    ProductKind.PICKUP_POINT: SERVICE_POINT_TYPE_IDS,
    ProductKind.LOCKER: LOCKER_TYPE_IDS,
}
LOCATION_KINDS: dict[ProductKind, LocationKind] = {
    ProductKind.PICKUP_POINT: LocationKind.SERVICE_POINT,
    ProductKind.LOCKER: LocationKind.LOCKER,
}
#: ``type.typeId`` 2 is "Parcel Box Location"; ``type.groupTypeId`` 2 the "Service box" group.
LOCKER_TYPE_ID = 2
LOCKER_GROUP_TYPE_ID = 2
#: PostNord answers a few dozen points at most; more would only slow the checkout.
MAX_SERVICE_POINTS = 20

WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}

# --- Cancel ---------------------------------------------------------------------------------


def cancel_supported(country: str) -> bool:
    """Whether PostNord deletes an EDI instruction of the agreement of this country (ISO
    alpha-2 of the issuer: the sender's country, or the agreement's issuer code's)."""
    code = country.strip().upper()
    return ISSUER_CODES.get(code, code) in DELETION_ISSUER_CODES


# --- Tracking (Track & Trace v7 status enums ``Status18`` and ``ItemStatus``) -------------------------------

TRACKING_STATUSES: dict[str, TrackingStatus] = {
    "CREATED": TrackingStatus.PENDING,
    "INFORMED": TrackingStatus.PENDING,
    "EN_ROUTE": TrackingStatus.IN_TRANSIT,
    "DELAYED": TrackingStatus.IN_TRANSIT,
    "EXPECTED_DELAY": TrackingStatus.IN_TRANSIT,
    "AVAILABLE_FOR_DELIVERY": TrackingStatus.READY_FOR_PICKUP,
    "AVAILABLE_FOR_DELIVERY_PAR_LOC": TrackingStatus.READY_FOR_PICKUP,
    "DELIVERED": TrackingStatus.DELIVERED,
    "DELIVERY_IMPOSSIBLE": TrackingStatus.DELIVERY_FAILED,
    "DELIVERY_REFUSED": TrackingStatus.DELIVERY_FAILED,
    "STOPPED": TrackingStatus.DELIVERY_FAILED,
    "RETURNED": TrackingStatus.RETURNED,
    # Notices (text message sent, delivery option changed): no step in the parcel's journey.
    "OTHER": TrackingStatus.UNKNOWN,
    "SPLIT": TrackingStatus.UNKNOWN,
}
#: Event codes more precise than their status: 113 "The delivery of the shipment item is in
#: progress" comes as EN_ROUTE but is the last leg.
EVENT_CODE_STATUSES: dict[str, TrackingStatus] = {
    "113": TrackingStatus.OUT_FOR_DELIVERY,
}


def tracking_status(status: str, event_code: str = "") -> TrackingStatus:
    """Our status for PostNord's event status (and code); unknown ones map to UNKNOWN."""
    if event_code in EVENT_CODE_STATUSES:
        return EVENT_CODE_STATUSES[event_code]
    known = TRACKING_STATUSES.get(status)
    if known is None:
        logger.warning("unknown PostNord tracking status %r (event code %r)", status, event_code)
        return TrackingStatus.UNKNOWN
    return known
