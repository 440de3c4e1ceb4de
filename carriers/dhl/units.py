"""DHL code tables: payer codes, access-point rules, location types, tracking statuses.

The product catalogue and the countries are in declaration.py. The tables here follow DHL
Freight Sweden's product manual as the open karrio DHL Freight Sweden connector records it
(PrimePack-AB/karrio-dhl-freight-sweden, docs/concepts/booking-rules.md): payer codes per
product, the countries where Parcel Connect (109) may go to a ParcelShop only or also to a
ParcelStation (locker), SENT for Poland.
"""

from __future__ import annotations

import enum
import logging
import re

from carriers.types import LocationKind, ProductKind, TrackingStatus

logger = logging.getLogger(__name__)

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


# --- products ---------------------------------------------------------------------------------

#: 109 Parcel Connect: ParcelShop or ParcelStation (locker) in these countries (manual Appendix
#: C.3, §10.4.2) ...
PARCEL_CONNECT_LOCKER_COUNTRIES = frozenset(
    {"AT", "BE", "BG", "CZ", "DK", "EE", "FI", "HU", "IT", "LT", "LV", "NL", "PL", "SK"}
)
#: ... and ParcelShop only in these.
PARCEL_CONNECT_SHOP_COUNTRIES = frozenset({"DE", "ES", "FR", "GB", "HR", "NO", "PT", "RO", "SI"})

#: ``payerCode.code`` per product (terms of delivery; manual §5.12, §5.14, §5.17): 1 = paid by
#: the consignor; 022 = Combiterm freight paid by the consignor (023 needs a joint declaration).
PAYER_CODES = {"103": "1", "109": "022", "401": "1"}

#: Products delivered to an AccessPoint party (a service point or a parcel station).
ACCESS_POINT_PRODUCTS = frozenset({"103", "109"})


def locker_allowed(product: str, country: str) -> bool:
    """Whether the product may go to a parcel station (locker) in the country."""
    return product != "109" or country in PARCEL_CONNECT_LOCKER_COUNTRIES


_SWEDISH_POINT_ID = re.compile(r"SE-(\d{4})00")


def access_point_id(product: str, point_id: str) -> str:
    """103 books the service point's four-digit terminal id (SE-982000 -> 9820): the manual and
    the IFTMIN instruction use only that value for 103 (§10.14.2.1), and DHL's answer echoes it
    back even when the full id was sent. Other products send the id as the locator gave it."""
    if product == "103":
        matched = _SWEDISH_POINT_ID.fullmatch(point_id)
        if matched:
            return matched.group(1)
    return point_id


#: Recipients outside the EU customs union among the served countries: DHL needs customs
#: information (``customsInformation`` commodities and an export invoice, with a customs
#: handling service) to book there.
CUSTOMS_COUNTRIES = frozenset({"NO", "GB", "CH"})

#: Poland's SENT declaration: lanes to or from PL carry ``SENT_FREE``, else ``SENT_REF`` and
#: ``SENT_CARKEY`` under the shipment's ``additionalInformation`` (DHL error 22001 otherwise).
SENT_COUNTRIES = frozenset({"PL"})
SENT_FREE = "SENT_FREE"
SENT_REF = "SENT_REF"
SENT_CARKEY = "SENT_CARKEY"
SENT_MAX_LENGTH = 20

#: Postal-code API (``/postalcodes/{cc}/{pc}/route``) error codes that answer for the postal
#: code itself: 16009 country not supported, 16010 not found, 16011 rural, 16012 not supported.
ROUTE_REFUSAL_CODES = frozenset({"16009", "16010", "16011", "16012"})

#: Print API page layout for labels (PageTypeEnum): one 105 x 210 mm label per page.
LABEL_PAGE_TYPE = "Label"

#: Transport-instruction reference qualifier for the consignor's own reference (``references``
#: is in DHL's Shipment schema; the qualifier value CU is a GUESS from EDIFACT's "consignor's
#: reference", no capture shows one).
REFERENCE_QUALIFIER = "CU"

#: Field lengths of DHL's transport-instruction schema (``maxLength``).
NAME_MAX_LENGTH = 35
MARKS_MAX_LENGTH = 17

#: Public tracking page; the API Farm has no tracking link of its own.
TRACKING_URL = (
    "https://www.dhl.com/se-en/home/tracking/tracking-freight.html?submit=1&tracking-id={}"
)

# --- Service-point location types -----------------------------------------------------------

#: API Farm ``locationTypes`` asked per option kind. A counter is a service point or a post
#: office: DHL answers Norwegian post offices as ``postoffice`` (karrio capture
#: booking-2906762105-109-se-no-standard-customs.json), which ``servicepoint`` alone drops.
API_FARM_LOCATION_TYPES: dict[ProductKind, tuple[str, ...]] = {
    ProductKind.PICKUP_POINT: ("servicepoint", "postoffice"),
    ProductKind.LOCKER: ("locker",),
}
#: Location Finder ``locationType`` per option kind.
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

#: Names the API Farm gives a point that are not the shop's: the shop is in ``shopName`` then
#: ("SHOP" in Norway, "DHL Parcelshop" in Poland; karrio captures).
GENERIC_POINT_NAMES = frozenset({"shop", "dhl parcelshop"})


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
