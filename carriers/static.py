"""Static carrier source: an offline stand-in for the five carrier adapters.

The PostNord, Budbee, Instabox, DHL and Bring classes below answer only quotes, from the
carriers' own declarations (products, kinds, countries, estimates: no second catalogue) and
arithmetic: no network, no ORM,
no clock and no randomness. Every answer is a pure function of the ``QuoteRequest``, so the
checkout can be built, demoed and tested before the real adapters exist, and the same request
always shows the same service points and timeslots (a shopper reloading the checkout sees no
shuffling, and tests can assert exact values).

What it answers
---------------
* Availability: a product is available when the recipient's country is one the carrier serves and
  there is a postal code. Without a postal code the product is available as a *preview* (delivery
  estimate only, no locations or timeslots). Weight and size are not checked here: the merchant's
  option conditions do that.
* Locations: fictional but plausible service points and lockers around the postal code. The
  postal code picks a point inside the country (a centroid plus an offset read from the code), and
  a SHA-256 hash of (carrier, country, postal code, kind, index) picks names, streets, bearings,
  distances and opening hours. ``hashlib`` rather than ``hash()``: the latter is salted per process,
  so web workers would disagree with each other and with the id the shopper selected. Ids read
  ``postnord-SE-11151-1`` for service points and ``postnord-SE-11151-L1`` for lockers.
* A product asked for with a kind it does not serve (``DLVBOX`` as a pickup point) is unavailable.
* Timeslots: five evening slots, 17:00-22:00 in the recipient's local time, on the next business
  days (Monday to Friday; public holidays are not known here) *after* the local day of
  ``request.now``. Each slot's cutoff is 12:00 local on its own day. Same-day slots are never
  offered because a static source cannot know when the warehouse picks, so the earliest cutoff is
  always the next day's noon and an answer stays valid for a whole checkout session.
* Price: always ``None``; the static source has no agreement prices, the merchant's price applies.

Behaviour triggers (for exercising the checkout's fan-out without mocks)
-----------------------------------------------------------------------
The agreement's credentials may carry ``static_behaviour``:

* ``"fail"``: raise ``CarrierUnavailable`` (as a timeout or 5xx would);
* ``"reject"``: raise ``CarrierRejected`` (as a 4xx would);
* ``"slow"``: sleep ``static_delay_seconds`` (default 3) seconds, then answer normally.

Any other value is ignored. Real adapters do not have these triggers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass
from typing import ClassVar
from zoneinfo import ZoneInfo

from .base import Capability, CarrierAdapter
from .bring.declaration import DECLARATION as BRING
from .budbee.declaration import DECLARATION as BUDBEE
from .declaration import CarrierDeclaration, Operation
from .dhl.declaration import DECLARATION as DHL
from .exceptions import CarrierRejected, CarrierUnavailable
from .instabox.declaration import DECLARATION as INSTABOX
from .postnord.declaration import DECLARATION as POSTNORD
from .types import (
    Address,
    AgreementCredentials,
    CarrierMessage,
    Coordinates,
    DeliveryEstimate,
    Location,
    LocationKind,
    OpeningHours,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
    Timeslot,
)

BEHAVIOUR_KEY = "static_behaviour"
DELAY_KEY = "static_delay_seconds"
DEFAULT_DELAY_SECONDS = 3.0

#: Carriers' nearest-point APIs answer a few dozen points at most; a larger ``max_locations``
#: would only make the static answer bigger than any real one.
MAX_LOCATIONS = 20
TIMESLOT_COUNT = 5
TIMESLOT_START = dt.time(17, 0)
TIMESLOT_END = dt.time(22, 0)
TIMESLOT_CUTOFF = dt.time(12, 0)

_METRES_PER_DEGREE_LAT = 111_320.0
_LOCATION_KINDS = {
    ProductKind.PICKUP_POINT: LocationKind.SERVICE_POINT,
    ProductKind.LOCKER: LocationKind.LOCKER,
}


@dataclass(frozen=True)
class Market:
    """What the static source knows about one country."""

    timezone: str
    #: Postal codes are spread over centroid ± spread (degrees); the spreads keep points on land
    #: in the populated part of the country, not on its exact borders.
    centroid: Coordinates
    spread_lat: float
    spread_lng: float
    #: Shop chains that typically host a carrier's service point or locker in this country.
    shops: tuple[str, ...]
    streets: tuple[str, ...]
    #: "12 High Street" (GB, US) rather than "Storgatan 12".
    number_first: bool = False


MARKETS: dict[str, Market] = {
    "SE": Market(
        "Europe/Stockholm",
        Coordinates(62.2, 15.6),
        2.5,
        1.5,
        ("ICA Nära", "Coop", "Pressbyrån", "Circle K", "Hemköp", "Willys"),
        ("Storgatan", "Drottninggatan", "Kungsgatan", "Sveavägen", "Järnvägsgatan", "Skolgatan"),
    ),
    "NO": Market(
        "Europe/Oslo",
        Coordinates(60.5, 9.0),
        1.0,
        1.2,
        ("Kiwi", "Rema 1000", "Coop Extra", "Narvesen", "Circle K", "Meny"),
        ("Storgata", "Kirkegata", "Parkveien", "Strandgata", "Jernbanegata", "Skolegata"),
    ),
    "DK": Market(
        "Europe/Copenhagen",
        Coordinates(56.0, 9.3),
        0.5,
        0.4,
        ("Netto", "Føtex", "Rema 1000", "Circle K", "SuperBrugsen", "Lidl"),
        ("Nørregade", "Vestergade", "Østergade", "Algade", "Jernbanegade", "Strandvejen"),
    ),
    "FI": Market(
        "Europe/Helsinki",
        Coordinates(62.5, 25.5),
        1.5,
        1.5,
        ("K-Market", "S-Market", "R-kioski", "Alepa", "Lidl", "Neste"),
        ("Mannerheimintie", "Hämeenkatu", "Kauppakatu", "Asemakatu", "Koulukatu", "Rantatie"),
    ),
    "DE": Market(
        "Europe/Berlin",
        Coordinates(51.1, 10.4),
        1.5,
        2.0,
        ("REWE", "EDEKA", "Kiosk", "Aral", "Penny", "Netto"),
        (
            "Hauptstraße",
            "Bahnhofstraße",
            "Schulstraße",
            "Gartenstraße",
            "Dorfstraße",
            "Kirchstraße",
        ),
    ),
    "AT": Market(
        "Europe/Vienna",
        Coordinates(47.6, 14.1),
        0.3,
        1.5,
        ("BILLA", "SPAR", "Trafik", "Hofer", "Penny", "OMV"),
        ("Hauptstraße", "Bahnhofstraße", "Kirchengasse", "Schulgasse", "Lindengasse", "Hauptplatz"),
    ),
    "NL": Market(
        "Europe/Amsterdam",
        Coordinates(52.2, 5.5),
        0.4,
        0.5,
        ("Albert Heijn", "Jumbo", "Primera", "Bruna", "Plus", "Gamma"),
        ("Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenstraat", "Schoolstraat", "Nieuwstraat"),
    ),
    "CH": Market(
        "Europe/Zurich",
        Coordinates(46.8, 8.2),
        0.2,
        0.6,
        ("Coop", "Migros", "k kiosk", "Denner", "Volg", "avec"),
        (
            "Bahnhofstrasse",
            "Hauptstrasse",
            "Dorfstrasse",
            "Kirchgasse",
            "Seestrasse",
            "Poststrasse",
        ),
    ),
    "GB": Market(
        "Europe/London",
        Coordinates(52.6, -1.5),
        1.0,
        0.8,
        ("Tesco Express", "Co-op", "WHSmith", "Sainsbury's Local", "One Stop", "Londis"),
        (
            "High Street",
            "Station Road",
            "Church Street",
            "Victoria Road",
            "Main Street",
            "Park Road",
        ),
        number_first=True,
    ),
    "US": Market(
        "America/New_York",
        Coordinates(39.8, -98.6),
        2.0,
        6.0,
        ("Walgreens", "CVS Pharmacy", "7-Eleven", "Safeway", "Kroger", "Dollar General"),
        (
            "Main Street",
            "Oak Avenue",
            "Maple Street",
            "Washington Avenue",
            "Park Avenue",
            "Elm Street",
        ),
        number_first=True,
    ),
}


@dataclass(frozen=True)
class StaticProduct:
    """One carrier product as the static source models it (derived from its declaration)."""

    name: str
    #: The option kinds the product can serve; a ``ProductQuery`` of another kind is refused.
    kinds: frozenset[ProductKind]
    earliest_days: int
    latest_days: int
    timeslots: bool = False

    def estimate(self) -> DeliveryEstimate:
        if self.timeslots:  # evening delivery: Klarna shows the window next to the days
            return DeliveryEstimate(
                self.earliest_days, self.latest_days, None, TIMESLOT_START, TIMESLOT_END
            )
        return DeliveryEstimate(self.earliest_days, self.latest_days)


#: Days shown for a product whose declaration gives no estimate.
DEFAULT_ESTIMATE = (1, 3)


def static_catalogue(declaration: CarrierDeclaration) -> dict[str, StaticProduct]:
    """The carrier's declared products as the static source models them: home delivery has
    evening slots where the carrier offers time slots at all."""
    slots = declaration.supports(Operation.TIMESLOTS)
    return {
        product.code: StaticProduct(
            product.name,
            product.kinds,
            *(product.estimate or DEFAULT_ESTIMATE),
            timeslots=slots and ProductKind.HOME in product.kinds,
        )
        for product in declaration.products
    }


class StaticCarrierAdapter(CarrierAdapter):
    """Answers quotes from its carrier's declaration; subclasses add only how its locations
    are named."""

    #: Name templates per location kind; ``{shop}`` and ``{street}`` are filled in.
    location_names: ClassVar[dict[LocationKind, str]] = {}
    #: Per-country exceptions to ``location_names``.
    local_location_names: ClassVar[dict[tuple[str, LocationKind], str]] = {}

    @property
    def catalogue(self) -> dict[str, StaticProduct]:
        assert self.declaration is not None
        return static_catalogue(self.declaration)

    @property
    def countries(self) -> frozenset[str]:
        """The declared countries the static source has a map of."""
        assert self.declaration is not None
        return frozenset(c for c in self.declaration.countries if c in MARKETS)

    def quote(self, *, request: QuoteRequest) -> list[Quote]:
        self._act_on_behaviour(request.agreement)
        return super().quote(request=request)

    def quote_refusal(self, *, query: ProductQuery, country: str) -> str:
        return super().quote_refusal(query=query, country=country) or (
            "" if country in MARKETS else "country not served"
        )

    def quote_preview(self, *, query: ProductQuery) -> Quote:
        return Quote(
            product=query.code, available=True, delivery=self.catalogue[query.code].estimate()
        )

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        catalogue = self.catalogue
        return [self._quote_product(query, catalogue[query.code], request) for query in products]

    def _act_on_behaviour(self, agreement: AgreementCredentials) -> None:
        behaviour = agreement.credentials.get(BEHAVIOUR_KEY)
        if behaviour == "fail":
            raise CarrierUnavailable("static source told to fail", carrier=self.slug)
        if behaviour == "reject":
            raise CarrierRejected(
                "static source told to reject",
                carrier=self.slug,
                messages=(CarrierMessage("STATIC_REJECT", "Rejected by static_behaviour"),),
            )
        if behaviour == "slow":
            delay = float(agreement.credentials.get(DELAY_KEY, DEFAULT_DELAY_SECONDS))
            time.sleep(max(0.0, delay))

    def _quote_product(
        self, query: ProductQuery, product: StaticProduct, request: QuoteRequest
    ) -> Quote:
        recipient = request.recipient
        country = recipient.country.strip().upper()
        postal_code = _normalise_postal_code(recipient.postal_code)
        locations: tuple[Location, ...] = ()
        location_kind = _LOCATION_KINDS.get(query.kind)
        if query.wants_locations and location_kind is not None:
            locations = self._locations(
                kind=location_kind,
                country=country,
                postal_code=postal_code,
                recipient=recipient,
                count=max(0, min(request.max_locations, MAX_LOCATIONS)),
            )
        timeslots: tuple[Timeslot, ...] = ()
        if query.wants_timeslots and product.timeslots:
            timeslots = _timeslots(country=country, now=request.now)
        return Quote(
            product=query.code,
            available=True,
            locations=locations,
            timeslots=timeslots,
            delivery=product.estimate(),
        )

    def locations_near(
        self, *, kind: LocationKind, recipient: Address, count: int
    ) -> tuple[Location, ...]:
        """The carrier's points of ``kind`` near ``recipient``, whatever products the carrier
        offers there: the sandbox imitates a carrier's network, not our use of it."""
        country = recipient.country.strip().upper()
        postal_code = _normalise_postal_code(recipient.postal_code)
        if country not in MARKETS or not postal_code or kind not in self.location_names:
            return ()
        return self._locations(
            kind=kind,
            country=country,
            postal_code=postal_code,
            recipient=recipient,
            count=max(0, min(count, MAX_LOCATIONS)),
        )

    def _locations(
        self,
        *,
        kind: LocationKind,
        country: str,
        postal_code: str,
        recipient: Address,
        count: int,
    ) -> tuple[Location, ...]:
        market = MARKETS[country]
        origin = _postal_code_point(market, postal_code)
        template = self.local_location_names.get((country, kind), self.location_names[kind])
        # Lockers and service points of one carrier are different places: separate ids and seeds.
        id_prefix = "L" if kind is LocationKind.LOCKER else ""
        locations: list[Location] = []
        distance_m = 0
        for index in range(1, count + 1):
            seed = _seed(self.slug, country, postal_code, kind.value, str(index))
            # The first point is 200 m-1.5 km away, each next one 300 m-1.8 km further.
            if index == 1:
                distance_m = 200 + _pick(seed, 0, 1300)
            else:
                distance_m += 300 + _pick(seed, 0, 1500)
            shop = market.shops[_pick(seed, 1, len(market.shops))]
            street = market.streets[_pick(seed, 2, len(market.streets))]
            number = 1 + _pick(seed, 3, 120)
            locations.append(
                Location(
                    id=f"{self.slug}-{country}-{postal_code}-{id_prefix}{index}",
                    name=template.format(shop=shop, street=street),
                    kind=kind,
                    address=Address(
                        country=country,
                        postal_code=recipient.postal_code.strip(),
                        city=recipient.city,
                        street_address=(
                            f"{number} {street}" if market.number_first else f"{street} {number}"
                        ),
                    ),
                    coordinates=_offset(origin, distance_m, bearing_deg=_pick(seed, 4, 360)),
                    opening_hours=_opening_hours(kind, seed),
                    distance_m=distance_m,
                )
            )
        return tuple(locations)


def _normalise_postal_code(postal_code: str) -> str:
    """``"111 51"`` -> ``"11151"``, ``"sw1a 1aa"`` -> ``"SW1A1AA"``: one id per postal code."""
    return "".join(char for char in postal_code.upper() if char.isalnum())


def _seed(*parts: str) -> bytes:
    return hashlib.sha256("|".join(parts).encode()).digest()


def _pick(seed: bytes, slot: int, modulus: int) -> int:
    """A number in ``range(modulus)`` from two bytes of ``seed``; each slot is independent."""
    return int.from_bytes(seed[2 * slot : 2 * slot + 2], "big") % modulus


def _postal_code_point(market: Market, postal_code: str) -> Coordinates:
    # The code read as a base-36 number, so the letters of GB and NL codes count too; two
    # co-prime moduli give independent north-south and east-west fractions in [0, 1].
    value = int(postal_code, 36)
    north = (value % 1009) / 1008
    east = (value // 1009 % 1013) / 1012
    return Coordinates(
        lat=market.centroid.lat + (2 * north - 1) * market.spread_lat,
        lng=market.centroid.lng + (2 * east - 1) * market.spread_lng,
    )


def _offset(origin: Coordinates, distance_m: int, *, bearing_deg: int) -> Coordinates:
    # Flat-earth approximation: exact enough over a few km, and distance_m stays the aerial
    # distance a carrier would report.
    bearing = math.radians(bearing_deg)
    metres_per_degree_lng = _METRES_PER_DEGREE_LAT * math.cos(math.radians(origin.lat))
    return Coordinates(
        lat=round(origin.lat + distance_m * math.cos(bearing) / _METRES_PER_DEGREE_LAT, 6),
        lng=round(origin.lng + distance_m * math.sin(bearing) / metres_per_degree_lng, 6),
    )


def _opening_hours(kind: LocationKind, seed: bytes) -> tuple[OpeningHours, ...]:
    if kind is LocationKind.LOCKER:  # lockers are outdoors or in 24/7 spaces
        always_open = (dt.time(0, 0), dt.time(23, 59))
        return tuple(OpeningHours(day, *always_open) for day in range(7))
    # Service points keep their host shop's hours: long weekdays, shorter weekends.
    weekday = (dt.time(7 + _pick(seed, 5, 3), 0), dt.time(20 + _pick(seed, 6, 3), 0))
    weekend = (dt.time(10, 0), dt.time(18, 0))
    return tuple(OpeningHours(day, *(weekday if day < 5 else weekend)) for day in range(7))


def _timeslots(*, country: str, now: dt.datetime) -> tuple[Timeslot, ...]:
    zone = ZoneInfo(MARKETS[country].timezone)
    if now.tzinfo is None:  # the contract says aware; read a naive one as UTC, not server time
        now = now.replace(tzinfo=dt.UTC)
    day = now.astimezone(zone).date()
    slots: list[Timeslot] = []
    while len(slots) < TIMESLOT_COUNT:
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:
            continue
        # combine() with a ZoneInfo gives the right offset on either side of a DST change.
        slots.append(
            Timeslot(
                id=f"{day.isoformat()}T{TIMESLOT_START:%H:%M}",
                start=dt.datetime.combine(day, TIMESLOT_START, tzinfo=zone),
                end=dt.datetime.combine(day, TIMESLOT_END, tzinfo=zone),
                cutoff=dt.datetime.combine(day, TIMESLOT_CUTOFF, tzinfo=zone),
            )
        )
    return tuple(slots)


class PostNordStaticAdapter(StaticCarrierAdapter):
    declaration = POSTNORD
    capabilities = frozenset({Capability.QUOTE, Capability.LOCATIONS})
    location_names = {
        LocationKind.SERVICE_POINT: "{shop} {street}",
        LocationKind.LOCKER: "PostNord Parcel Locker {street}",
    }


class BudbeeStaticAdapter(StaticCarrierAdapter):
    declaration = BUDBEE
    capabilities = frozenset({Capability.QUOTE, Capability.LOCATIONS, Capability.TIMESLOTS})
    location_names = {LocationKind.LOCKER: "Budbee Box {street}"}


class InstaboxStaticAdapter(StaticCarrierAdapter):
    declaration = INSTABOX
    capabilities = frozenset({Capability.QUOTE, Capability.LOCATIONS, Capability.TIMESLOTS})
    location_names = {LocationKind.LOCKER: "Instabox {shop} {street}"}


class DhlStaticAdapter(StaticCarrierAdapter):
    declaration = DHL
    capabilities = frozenset({Capability.QUOTE, Capability.LOCATIONS})
    location_names = {
        LocationKind.SERVICE_POINT: "DHL Service Point {shop} {street}",
        LocationKind.LOCKER: "DHL Parcel Locker {street}",
    }


class BringStaticAdapter(StaticCarrierAdapter):
    declaration = BRING
    capabilities = frozenset({Capability.QUOTE, Capability.LOCATIONS, Capability.TIMESLOTS})
    location_names = {
        LocationKind.SERVICE_POINT: "{shop} {street}",
        LocationKind.LOCKER: "Bring Pakkeboks {street}",
    }
    # In Norway Bring's service points are the Posten network's "Post i Butikk" counters.
    local_location_names = {("NO", LocationKind.SERVICE_POINT): "Post i Butikk {shop} {street}"}
