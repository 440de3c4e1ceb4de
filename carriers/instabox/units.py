"""Instabee code tables: products, countries, credentials, location types and tracking statuses.

Everything here is data (docs/carriers.md §4.1); mappers.py and adapter.py read it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from carriers.types import LocationKind, ProductKind, TrackingStatus

logger = logging.getLogger(__name__)

#: ``agreement.credentials`` keys. Only the API key: the brand is a constant below, because every
#: credential value is redacted wherever it appears, and "instabox" is also our slug.
CREDENTIAL_API_KEY = "api_key"
#: The ``Accept-Version`` header value of the new Instabee API.
API_VERSION = "1.0.0"
#: The ``brand`` query/body value for every product we sell under the Instabox name.
BRAND = "instabox"


@dataclass(frozen=True)
class Product:
    name: str
    kind: ProductKind
    #: The consumer picks a locker in checkout (the option's ``sortCode`` is the locker).
    locker: bool = False


#: Instabee ``product`` values we offer (docs/carriers.md §4.1); the same codes and names as
#: ``carriers.static.InstaboxStaticAdapter``. The other Instabee products (returns, Locker Light,
#: allocation, consumer-to-consumer) have no place in a merchant's checkout here.
PRODUCTS: dict[str, Product] = {
    "LOCKER_EXPRESS": Product("Instabox locker", ProductKind.LOCKER, locker=True),
    "HOME_DELIVERY": Product("Instabox Home", ProductKind.HOME),
}

#: Countries the availability path accepts (``{countryCode}``: BE, DK, FI, NL, NO, SE).
COUNTRIES = frozenset({"BE", "DK", "FI", "NL", "NO", "SE"})

#: Home delivery slots come as a local date and HH:MM times: the recipient's country's zone.
TIMEZONES: dict[str, str] = {
    "BE": "Europe/Brussels",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "SE": "Europe/Stockholm",
}
DEFAULT_TIMEZONE = "Europe/Stockholm"

#: ``deliveryOptions[].type`` values that are places the consumer collects from.
LOCATION_TYPES: dict[str, LocationKind] = {"LOCKER": LocationKind.LOCKER}

#: Add-on types (as merchants configure them) and what they become at Instabee. Instabee texts
#: and mails every recipient from ``recipient.phone``/``email``, so "sms" needs no extra field.
ADDON_SMS = "sms"
ADDON_ENTRY_CODE = "entry-code"

#: Opening-hours day names (``openingHours.periods[].open.day``) -> weekday, Monday = 0.
WEEKDAYS: dict[str, int] = {
    "MONDAY": 0,
    "TUESDAY": 1,
    "WEDNESDAY": 2,
    "THURSDAY": 3,
    "FRIDAY": 4,
    "SATURDAY": 5,
    "SUNDAY": 6,
}

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
