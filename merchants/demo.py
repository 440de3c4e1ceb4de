"""The demo shop seeded by ``manage.py seed_demo`` (``make run``): one option of every kind.

Idempotent: rows are found by their natural keys (merchant slug, carrier, store and option
codes, add-on codes) and updated in place, so seeding again leaves the same rows. Rows the seed
does not know (added by hand in the admin) are left alone. Every row is validated with
``full_clean()`` so the demo data obeys the same rules as the admin.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction

from carriers.declaration import CarrierDeclaration
from carriers.registry import declarations
from tms_gateway.common.errors import ApplicationError

from .models import (
    AddonType,
    Carrier,
    CarrierAgreement,
    CheckoutProvider,
    CheckoutRegion,
    DeliveryOption,
    DeliveryOptionAddon,
    KlarnaCheckoutCredential,
    KlarnaCredential,
    Merchant,
    OptionKind,
    ServiceClass,
    Store,
)
from .services import klarna_credential_create

DEMO_SLUG = "demo"
# The demo shop's Checkout API credentials: the sandbox's fake accepts any, and these are
# ksa_simulate's defaults (tms_gateway/ksa/simulator.py), so a simulated order is the shop's.
DEMO_CHECKOUT_USERNAME = "demo-checkout"
DEMO_CHECKOUT_PASSWORD = "demo-checkout-secret"

M = TypeVar("M", bound=models.Model)

# The ten markets of the demo and their currencies.
CURRENCY_BY_COUNTRY = {
    "SE": "SEK",
    "NO": "NOK",
    "DK": "DKK",
    "FI": "EUR",
    "DE": "EUR",
    "AT": "EUR",
    "NL": "EUR",
    "CH": "CHF",
    "GB": "GBP",
    "US": "USD",
}


def _text(*, sv: str, nb: str, da: str, fi: str, de: str, nl: str, en: str) -> dict[str, str]:
    """A text in every language the demo's shoppers use (all required, none forgotten)."""
    return {"sv": sv, "nb": nb, "da": da, "fi": fi, "de": de, "nl": nl, "en": en}


def _upsert(model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]) -> M:
    """Find a row by ``lookup`` or make it; set ``values``; validate; save only if changed."""
    obj = model._default_manager.filter(**lookup).first()
    changed = obj is None
    if obj is None:
        obj = model(**lookup)
    for field, value in values.items():
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            changed = True
    obj.full_clean()
    if changed:
        obj.save()
    return obj


# --- What the demo shop consists of -------------------------------------------------------

_MERCHANT: dict[str, Any] = {
    "name": "Demo Shop",
    "is_active": True,
    "default_locale": "en",
    "sender_name": "Demo Shop AB",
    "sender_street_address": "Lindhagensgatan 76",
    "sender_postal_code": "11218",
    "sender_city": "Stockholm",
    "sender_country": "SE",
    "sender_phone": "+46812345678",
    "sender_email": "warehouse@demo-shop.example",
    # A returning shopper finds last time's option preselected (tms_gateway/shoppers).
    "remember_choices": True,
}

# Carrier customer numbers are made up; the credentials are the carrier sandbox's (any value
# of the right keys is accepted there; real carriers would refuse them). A carrier not named
# here gets an agreement too, with made-up values for the keys its declaration lists.
_SANDBOX_CREDENTIALS: dict[str, dict[str, str]] = {
    "postnord": {"api_key": "sandbox-postnord-api-key"},
    "budbee": {"api_key": "sandbox-budbee-key", "api_secret": "sandbox-budbee-secret"},
    "instabox": {"api_key": "sandbox-instabox-api-key"},
    "dhl": {"client_key": "sandbox-dhl-client-key", "api_key": "sandbox-dhl-api-key"},
    "bring": {
        "api_uid": "demo@demo-shop.example",
        "api_key": "sandbox-bring-api-key",
        "client_url": "https://demo-shop.example",
    },
}
_AGREEMENTS: dict[str, str] = {
    "postnord": "0020512345",
    "budbee": "1001",
    "instabox": "1054",
    "dhl": "123456789",
    "bring": "20012345678",
}


def _sandbox_credentials(declaration: CarrierDeclaration) -> dict[str, str]:
    known = _SANDBOX_CREDENTIALS.get(declaration.slug)
    if known is not None:
        return dict(known)
    return {f.key: f"sandbox-{declaration.slug}-{f.key}" for f in declaration.credentials}


def _hours(weekdays: range, opens: str, closes: str) -> list[dict[str, Any]]:
    return [{"weekday": d, "opens": opens, "closes": closes} for d in weekdays]


_STORES: dict[str, dict[str, Any]] = {
    "stockholm-drottninggatan": {
        "name": "Demo Shop Drottninggatan",
        "street_address": "Drottninggatan 53",
        "postal_code": "11121",
        "city": "Stockholm",
        "country": "SE",
        "latitude": Decimal("59.334300"),
        "longitude": Decimal("18.062700"),
        "opening_hours": [
            *_hours(range(5), "10:00", "19:00"),
            *_hours(range(5, 6), "10:00", "17:00"),
            *_hours(range(6, 7), "11:00", "16:00"),
        ],
        "is_active": True,
    },
    "goteborg-kungsgatan": {
        "name": "Demo Shop Kungsgatan",
        "street_address": "Kungsgatan 42",
        "postal_code": "41119",
        "city": "Göteborg",
        "country": "SE",
        "latitude": Decimal("57.704800"),
        "longitude": Decimal("11.963000"),
        "opening_hours": [
            *_hours(range(5), "10:00", "19:00"),
            *_hours(range(5, 6), "10:00", "16:00"),
        ],
        "is_active": True,
    },
}

_NORDIC = ["SE", "NO", "DK", "FI"]
# DHL serves the markets outside the Nordics.
# Markets outside the Nordics, served by the courier partner (and DHL where it reaches).
_INTERNATIONAL_MARKETS = ["DE", "AT", "NL", "CH", "GB", "US"]


def _free_in(currencies: list[str]) -> dict[str, int]:
    return dict.fromkeys(currencies, 0)


def _home_addons(currencies: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "code": "sms-notice",
            "type": AddonType.SMS,
            "names": _text(
                sv="SMS-avisering",
                nb="SMS-varsling",
                da="SMS-besked",
                fi="Tekstiviesti-ilmoitus",
                de="SMS-Benachrichtigung",
                nl="Sms-melding",
                en="SMS notification",
            ),
            "prices": {},
            "preselected": True,
            "required": False,
            "max_length": None,
            "sort_order": 10,
        },
        {
            "code": "door-code",
            "type": AddonType.ENTRY_CODE,
            "names": _text(
                sv="Portkod",
                nb="Portkode",
                da="Dørkode",
                fi="Ovikoodi",
                de="Türcode",
                nl="Deurcode",
                en="Door code",
            ),
            "prices": _free_in(currencies),
            "preselected": False,
            "required": False,
            "max_length": 10,
            "sort_order": 20,
        },
    ]


# The Bring pickup point options (Sweden and Norway) show the same texts.
_BRING_PICKUP_TEXTS: dict[str, Any] = {
    "names": _text(
        sv="Bring utlämningsställe",
        nb="Bring hentested",
        da="Bring udleveringssted",
        fi="Bring-noutopiste",
        de="Bring Abholstelle",
        nl="Bring afhaalpunt",
        en="Bring pickup point",
    ),
    "descriptions": _text(
        sv="Hämta paketet på ett utlämningsställe nära dig.",
        nb="Hent pakken på et hentested nær deg.",
        da="Hent pakken på et udleveringssted nær dig.",
        fi="Nouda paketti lähimmästä noutopisteestä.",
        de="Holen Sie das Paket an einer Abholstelle in Ihrer Nähe ab.",
        nl="Haal het pakket op bij een afhaalpunt bij jou in de buurt.",
        en="Collect the parcel at a pickup point near you.",
    ),
}

# Product codes are those of the carrier adapters' tables (carriers/static.py): PostNord
# 17/19/11, Budbee home/DLVBOX, Instabox LOCKER_EXPRESS, DHL 401/103, Bring 5800. A code the
# adapter does not know makes the option unavailable.
_OPTIONS: list[dict[str, Any]] = [
    {
        "code": "postnord-home",
        "kind": OptionKind.HOME,
        "carrier": "postnord",
        "carrier_product": "17",
        "carrier_product_name": "MyPack Home",
        "names": _text(
            sv="Hemleverans med PostNord",
            nb="Hjemlevering med PostNord",
            da="Hjemmelevering med PostNord",
            fi="Kotiinkuljetus PostNordilla",
            de="Hauszustellung mit PostNord",
            nl="Thuisbezorging met PostNord",
            en="Home delivery with PostNord",
        ),
        "descriptions": _text(
            sv="Levereras till din dörr. Vi skickar ett sms när paketet är på väg.",
            nb="Leveres på døren. Vi sender en SMS når pakken er på vei.",
            da="Leveres til din dør. Vi sender en sms, når pakken er på vej.",
            fi="Toimitetaan ovellesi. Saat tekstiviestin, kun paketti on matkalla.",
            de="Lieferung an Ihre Haustür. Sie erhalten eine SMS, wenn das Paket unterwegs ist.",
            nl="Bezorgd aan je deur. Je krijgt een sms zodra het pakket onderweg is.",
            en="Delivered to your door. We text you when the parcel is on its way.",
        ),
        "countries": _NORDIC,
        "prices": {"SEK": 6900, "NOK": 8900, "DKK": 5900, "EUR": 790},
        "free_shipping_thresholds": {"SEK": 50000, "NOK": 60000, "DKK": 40000, "EUR": 5000},
        "max_total_weight_g": 20000,
        "earliest_days": 1,
        "latest_days": 2,
        "cutoff": dt.time(14, 0),
        "sort_order": 10,
        "addons": _home_addons(["SEK", "NOK", "DKK", "EUR"]),
    },
    {
        "code": "budbee-home",
        "kind": OptionKind.HOME,
        "carrier": "budbee",
        "carrier_product": "home",
        "carrier_product_name": "Budbee Home",
        "names": _text(
            sv="Budbee hemleverans, välj tid",
            nb="Budbee hjemlevering, velg tid",
            da="Budbee hjemmelevering, vælg tidspunkt",
            fi="Budbee-kotiinkuljetus, valitse aika",
            de="Budbee Hauszustellung, Zeitfenster wählen",
            nl="Budbee thuisbezorging, kies je tijdvak",
            en="Budbee home delivery, choose a time",
        ),
        "descriptions": _text(
            sv="Kvällsleverans till dörren i det tidsfönster du väljer.",
            nb="Kveldslevering på døren i tidsvinduet du velger.",
            da="Aftenlevering til døren i det tidsrum, du vælger.",
            fi="Iltatoimitus ovelle valitsemanasi aikana.",
            de="Abendzustellung an die Haustür im gewählten Zeitfenster.",
            nl="Avondbezorging aan de deur in het tijdvak dat je kiest.",
            en="Evening delivery to your door in the time slot you choose.",
        ),
        "countries": [*_NORDIC, "NL"],
        "prices": {"SEK": 5900, "NOK": 7900, "DKK": 4900, "EUR": 690},
        "uses_timeslots": True,
        "earliest_days": 1,
        "latest_days": 2,
        "cutoff": dt.time(14, 0),
        "time_of_day_start": dt.time(17, 0),
        "time_of_day_end": dt.time(22, 0),
        "sort_order": 20,
        "addons": _home_addons(["SEK", "NOK", "DKK", "EUR"]),
    },
    {
        # DHL's home products in the carrier's API serve Sweden only; abroad the demo shop
        # delivers with its own courier partner.
        "code": "courier-international",
        "kind": OptionKind.OWN,
        "carrier": Carrier.GENERIC,
        "carrier_product": "",
        "carrier_product_name": "",
        "service_class": ServiceClass.COURIER,
        "names": _text(
            sv="Hemleverans med bud",
            nb="Hjemlevering med bud",
            da="Hjemmelevering med bud",
            fi="Kotiinkuljetus lähetillä",
            de="Hauszustellung per Kurier",
            nl="Thuisbezorging per koerier",
            en="Home delivery by courier",
        ),
        "descriptions": _text(
            sv="Internationell leverans till din dörr.",
            nb="Internasjonal levering på døren.",
            da="International levering til din dør.",
            fi="Kansainvälinen toimitus ovellesi.",
            de="Internationale Lieferung an Ihre Haustür.",
            nl="Internationale bezorging aan je deur.",
            en="International delivery to your door.",
        ),
        "countries": _INTERNATIONAL_MARKETS,
        "prices": {"EUR": 990, "CHF": 1490, "GBP": 990, "USD": 2490},
        # One rate per option: the demo takes Germany's VAT for all of DHL's markets.
        "tax_rate": 1900,
        "max_total_weight_g": 31500,
        "earliest_days": 2,
        "latest_days": 6,
        "cutoff": dt.time(14, 0),
        "sort_order": 30,
        "addons": _home_addons(["EUR", "CHF", "GBP", "USD"]),
    },
    {
        "code": "instabox-locker",
        "kind": OptionKind.LOCKER,
        "carrier": "instabox",
        "carrier_product": "LOCKER_EXPRESS",
        "carrier_product_name": "Instabox locker",
        "names": _text(
            sv="Instabox paketskåp",
            nb="Instabox pakkeskap",
            da="Instabox pakkeboks",
            fi="Instabox-pakettikaappi",
            de="Instabox Paketschrank",
            nl="Instabox pakketkluis",
            en="Instabox parcel locker",
        ),
        "descriptions": _text(
            sv="Hämta dygnet runt i ett skåp nära dig.",
            nb="Hent døgnet rundt i et skap nær deg.",
            da="Hent døgnet rundt i en boks nær dig.",
            fi="Nouda ympäri vuorokauden lähelläsi olevasta kaapista.",
            de="Rund um die Uhr abholen an einem Schrank in Ihrer Nähe.",
            nl="Dag en nacht ophalen uit een kluis bij jou in de buurt.",
            en="Collect around the clock from a locker near you.",
        ),
        "countries": ["SE", "NO", "DK"],
        "prices": {"SEK": 3900, "NOK": 4900, "DKK": 3500},
        "max_total_weight_g": 20000,
        "earliest_days": 1,
        "latest_days": 2,
        "cutoff": dt.time(15, 0),
        "sort_order": 40,
    },
    {
        "code": "budbee-box",
        "kind": OptionKind.LOCKER,
        "carrier": "budbee",
        "carrier_product": "DLVBOX",
        "carrier_product_name": "Budbee Box",
        "names": _text(
            sv="Budbee Box paketskåp",
            nb="Budbee Box pakkeskap",
            da="Budbee Box pakkeboks",
            fi="Budbee Box -pakettikaappi",
            de="Budbee Box Paketschrank",
            nl="Budbee Box pakketkluis",
            en="Budbee Box parcel locker",
        ),
        "descriptions": _text(
            sv="Hämta i en Budbee Box när det passar dig.",
            nb="Hent i en Budbee Box når det passer deg.",
            da="Hent i en Budbee Box, når det passer dig.",
            fi="Nouda Budbee Boxista silloin, kun sinulle sopii.",
            de="Abholung an einer Budbee Box, wann es Ihnen passt.",
            nl="Ophalen bij een Budbee Box wanneer het jou uitkomt.",
            en="Collect from a Budbee Box whenever it suits you.",
        ),
        "countries": ["SE", "DK", "FI", "NL"],
        "prices": {"SEK": 3900, "DKK": 3500, "EUR": 390},
        "max_total_weight_g": 20000,
        "earliest_days": 1,
        "latest_days": 2,
        "cutoff": dt.time(14, 0),
        "sort_order": 50,
    },
    {
        "code": "postnord-service-point",
        "kind": OptionKind.PICKUP_POINT,
        "carrier": "postnord",
        "carrier_product": "19",
        "carrier_product_name": "MyPack Collect",
        "names": _text(
            sv="PostNord ombud",
            nb="PostNord hentested",
            da="PostNord pakkeshop",
            fi="PostNord-noutopiste",
            de="PostNord Abholstelle",
            nl="PostNord afhaalpunt",
            en="PostNord pickup point",
        ),
        "descriptions": _text(
            sv="Hämta paketet hos ett ombud nära dig.",
            nb="Hent pakken på et hentested nær deg.",
            da="Hent pakken i en pakkeshop nær dig.",
            fi="Nouda paketti lähimmästä noutopisteestä.",
            de="Holen Sie das Paket an einer Abholstelle in Ihrer Nähe ab.",
            nl="Haal het pakket op bij een afhaalpunt bij jou in de buurt.",
            en="Collect the parcel at a pickup point near you.",
        ),
        "countries": _NORDIC,
        "prices": {"SEK": 4900, "NOK": 6900, "DKK": 4500, "EUR": 590},
        "free_shipping_thresholds": {"SEK": 50000, "NOK": 60000, "DKK": 40000, "EUR": 5000},
        "max_total_weight_g": 20000,
        "preselected": True,
        "is_fallback": True,
        "earliest_days": 1,
        "latest_days": 3,
        "cutoff": dt.time(14, 0),
        "sort_order": 60,
    },
    {
        # DHL Service Point (103): DHL Freight's Swedish pickup network, the one Klarna's
        # page names beside PostNord MyPack Collect.
        "code": "dhl-service-point-se",
        "kind": OptionKind.PICKUP_POINT,
        "carrier": "dhl",
        "carrier_product": "103",
        "carrier_product_name": "DHL Service Point",
        "names": _text(
            sv="DHL Service Point",
            nb="DHL Service Point",
            da="DHL Service Point",
            fi="DHL Service Point",
            de="DHL Service Point",
            nl="DHL Service Point",
            en="DHL Service Point",
        ),
        "descriptions": _text(
            sv="Hämta paketet hos ett DHL Service Point nära dig.",
            nb="Hent pakken på et DHL Service Point nær deg.",
            da="Hent pakken på et DHL Service Point nær dig.",
            fi="Nouda paketti lähimmästä DHL Service Pointista.",
            de="Holen Sie das Paket an einem DHL Service Point in Ihrer Nähe ab.",
            nl="Haal het pakket op bij een DHL Service Point bij jou in de buurt.",
            en="Collect the parcel at a DHL Service Point near you.",
        ),
        "countries": ["SE"],
        "prices": {"SEK": 5900},
        "free_shipping_thresholds": {"SEK": 50000},
        "max_total_weight_g": 20000,
        "earliest_days": 1,
        "latest_days": 3,
        "cutoff": dt.time(14, 0),
        "sort_order": 65,
    },
    {
        "code": "dhl-service-point",
        "kind": OptionKind.PICKUP_POINT,
        "carrier": "dhl",
        # Parcel Connect: DHL's pickup network in Europe (103 Service Point is Swedish only).
        "carrier_product": "109",
        "carrier_product_name": "DHL Parcel Connect",
        "names": _text(
            sv="DHL ombud",
            nb="DHL hentested",
            da="DHL pakkeshop",
            fi="DHL-noutopiste",
            de="DHL Paketshop",
            nl="DHL ServicePoint",
            en="DHL ServicePoint",
        ),
        "descriptions": _text(
            sv="Hämta paketet hos ett DHL-ombud nära dig.",
            nb="Hent pakken på et DHL-hentested nær deg.",
            da="Hent pakken i en DHL-pakkeshop nær dig.",
            fi="Nouda paketti lähimmästä DHL-noutopisteestä.",
            de="Holen Sie das Paket in einem DHL Paketshop in Ihrer Nähe ab.",
            nl="Haal het pakket op bij een DHL ServicePoint bij jou in de buurt.",
            en="Collect the parcel at a DHL ServicePoint near you.",
        ),
        "countries": ["DE", "AT", "NL"],
        "prices": {"EUR": 690},
        "free_shipping_thresholds": {"EUR": 10000},
        "tax_rate": 1900,
        "max_total_weight_g": 31500,
        "earliest_days": 2,
        "latest_days": 6,
        "cutoff": dt.time(14, 0),
        "sort_order": 70,
    },
    {
        "code": "bring-pickup-point-se",
        "kind": OptionKind.PICKUP_POINT,
        "carrier": "bring",
        # Bring's Nordic PickUp Parcel (0340), booked to the chosen pickup point.
        "carrier_product": "PICKUP_PARCEL",
        "carrier_product_name": "PickUp Parcel",
        **_BRING_PICKUP_TEXTS,
        "countries": ["SE"],
        "prices": {"SEK": 5400},
        "max_total_weight_g": 20000,
        "earliest_days": 1,
        "latest_days": 3,
        "cutoff": dt.time(13, 0),
        "sort_order": 67,
    },
    {
        "code": "bring-pickup-point",
        "kind": OptionKind.PICKUP_POINT,
        "carrier": "bring",
        "carrier_product": "5800",
        "carrier_product_name": "Pakke til hentested",
        **_BRING_PICKUP_TEXTS,
        "countries": ["NO"],
        "prices": {"NOK": 5900},
        "max_total_weight_g": 35000,
        "earliest_days": 1,
        "latest_days": 3,
        "cutoff": dt.time(13, 0),
        "sort_order": 80,
    },
    {
        "code": "store-pickup",
        "kind": OptionKind.STORE,
        "carrier": Carrier.GENERIC,
        "carrier_product": "",
        "carrier_product_name": "",
        "names": _text(
            sv="Hämta i butik",
            nb="Hent i butikk",
            da="Hent i butik",
            fi="Nouto myymälästä",
            de="Abholung im Geschäft",
            nl="Ophalen in de winkel",
            en="Pick up in store",
        ),
        "descriptions": _text(
            sv="Gratis. Klart att hämta i Stockholm eller Göteborg inom två timmar.",
            nb="Gratis. Klar til henting i Stockholm eller Göteborg innen to timer.",
            da="Gratis. Klar til afhentning i Stockholm eller Göteborg inden for to timer.",
            fi="Maksuton. Noudettavissa Tukholmassa tai Göteborgissa kahden tunnin kuluessa.",
            de="Kostenlos. In Stockholm oder Göteborg innerhalb von zwei Stunden abholbereit.",
            nl="Gratis. Binnen twee uur klaar om af te halen in Stockholm of Göteborg.",
            en="Free. Ready for pickup in Stockholm or Gothenburg within two hours.",
        ),
        "countries": ["SE"],
        "prices": {"SEK": 0},
        "earliest_days": 0,
        "latest_days": 1,
        "cutoff": dt.time(17, 0),
        "sort_order": 90,
        "stores": list(_STORES),
    },
    {
        "code": "postnord-letter",
        "kind": OptionKind.MAILBOX,
        "carrier": "postnord",
        # PostNord's Varubrev code is unconfirmed (carriers/static.py); check it per tenant.
        "carrier_product": "11",
        "carrier_product_name": "Varubrev Ekonomi",
        "service_class": ServiceClass.ECONOMY,
        "names": _text(
            sv="Brev till brevlådan (PostNord Varubrev)",
            nb="Brev i postkassen (PostNord)",
            da="Brev i postkassen (PostNord)",
            fi="Kirje postilaatikkoon (PostNord)",
            de="Brief in den Briefkasten (PostNord)",
            nl="Brievenbuspakje (PostNord)",
            en="Letter to your mailbox (PostNord)",
        ),
        "descriptions": _text(
            sv="För små försändelser som ryms i brevlådan.",
            nb="For små forsendelser som får plass i postkassen.",
            da="Til små forsendelser, der kan være i postkassen.",
            fi="Pienille lähetyksille, jotka mahtuvat postilaatikkoon.",
            de="Für kleine Sendungen, die in den Briefkasten passen.",
            nl="Voor kleine zendingen die door de brievenbus passen.",
            en="For small items that fit through the letterbox.",
        ),
        "countries": ["SE"],
        "prices": {"SEK": 2900},
        # Letterbox size: a large letter fits a Swedish mail slot up to about 30 mm thick.
        "max_total_weight_g": 2000,
        "max_length_mm": 350,
        "max_width_mm": 250,
        "max_height_mm": 30,
        "earliest_days": 2,
        "latest_days": 4,
        "cutoff": dt.time(14, 0),
        "sort_order": 100,
    },
    {
        "code": "courier-international-express",
        "kind": OptionKind.OWN,
        "carrier": Carrier.GENERIC,
        "carrier_product": "",
        "carrier_product_name": "",
        "service_class": ServiceClass.EXPRESS,
        "names": _text(
            sv="Expressbud",
            nb="Ekspressbud",
            da="Ekspresbud",
            fi="Pikalähetti",
            de="Expresskurier",
            nl="Express koerier",
            en="Express courier",
        ),
        "descriptions": _text(
            sv="Snabbast möjliga leverans till din dörr.",
            nb="Raskest mulig levering på døren.",
            da="Hurtigst mulig levering til din dør.",
            fi="Nopein mahdollinen toimitus ovellesi.",
            de="Schnellstmögliche Lieferung an Ihre Haustür.",
            nl="Zo snel mogelijk aan je deur bezorgd.",
            en="The fastest delivery to your door.",
        ),
        "countries": _INTERNATIONAL_MARKETS,
        "prices": {"EUR": 2490, "CHF": 2990, "GBP": 2190, "USD": 3490},
        "tax_rate": 1900,
        "max_total_weight_g": 31500,
        "earliest_days": 1,
        "latest_days": 2,
        "cutoff": dt.time(12, 0),
        "sort_order": 35,
    },
    {
        "code": "own-courier",
        "kind": OptionKind.OWN,
        "carrier": Carrier.GENERIC,
        "carrier_product": "",
        "carrier_product_name": "",
        "service_class": ServiceClass.EXPRESS,
        "names": _text(
            sv="Expressbud samma kväll (Stockholm)",
            nb="Ekspressbud samme kveld (Stockholm)",
            da="Ekspresbud samme aften (Stockholm)",
            fi="Pikalähetti samana iltana (Tukholma)",
            de="Expresskurier am selben Abend (Stockholm)",
            nl="Expreskoerier dezelfde avond (Stockholm)",
            en="Same-evening express courier (Stockholm)",
        ),
        "descriptions": _text(
            sv="Vårt eget bud levererar kl. 18-21 om du beställer före kl. 12.",
            nb="Vårt eget bud leverer kl. 18-21 hvis du bestiller før kl. 12.",
            da="Vores eget bud leverer kl. 18-21, hvis du bestiller før kl. 12.",
            fi="Oma lähettimme toimittaa klo 18-21, kun tilaat ennen klo 12.",
            de="Unser eigener Kurier liefert von 18 bis 21 Uhr, wenn Sie vor 12 Uhr bestellen.",
            nl="Onze eigen koerier bezorgt tussen 18 en 21 uur als je vóór 12 uur bestelt.",
            en="Our own courier delivers 18:00-21:00 when you order before 12:00.",
        ),
        "countries": ["SE"],
        "postal_codes": ["10", "11", "12", "13"],
        "prices": {"SEK": 9900},
        "max_total_weight_g": 25000,
        "earliest_days": 0,
        "latest_days": 1,
        "cutoff": dt.time(12, 0),
        "time_of_day_start": dt.time(18, 0),
        "time_of_day_end": dt.time(21, 0),
        "sort_order": 110,
        "addons": [
            {
                "code": "delivery-instructions",
                "type": AddonType.OTHER,
                "names": _text(
                    sv="Instruktioner till budet",
                    nb="Beskjed til budet",
                    da="Besked til buddet",
                    fi="Ohjeet lähetille",
                    de="Hinweise für den Kurier",
                    nl="Instructies voor de koerier",
                    en="Instructions for the courier",
                ),
                "prices": {},
                "preselected": False,
                "required": False,
                "max_length": 100,
                "sort_order": 10,
            }
        ],
    },
]

# Every field a seeded option sets: anything an entry leaves out gets its default back.
_OPTION_DEFAULTS: dict[str, Any] = {
    "service_class": ServiceClass.STANDARD,
    "descriptions": {},
    "free_shipping_thresholds": {},
    "tax_rate": 2500,
    "countries": [],
    "postal_codes": [],
    "max_total_weight_g": None,
    "max_length_mm": None,
    "max_width_mm": None,
    "max_height_mm": None,
    "required_tags": [],
    "excluded_tags": [],
    "customer_types": [],
    "preselected": False,
    "is_fallback": False,
    "uses_timeslots": False,
    "is_active": True,
    "earliest_days": None,
    "latest_days": None,
    "cutoff": None,
    "time_of_day_start": None,
    "time_of_day_end": None,
}


# --- The service -------------------------------------------------------------------------


def _demo_credential_seed(*, merchant: Merchant, identifier: str, key: str) -> KlarnaCredential:
    """The demo's one working credential: the configured identifier and key, not revoked."""
    credential = KlarnaCredential.objects.filter(identifier=identifier).first()
    if credential is not None and credential.merchant_id != merchant.pk:
        raise ApplicationError(
            f"The identifier {identifier!r} belongs to another merchant.", code="identifier_taken"
        )
    if credential is None:
        # The identifier changed in settings: rename the demo's credential rather than add one.
        credential = (
            merchant.credentials.filter(revoked_at__isnull=True)
            .order_by("created_at", "id")
            .first()
        )
    if credential is None:
        credential, _ = klarna_credential_create(merchant=merchant, identifier=identifier, key=key)
        credential.full_clean()
        return credential
    wanted: dict[str, Any] = {"identifier": identifier, "key": key, "revoked_at": None}
    if credential.key != key:
        # The settings are the truth: a replaced key stops working at once.
        wanted |= {"previous_key": "", "previous_key_valid_until": None}
    return _upsert(KlarnaCredential, lookup={"pk": credential.pk}, values=wanted)


@transaction.atomic
def demo_merchant_seed(*, identifier: str, key: str) -> Merchant:
    """Create or update the demo shop with the given Klarna identifier and key."""
    sandbox_url = settings.CARRIER_SANDBOX_URL
    merchant = _upsert(Merchant, lookup={"slug": DEMO_SLUG}, values=_MERCHANT)
    _demo_credential_seed(merchant=merchant, identifier=identifier, key=key)

    agreements = {
        carrier: _upsert(
            CarrierAgreement,
            lookup={"merchant": merchant, "carrier": carrier},
            values={
                "customer_number": _AGREEMENTS.get(carrier, "1000"),
                "test_mode": True,
                "is_active": True,
                "credentials": _sandbox_credentials(declaration),
                # The demo shop's agreements point at the carrier sandbox when one is configured.
                "api_base_url": f"{sandbox_url.rstrip('/')}/{carrier}" if sandbox_url else "",
            },
        )
        for carrier, declaration in declarations().items()
    }
    # Unconfirmed reservations have their order read from the sandbox's fake Checkout API
    # (tms_gateway/shipments/reconcile.py); without a sandbox there is nothing to read.
    _upsert(
        KlarnaCheckoutCredential,
        lookup={"merchant": merchant},
        values={
            "provider": CheckoutProvider.KLARNA,
            "region": CheckoutRegion.EU,
            "test_mode": True,
            "username": DEMO_CHECKOUT_USERNAME,
            "password": DEMO_CHECKOUT_PASSWORD,
            "api_base_url": f"{sandbox_url.rstrip('/')}/klarna" if sandbox_url else "",
            "is_active": bool(sandbox_url),
        },
    )
    stores = {
        code: _upsert(
            Store, lookup={"merchant": merchant, "code": code}, values=copy.deepcopy(values)
        )
        for code, values in _STORES.items()
    }

    for spec in _OPTIONS:
        # Copies: a row must never share the module's lists and dicts.
        values = copy.deepcopy({**_OPTION_DEFAULTS, **spec})
        addons: list[dict[str, Any]] = values.pop("addons", [])
        store_codes: list[str] = values.pop("stores", [])
        code = values.pop("code")
        values["agreement"] = agreements.get(str(values["carrier"]))
        option = _upsert(DeliveryOption, lookup={"merchant": merchant, "code": code}, values=values)
        option.stores.set([stores[c] for c in store_codes])
        for addon in addons:
            addon_values = dict(addon)
            _upsert(
                DeliveryOptionAddon,
                lookup={"merchant": merchant, "option": option, "code": addon_values.pop("code")},
                values=addon_values,
            )
    return merchant


@transaction.atomic
def demo_users_seed(
    *,
    merchant: Merchant,
    staff_username: str,
    staff_password: str,
    shop_email: str,
    shop_password: str,
) -> None:
    """A partner staff superuser for the admin and a shop user for the portal (demo only).

    Passwords are (re)set to the configured ones on every seed, so the banner stays true.
    """
    from django.contrib.auth.models import User

    from .models import MerchantUser

    staff, _ = User.objects.get_or_create(
        username=staff_username, defaults={"email": f"{staff_username}@localhost"}
    )
    staff.is_staff = True
    staff.is_superuser = True
    staff.set_password(staff_password)
    staff.save()

    shop, _ = User.objects.get_or_create(username=shop_email, defaults={"email": shop_email})
    shop.set_password(shop_password)
    shop.save()
    MerchantUser.objects.update_or_create(user=shop, defaults={"merchant": merchant})
