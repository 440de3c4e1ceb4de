"""PostNord, declared once: credentials, countries, products, Klarna's values and how each
operation was checked against what PostNord publishes (carriers/FIDELITY.md).

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

#: The API key, sent as the ``apikey`` query parameter on every call (every PostNord spec's
#: security scheme). Required.
CREDENTIAL_API_KEY = "api_key"
#: The EDI application id PostNord issues to an integrator (booking swagger
#: ``application.applicationId``, an integer). Optional.
CREDENTIAL_APPLICATION_ID = "application_id"
#: The EDI issuer code of the agreement (Z11 DK, Z12 SE, Z13 NO, Z14 FI); by default derived
#: from the sender country.
CREDENTIAL_ISSUER_CODE = "issuer_code"
#: Where parcels leave from, for the transit-time ETA; the merchant's sender address otherwise.
CREDENTIAL_ORIGIN_POSTAL_CODE = "origin_postal_code"
CREDENTIAL_ORIGIN_COUNTRY = "origin_country"

NORDIC = frozenset({"SE", "NO", "DK", "FI"})

DECLARATION = CarrierDeclaration(
    slug="postnord",
    name="PostNord",
    credentials=(
        CredentialField(
            CREDENTIAL_API_KEY,
            "API key",
            secret=True,
            required=True,
            help_text="The 32-character key from PostNord's developer portal (sent as apikey).",
        ),
        CredentialField(
            CREDENTIAL_APPLICATION_ID,
            "EDI application id",
            help_text="The integer application id PostNord issued for EDI bookings, if any.",
        ),
        CredentialField(
            CREDENTIAL_ISSUER_CODE,
            "EDI issuer code",
            help_text=(
                "Z11 Denmark, Z12 Sweden, Z13 Norway, Z14 Finland: the PostNord company of the "
                "customer number. Empty: from the sender's country. Cancelling a booking works "
                "only with Z12 (Sweden)."
            ),
        ),
        CredentialField(
            CREDENTIAL_ORIGIN_POSTAL_CODE,
            "Origin postal code",
            help_text="Where parcels are handed over, for delivery times (default: sender).",
        ),
        CredentialField(
            CREDENTIAL_ORIGIN_COUNTRY,
            "Origin country",
            help_text="ISO country of the origin postal code (default: sender's country).",
        ),
    ),
    countries=NORDIC,
    home_country="SE",
    products=(
        CarrierProduct("17", "MyPack Home", frozenset({ProductKind.HOME}), estimate=(1, 2)),
        # MyPack Collect goes to a manned service point or, with the locker as delivery party,
        # to a parcel locker: PostNord's Delivery Options example books both as 19 + A7.
        CarrierProduct(
            "19",
            "MyPack Collect",
            frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER}),
            estimate=(1, 3),
        ),
        CarrierProduct(
            "30", "MyPack Home Small", frozenset({ProductKind.MAILBOX}), estimate=(1, 3)
        ),
        # Varubrev Ekonomi: the Delivery Options example's "mailbox" option books serviceCode 11.
        CarrierProduct(
            "11",
            "Varubrev Ekonomi",
            frozenset({ProductKind.MAILBOX}),
            estimate=(2, 4),
        ),
    ),
    check_product="19",
    klarna_carrier="postnord",
    shipping_company="PostNord",
    # PostNord authenticates by the apikey query parameter (redacted as a secret parameter);
    # no PostNord request header carries a secret.
    secret_headers=frozenset(),
    fidelity={
        Operation.SERVICE_POINTS: Verdict.VERIFIED,
        Operation.AVAILABILITY: Verdict.VERIFIED,
        Operation.ETA: Verdict.VERIFIED,
        Operation.TIMESLOTS: Verdict.NOT_OFFERED,
        Operation.PRICES: Verdict.NOT_OFFERED,
        Operation.BOOKING: Verdict.VERIFIED,
        Operation.LABEL: Verdict.VERIFIED,
        Operation.LABEL_REPRINT: Verdict.VERIFIED,
        Operation.CANCEL: Verdict.UNVERIFIED,
        Operation.FIND_BOOKING: Verdict.VERIFIED,
        Operation.TRACKING: Verdict.VERIFIED,
        Operation.ERRORS: Verdict.VERIFIED,
    },
)
