"""PostNord code tables: products, additional services, party and reference codes, service
point types, tracking statuses and time zones (docs/carriers.md §1.2, §1.5-§1.7).

Nothing here talks to PostNord; the adapter, the mappers and the sandbox read these tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from carriers.types import LocationKind, ProductKind, TrackingStatus

logger = logging.getLogger(__name__)

# --- Credentials (keys of ``AgreementCredentials.credentials``) -----------------------------

#: The API key, sent as the ``apikey`` query parameter on every call (§1.1). Required.
CREDENTIAL_API_KEY = "api_key"
#: The EDI application id PostNord issues to an integrator (§1.5); an integer. Optional.
CREDENTIAL_APPLICATION_ID = "application_id"
#: The EDI issuer code of the agreement (Z11-Z14); by default derived from the sender country.
CREDENTIAL_ISSUER_CODE = "issuer_code"
#: Where parcels leave from, for the transit-time ETA (a ``QuoteRequest`` has no sender
#: address). Without them quotes carry the product's default estimate and skip that call.
CREDENTIAL_ORIGIN_POSTAL_CODE = "origin_postal_code"
CREDENTIAL_ORIGIN_COUNTRY = "origin_country"

# --- Products (EDI basicServiceCode, §1.6) ---------------------------------------------------


@dataclass(frozen=True)
class Product:
    name: str
    kinds: frozenset[ProductKind]
    #: Business days shown when PostNord gives no ETA (no postal code yet, no origin known).
    earliest_days: int
    latest_days: int


PRODUCTS: dict[str, Product] = {
    "17": Product("MyPack Home", frozenset({ProductKind.HOME}), 1, 2),
    # MyPack Collect goes to a manned service point or, with the locker as delivery party, to
    # a parcel locker: PostNord's own checkout books both as 19 + A7 (Delivery Options sample).
    "19": Product(
        "MyPack Collect", frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER}), 1, 3
    ),
    "30": Product("MyPack Home Small", frozenset({ProductKind.MAILBOX}), 1, 3),
    # Varubrev Ekonomi: 11 per Zenkraft (§1.6) and PostNord's Delivery Options example, where
    # the "mailbox" option books serviceCode 11.
    "11": Product("Varubrev Ekonomi", frozenset({ProductKind.MAILBOX}), 2, 4),
}
PRODUCT_NAMES: dict[str, str] = {code: product.name for code, product in PRODUCTS.items()}

#: Recipient countries served: the Nordic markets of MyPack and Varubrev.
COUNTRIES = frozenset({"SE", "NO", "DK", "FI"})

# --- EDI instruction codes (§1.5, Booking API swagger) ---------------------------------------

#: issuerCode: the PostNord company the customer number belongs to.
ISSUER_CODES = {"DK": "Z11", "SE": "Z12", "NO": "Z13", "FI": "Z14"}
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

#: Add-on types (``AddonChoice.type``) the adapter understands. PostNord has no separate
#: additional service for SMS notice: the recipient's mobile in ``consignee.contact.smsNo`` is
#: the notice (and PostNord charges for EDI without it, §1.5), so it is always sent.
ADDON_SMS = "sms"
ADDON_ENTRY_CODE = "entry-code"

# --- Service points (§1.2, Service Points v5 swagger) ---------------------------------------

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

# --- Time zones -------------------------------------------------------------------------------

#: PostNord sends local times without an offset (transit times, tracking events); the
#: country (ISO alpha-2, or alpha-3 as in tracking locations) says which local time.
TIMEZONES = {
    "SE": "Europe/Stockholm",
    "SWE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "NOR": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "DNK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "FIN": "Europe/Helsinki",
    "DE": "Europe/Berlin",
    "DEU": "Europe/Berlin",
}
DEFAULT_TIMEZONE = "Europe/Stockholm"


def timezone_name(country: str) -> str:
    return TIMEZONES.get(country.strip().upper(), DEFAULT_TIMEZONE)


# --- Tracking (§1.7; status enum of the Track & Trace swagger) -------------------------------

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
