"""Instabox (Instabee), declared once: credentials, countries, products, Klarna's values and how
each operation was checked against what Instabee publishes (carriers/FIDELITY.md).

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

#: The Instabee API key, sent as ``Authorization: ApiKey <key>`` (Instabee docs, authentication).
CREDENTIAL_API_KEY = "api_key"

LOCKER_EXPRESS = "LOCKER_EXPRESS"
HOME_DELIVERY = "HOME_DELIVERY"

DECLARATION = CarrierDeclaration(
    slug="instabox",
    name="Instabox",
    credentials=(
        CredentialField(
            CREDENTIAL_API_KEY,
            "API key",
            secret=True,
            required=True,
            help_text=(
                "The Instabee API key from your Implementation Manager (sent as "
                "'Authorization: ApiKey …'). The customer number is the parcel-id prefix."
            ),
        ),
    ),
    # The availability path's {countryCode}: "BE, DK, FI, NL, NO, SE" (Instabee docs).
    countries=frozenset({"BE", "DK", "FI", "NL", "NO", "SE"}),
    home_country="SE",
    products=(
        # The Instabox locker network is Swedish, Norwegian and Danish (Instabee's own company
        # description; the docs list the availability path's countries for every brand).
        CarrierProduct(
            LOCKER_EXPRESS,
            "Instabox locker",
            frozenset({ProductKind.LOCKER}),
            countries=frozenset({"SE", "NO", "DK"}),
            estimate=(1, 2),
        ),
        # Instabee's home delivery is the Budbee brand (docs, home-delivery/validate-postalcode:
        # "brand … e.g. budbee, porterbuddy"; its V2 events say "party": "BUDBEE"), so Klarna
        # shows Budbee's logo for it.
        CarrierProduct(
            HOME_DELIVERY,
            "Budbee Home",
            frozenset({ProductKind.HOME}),
            klarna_carrier="budbee",
            estimate=(1, 2),
        ),
    ),
    check_product=LOCKER_EXPRESS,
    klarna_carrier="instabox",
    shipping_company="Instabox",
    secret_headers=frozenset({"authorization"}),
    fidelity={
        Operation.SERVICE_POINTS: Verdict.INFERRED,
        Operation.AVAILABILITY: Verdict.VERIFIED,
        Operation.ETA: Verdict.INFERRED,
        Operation.TIMESLOTS: Verdict.UNVERIFIED,
        Operation.PRICES: Verdict.NOT_OFFERED,
        Operation.BOOKING: Verdict.UNVERIFIED,
        Operation.LABEL: Verdict.UNVERIFIED,
        Operation.LABEL_REPRINT: Verdict.NOT_OFFERED,
        Operation.CANCEL: Verdict.NOT_OFFERED,
        Operation.FIND_BOOKING: Verdict.NOT_OFFERED,
        Operation.TRACKING: Verdict.NOT_OFFERED,
        Operation.ERRORS: Verdict.UNVERIFIED,
    },
)
