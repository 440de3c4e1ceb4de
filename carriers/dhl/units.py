"""DHL code tables: products, where they deliver, payer codes, location types, tracking statuses.

Product codes are DHL Freight Sweden API Farm ``productCode`` values (docs/carriers.md §5.1).
Which countries and option kinds each product serves follows the product manual's access-point
tables as the open karrio DHL Freight Sweden connector records them (103: Sweden only, ParcelShop
or ParcelStation; 109: the listed countries, ParcelStation only where DHL allows a locker; 401:
Swedish home delivery).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from carriers.types import LocationKind, ProductKind, TrackingStatus

logger = logging.getLogger(__name__)

#: ``agreement.credentials`` keys: the API Farm's ``client-key`` and the DHL API developer
#: portal key for Location Finder - Unified and Shipment Tracking - Unified (``DHL-API-Key``).
CREDENTIAL_CLIENT_KEY = "client_key"
CREDENTIAL_API_KEY = "api_key"

CLIENT_KEY_HEADER = "client-key"
API_KEY_HEADER = "DHL-API-Key"


class PointSource(enum.StrEnum):
    """Which DHL API a country's service points come from (kept in ``Location.extra``)."""

    API_FARM = "api-farm"  # DHL Freight Sweden servicepoint/findnearestservicepoints
    LOCATION_FINDER = "location-finder"  # DHL Location Finder - Unified find-by-address


#: The API Farm's locator knows the Nordic DHL Freight networks; everywhere else the DHL group's
#: Location Finder - Unified is asked, because it also gives opening hours.
API_FARM_COUNTRIES = frozenset({"SE", "NO", "DK", "FI"})


def point_source(country: str) -> PointSource:
    return PointSource.API_FARM if country in API_FARM_COUNTRIES else PointSource.LOCATION_FINDER


class AccessPointSubType(enum.StrEnum):
    """The AccessPoint party's ``subType`` in a transport instruction."""

    PARCEL_SHOP = "ParcelShop"
    PARCEL_STATION = "ParcelStation"


_PICKUP = frozenset({ProductKind.PICKUP_POINT})
_PICKUP_OR_LOCKER = frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER})
_HOME = frozenset({ProductKind.HOME})


@dataclass(frozen=True)
class DhlProduct:
    name: str
    #: recipient country -> the option kinds the product serves there.
    kinds_by_country: dict[str, frozenset[ProductKind]]
    #: ``payerCode.code`` sent when booking (terms of delivery; manual §5).
    payer_code: str

    @property
    def kinds(self) -> frozenset[ProductKind]:
        return frozenset().union(*self.kinds_by_country.values())

    @property
    def needs_access_point(self) -> bool:
        return not self.kinds & _HOME


# 109 Parcel Connect: ParcelShop everywhere listed, ParcelStation (locker) only where allowed.
_PARCEL_CONNECT_LOCKER_COUNTRIES: tuple[str, ...] = ("AT", "BE", "BG", "CZ", "DK", "EE", "FI")
_PARCEL_CONNECT_LOCKER_COUNTRIES += ("HU", "IT", "LT", "LV", "NL", "PL", "SK")
_PARCEL_CONNECT_SHOP_COUNTRIES = ("DE", "ES", "FR", "GB", "HR", "NO", "PT", "RO", "SI")

PRODUCTS: dict[str, DhlProduct] = {
    "103": DhlProduct("DHL Service Point", {"SE": _PICKUP_OR_LOCKER}, payer_code="1"),
    "109": DhlProduct(
        "DHL Parcel Connect",
        {
            **dict.fromkeys(_PARCEL_CONNECT_LOCKER_COUNTRIES, _PICKUP_OR_LOCKER),
            **dict.fromkeys(_PARCEL_CONNECT_SHOP_COUNTRIES, _PICKUP),
        },
        # 022 = freight paid by the consignor (DAP-like Combiterm); 023 needs joint declaration.
        payer_code="022",
    ),
    "401": DhlProduct("DHL Home Delivery", {"SE": _HOME}, payer_code="1"),
}
PRODUCT_NAMES: dict[str, str] = {code: product.name for code, product in PRODUCTS.items()}

#: Postal-code API (``/postalcodes/{cc}/{pc}/route``) error codes that answer for the postal
#: code itself: 16009 country not supported, 16010 not found, 16011 rural, 16012 not supported.
ROUTE_REFUSAL_CODES = frozenset({"16009", "16010", "16011", "16012"})

#: Print API page layout for labels (PageTypeEnum): one 105 x 210 mm label per page.
LABEL_PAGE_TYPE = "Label"

#: Transport-instruction reference qualifier for the consignor's own reference.
REFERENCE_QUALIFIER = "CU"

#: Public tracking page; the API Farm has no tracking link of its own.
TRACKING_URL = (
    "https://www.dhl.com/se-en/home/tracking/tracking-freight.html?submit=1&tracking-id={}"
)

# --- Service-point location types -----------------------------------------------------------

#: API Farm ``locationTypes`` / Location Finder ``locationType`` asked per option kind.
API_FARM_LOCATION_TYPES: dict[ProductKind, tuple[str, ...]] = {
    ProductKind.PICKUP_POINT: ("servicepoint",),
    ProductKind.LOCKER: ("locker",),
}
LOCATION_FINDER_LOCATION_TYPES: dict[ProductKind, tuple[str, ...]] = {
    ProductKind.PICKUP_POINT: ("servicepoint", "postoffice", "postbank"),
    ProductKind.LOCKER: ("locker",),
}
#: Location Finder ``serviceType`` filter per option kind (a locker's pick-up service type varies
#: by network, registered or not, so lockers are not filtered by service).
LOCATION_FINDER_SERVICE_TYPES: dict[ProductKind, tuple[str, ...]] = {
    ProductKind.PICKUP_POINT: ("parcel:pick-up",),
    ProductKind.LOCKER: (),
}
#: Location Finder search radius in metres (its maximum; results are nearest first anyway).
LOCATION_FINDER_RADIUS_M = 25_000
#: Location Finder's and the API Farm's largest page.
MAX_LOCATIONS = 50


def location_kind(location_type: str) -> LocationKind:
    """``locker`` is a parcel locker; servicepoint, postoffice and postbank are counters."""
    return LocationKind.LOCKER if location_type == "locker" else LocationKind.SERVICE_POINT


def access_point_sub_type(kind: LocationKind) -> AccessPointSubType:
    if kind is LocationKind.LOCKER:
        return AccessPointSubType.PARCEL_STATION
    return AccessPointSubType.PARCEL_SHOP


# --- Tracking (Shipment Tracking - Unified) --------------------------------------------------

#: ``statusCode`` of Unified Tracking, a closed enum in DHL's API reference.
TRACKING_STATUS_CODES: dict[str, TrackingStatus] = {
    "pre-transit": TrackingStatus.PENDING,
    "transit": TrackingStatus.IN_TRANSIT,
    "delivered": TrackingStatus.DELIVERED,
    "failure": TrackingStatus.DELIVERY_FAILED,
    "unknown": TrackingStatus.UNKNOWN,
}
#: "transit" covers everything between pick-up and delivery; these phrases of an event's
#: ``status`` or ``description`` (lower-cased) name the steps a shopper cares about.
TRANSIT_REFINEMENTS: tuple[tuple[str, TrackingStatus], ...] = (
    ("out_for_delivery", TrackingStatus.OUT_FOR_DELIVERY),
    ("out for delivery", TrackingStatus.OUT_FOR_DELIVERY),
    ("loaded onto the delivery vehicle", TrackingStatus.OUT_FOR_DELIVERY),
    ("ready for pickup", TrackingStatus.READY_FOR_PICKUP),
    ("ready for pick-up", TrackingStatus.READY_FOR_PICKUP),
    ("ready for collection", TrackingStatus.READY_FOR_PICKUP),
    ("returned to sender", TrackingStatus.RETURNED),
    ("returned to the sender", TrackingStatus.RETURNED),
)


def tracking_status(status_code: str, text: str = "") -> TrackingStatus:
    """The normalized status of one Unified Tracking event; unknown codes warn, never raise."""
    status = TRACKING_STATUS_CODES.get(status_code)
    if status is None:
        logger.warning("DHL tracking: unknown statusCode %r", status_code)
        return TrackingStatus.UNKNOWN
    if status is TrackingStatus.IN_TRANSIT:
        lowered = text.lower()
        for phrase, refined in TRANSIT_REFINEMENTS:
            if phrase in lowered:
                return refined
    return status


#: Unified Tracking timestamps sometimes carry no offset (parcel-de); they are local times of
#: the shipment's origin (else destination) country, or UTC when neither is given.
COUNTRY_TIMEZONES: dict[str, str] = {
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "PL": "Europe/Warsaw",
    "FR": "Europe/Paris",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "GB": "Europe/London",
    "EE": "Europe/Tallinn",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
    "CZ": "Europe/Prague",
}
