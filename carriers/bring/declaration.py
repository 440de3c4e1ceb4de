"""Bring (Posten Bring), declared once: credentials, countries, products, Klarna's values and how
each operation was checked against what Bring publishes (carriers/FIDELITY.md).

The product catalogue lives here only; units.py derives its tables from it.
"""

from __future__ import annotations

from carriers.declaration import (
    CarrierDeclaration,
    CarrierProduct,
    CredentialField,
    Operation,
    Verdict,
)
from carriers.types import ProductKind

#: Keys of ``AgreementCredentials.credentials``: the Mybring login (an e-mail), its API key and
#: the URL that identifies the caller, sent as Bring's three headers ``X-Mybring-API-Uid``,
#: ``X-Mybring-API-Key`` and ``X-Bring-Client-URL`` (developer.bring.com, getting started).
CREDENTIAL_API_UID = "api_uid"
CREDENTIAL_API_KEY = "api_key"
CREDENTIAL_CLIENT_URL = "client_url"

#: The product ids below are Norwegian domestic services, so each serves recipients in Norway only.
_NORWAY = frozenset({"NO"})

#: Bring's Nordic pickup parcel (production code 0340). Its Shipping Guide and Booking API id is
#: ``PICKUP_PARCEL`` (bring/developer-site ``data/services_bsg.json`` "RequestCode", and
#: ``data/services_vas.json`` "serviceCode", @ fdc2931398459cd5d95282057f7cd7c963d104cd).
PICKUP_PARCEL = "PICKUP_PARCEL"
#: Where the recipient's chosen pickup point can be booked for it: Bring's "Optional pickup
#: point (Nordics)" (``SELECT_PICKUP_POINT_NORDICS``) lists PICKUP_PARCEL with destinations
#: "SE, DK" and senders "ALL COUNTRIES EXCEPT NORWAY" (data/services_vas.json, same commit).
_PICKUP_POINT_NORDICS = frozenset({"SE", "DK"})

DECLARATION = CarrierDeclaration(
    slug="bring",
    name="Bring",
    credentials=(
        CredentialField(
            CREDENTIAL_API_UID,
            "Mybring login (e-mail)",
            required=True,
            help_text="The e-mail of the Mybring user the API key belongs to (X-Mybring-API-Uid).",
        ),
        CredentialField(
            CREDENTIAL_API_KEY,
            "Mybring API key",
            secret=True,
            required=True,
            help_text="The API key from Mybring's account settings (X-Mybring-API-Key).",
        ),
        CredentialField(
            CREDENTIAL_CLIENT_URL,
            "Client URL",
            required=True,
            help_text="The shop's URL, sent as X-Bring-Client-URL to identify the caller.",
        ),
    ),
    # The Pickup Point API's countries; the Norwegian products deliver in Norway, PICKUP_PARCEL
    # to a chosen pickup point in Sweden and Denmark.
    countries=frozenset({"NO", "SE", "DK", "FI"}),
    home_country="NO",
    products=(
        # 5800 serves manned pickup points and parcel lockers: the chosen point decides which.
        CarrierProduct(
            "5800",
            "Pakke til hentested",
            frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER}),
            countries=_NORWAY,
            estimate=(1, 3),
        ),
        CarrierProduct(
            "5600",
            "Pakke levert hjem",
            frozenset({ProductKind.HOME}),
            countries=_NORWAY,
            estimate=(1, 2),
        ),
        CarrierProduct(
            "3584",
            "Pakke i postkassen",
            frozenset({ProductKind.MAILBOX}),
            countries=_NORWAY,
            estimate=(1, 3),
        ),
        CarrierProduct(
            "3570",
            "Pakke i postkassen med RFID",
            frozenset({ProductKind.MAILBOX}),
            countries=_NORWAY,
            estimate=(1, 3),
        ),
        # A pickup point may be a shop or a locker ("Service Code 0010 and 0011 (BIG14) 1.7",
        # developer.bring.com/files): in the Booking API the chosen point's id decides which.
        # The estimate is a guess (Bring publishes none for it; the Shipping Guide gives the
        # real one).
        CarrierProduct(
            PICKUP_PARCEL,
            "PickUp Parcel",
            frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER}),
            klarna_carrier="bring",
            countries=_PICKUP_POINT_NORDICS,
            estimate=(1, 3),
        ),
    ),
    check_product="5800",
    # Klarna's enum is not public and "bring" has not been seen in a public integration
    # (klarna-shipping-api.md §0 and §5); settings KLARNA_CARRIER_VALUES may override it.
    klarna_carrier="bring",
    shipping_company="Bring",
    secret_headers=frozenset({"x-mybring-api-key"}),
    fidelity={
        Operation.SERVICE_POINTS: Verdict.VERIFIED,
        Operation.AVAILABILITY: Verdict.VERIFIED,
        Operation.ETA: Verdict.VERIFIED,
        Operation.TIMESLOTS: Verdict.VERIFIED,
        Operation.PRICES: Verdict.VERIFIED,
        Operation.BOOKING: Verdict.VERIFIED,
        Operation.LABEL: Verdict.VERIFIED,
        Operation.LABEL_REPRINT: Verdict.NOT_OFFERED,
        Operation.CANCEL: Verdict.NOT_OFFERED,
        Operation.FIND_BOOKING: Verdict.INFERRED,
        Operation.TRACKING: Verdict.VERIFIED,
        Operation.ERRORS: Verdict.INFERRED,
    },
)
