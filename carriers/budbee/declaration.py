"""Budbee (Instabee group), declared once: credentials, countries, products, Klarna's values and
how each operation was checked against what Budbee publishes (carriers/FIDELITY.md).

The product catalogue and the countries live here only; units.py derives its tables from them.
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

#: Keys of ``AgreementCredentials.credentials``: the API key and secret Budbee issues per
#: environment, sent as HTTP Basic ``api_key:api_secret``.
CREDENTIAL_API_KEY = "api_key"
CREDENTIAL_API_SECRET = "api_secret"

#: Home delivery has no product code at Budbee (an order without ``productCodes`` is delivered
#: home); "home" names it here. ``DLVBOX`` is the Budbee Box (locker) product, sent as
#: ``productCodes: ["DLVBOX"]``.
PRODUCT_HOME = "home"
PRODUCT_BOX = "DLVBOX"

DECLARATION = CarrierDeclaration(
    slug="budbee",
    name="Budbee",
    credentials=(
        CredentialField(
            CREDENTIAL_API_KEY,
            "API key",
            required=True,
            help_text=(
                "The Budbee API key (the user part of HTTP Basic auth). Budbee issues separate "
                "keys for staging and production. The customer number is the Budbee collection "
                "point id (the warehouse parcels are collected from)."
            ),
        ),
        CredentialField(
            CREDENTIAL_API_SECRET,
            "API secret",
            secret=True,
            required=True,
            help_text="The secret paired with the API key (the password part of HTTP Basic auth).",
        ),
    ),
    countries=frozenset({"SE", "NO", "DK", "FI", "NL"}),
    home_country="SE",
    products=(
        CarrierProduct(
            PRODUCT_HOME,
            "Budbee Home",
            frozenset({ProductKind.HOME}),
            estimate=(1, 2),
        ),
        # Klarna's carrier enum has its own value (and logo) for Budbee Box lockers.
        CarrierProduct(
            PRODUCT_BOX,
            "Budbee Box",
            frozenset({ProductKind.LOCKER}),
            klarna_carrier="budbee-box",
            estimate=(1, 2),
        ),
    ),
    check_product=PRODUCT_HOME,
    klarna_carrier="budbee",
    shipping_company="Budbee",
    # HTTP Basic (api_key:api_secret) is the only secret we send (carriers/http.py redacts
    # Authorization anyway); label URLs carry their signature in the query, sent to nobody else.
    secret_headers=frozenset({"authorization"}),
    # carriers/FIDELITY.md says against what each was checked.
    fidelity={
        Operation.SERVICE_POINTS: Verdict.VERIFIED,
        Operation.AVAILABILITY: Verdict.VERIFIED,
        # From the intervals' first window and the best locker's estimatedDelivery.
        Operation.ETA: Verdict.INFERRED,
        Operation.TIMESLOTS: Verdict.VERIFIED,
        # Budbee's API has no prices: the shop's configured price applies.
        Operation.PRICES: Verdict.NOT_OFFERED,
        Operation.BOOKING: Verdict.VERIFIED,
        Operation.LABEL: Verdict.VERIFIED,
        # A label URL is valid ~48 h and the PDF is kept at booking; we ask no new one.
        Operation.LABEL_REPRINT: Verdict.NOT_OFFERED,
        Operation.CANCEL: Verdict.VERIFIED,
        Operation.FIND_BOOKING: Verdict.VERIFIED,
        # Budbee documents no API answering a parcel's events: it pushes webhooks
        # (mappers.parse_tracking reads them); track() raises OperationNotSupported.
        Operation.TRACKING: Verdict.NOT_OFFERED,
        Operation.ERRORS: Verdict.VERIFIED,
    },
)
