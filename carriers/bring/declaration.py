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

#: The product ids below are Norwegian domestic services (Nordic and cross-border parcels use
#: other ids, e.g. 0340 PICKUP_PARCEL), so each serves recipients in Norway only.
_NORWAY = frozenset({"NO"})

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
    # The Pickup Point API's countries; the products below deliver in Norway.
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
