"""Instabee code tables: brands per product, location types and tracking statuses.

The product catalogue and the countries come from declaration.py; mappers.py and adapter.py
read these tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from carriers.types import LocationKind, ProductKind, TrackingStatus

from .declaration import CREDENTIAL_API_KEY as CREDENTIAL_API_KEY
from .declaration import DECLARATION

logger = logging.getLogger(__name__)

#: The ``Accept-Version`` header value of the new Instabee API.
API_VERSION = "1.0.0"


@dataclass(frozen=True)
class Product:
    name: str
    kind: ProductKind
    #: The ``brand`` query/body value Instabee wants with this product.
    brand: str
    #: The consumer picks a locker in checkout (the option's ``sortCode`` is the locker).
    locker: bool = False


#: Instabee ``brand`` per ``product``: lockers are Instabox; home delivery is Budbee's (docs,
#: home-delivery/validate-postalcode: "brand … e.g. budbee, porterbuddy").
BRANDS: dict[str, str] = {"LOCKER_EXPRESS": "instabox", "HOME_DELIVERY": "budbee"}

#: Instabee ``product`` values we offer, from the declaration (the one catalogue).
PRODUCTS: dict[str, Product] = {
    p.code: Product(
        p.name,
        next(iter(p.kinds)),
        brand=BRANDS[p.code],
        locker=ProductKind.LOCKER in p.kinds,
    )
    for p in DECLARATION.products
}

#: Countries the availability path accepts, from the declaration.
COUNTRIES = DECLARATION.countries

#: ``deliveryOptions[].type`` values that are places the consumer collects from.
LOCATION_TYPES: dict[str, LocationKind] = {"LOCKER": LocationKind.LOCKER}

_S = TrackingStatus
#: Home delivery webhook V2 ``eventType`` values and locker-delivery checkpoint ``type`` values
#: (Instabee docs, misc/events): Instabee has no pull tracking API, only these webhooks.
TRACKING_STATUSES: dict[str, TrackingStatus] = {
    # Home delivery, webhooks V2.
    "PARCEL_CREATED": _S.PENDING,
    "SORTED_AT_TERMINAL": _S.IN_TRANSIT,
    "PARCEL_RECALLED": _S.RETURNED,
    "HOME_DELIVERY_CHANGED": _S.IN_TRANSIT,
    "DELIVERY_VEHICLE_LOADED": _S.OUT_FOR_DELIVERY,
    "DELIVERED_TO_CONSUMER": _S.DELIVERED,
    "DELIVERY_FAILED": _S.DELIVERY_FAILED,
    "DELIVERY_CANCELLED": _S.DELIVERY_FAILED,
    "RETURN_BOOKED_HOME": _S.RETURNED,
    "RETURN_HOME_PICKED_UP": _S.RETURNED,
    "RETURN_HOME_PICK_UP_FAILED": _S.RETURNED,
    "RETURN_HOME_PICK_UP_CANCELLED": _S.RETURNED,
    "RETURN_BOOKED_LOCKER": _S.RETURNED,
    "RETURN_LOCKER_PICK_UP_FAILED": _S.RETURNED,
    "RETURNED_TO_MERCHANT": _S.RETURNED,
    "LOCKER_CHANGED": _S.IN_TRANSIT,
    "DELIVERED_TO_LOCKER": _S.READY_FOR_PICKUP,
    "INJECTED_IN_LOCKER": _S.READY_FOR_PICKUP,
    "CONSUMER_PICKED_UP_FROM_LOCKER": _S.DELIVERED,
    "CHANGED_TO_LOCKER_DELIVERY": _S.IN_TRANSIT,
    "CHANGED_TO_HOME_DELIVERY": _S.IN_TRANSIT,
    # Locker delivery checkpoints.
    "InitialCheckpoint": _S.PENDING,
    "InitialReturnCheckpoint": _S.RETURNED,
    "SortingMachineCheckpoint": _S.IN_TRANSIT,
    "SortingStationCheckpoint": _S.IN_TRANSIT,
    "CourierDropoffCheckpoint": _S.READY_FOR_PICKUP,
    "CourierPickupCheckpoint": _S.IN_TRANSIT,
    "CustomerPickupCheckpoint": _S.DELIVERED,
    "CustomerDropoffCheckpoint": _S.IN_TRANSIT,
    "ChangePickupPointCheckpoint": _S.IN_TRANSIT,
    "ReturnToSenderCheckpoint": _S.RETURNED,
    "ReturnedToSenderCheckpoint": _S.RETURNED,
    "ParcelLostCheckpoint": _S.DELIVERY_FAILED,
    "CustomerHomeDeliveryBooked": _S.IN_TRANSIT,
    "CustomerHomeDeliverySuccess": _S.DELIVERED,
    "CustomerHomeDeliveryFail": _S.DELIVERY_FAILED,
}


def tracking_status(code: str) -> TrackingStatus:
    """The normalised status of an Instabee event or checkpoint; UNKNOWN (and a warning) if new."""
    status = TRACKING_STATUSES.get(code)
    if status is None:
        logger.warning("instabox: unknown tracking event %r mapped to unknown", code)
        return TrackingStatus.UNKNOWN
    return status
