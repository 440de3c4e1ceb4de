"""DHL, declared once: credentials, countries, products, Klarna's values and how each operation
was checked against what DHL publishes (carriers/FIDELITY.md).

The product catalogue and the countries live here only; units.py keeps DHL's code tables (payer
codes, where a Parcel Connect locker is allowed) and the adapter reads products from here.
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

from . import units

#: The API Farm's ``client-key`` header (DHL Freight Sweden developer portal application).
CREDENTIAL_CLIENT_KEY = "client_key"
#: The DHL API developer portal key for Location Finder - Unified and Shipment Tracking - Unified
#: (``DHL-API-Key`` header).
CREDENTIAL_API_KEY = "api_key"
#: Poland's SENT transport declaration (product manual: ``additionalInformation`` codes
#: ``SENT_REF`` and ``SENT_CARKEY``, mandatory unless ``SENT_FREE`` is true). Both set: the
#: shipment is declared with them; otherwise it goes as SENT free.
CREDENTIAL_SENT_REF = "sent_ref"
CREDENTIAL_SENT_CARKEY = "sent_carkey"

_PICKUP_OR_LOCKER = frozenset({ProductKind.PICKUP_POINT, ProductKind.LOCKER})

#: Parcel Connect countries, less those that need a customs declaration: a booking there is
#: refused (a BookingRequest has no goods lines to declare), so the checkout must not offer it.
_PARCEL_CONNECT_COUNTRIES = (
    units.PARCEL_CONNECT_LOCKER_COUNTRIES | units.PARCEL_CONNECT_SHOP_COUNTRIES
) - units.CUSTOMS_COUNTRIES

DECLARATION = CarrierDeclaration(
    slug="dhl",
    name="DHL",
    credentials=(
        CredentialField(
            CREDENTIAL_CLIENT_KEY,
            "API Farm client key",
            secret=True,
            required=True,
            help_text=(
                "The client key of the DHL Freight Sweden API Farm application (sent as the "
                "client-key header). The agreement's customer number is the 6-digit DHL "
                "Freight account number."
            ),
        ),
        CredentialField(
            CREDENTIAL_API_KEY,
            "DHL API key",
            secret=True,
            help_text=(
                "The key of developer.dhl.com (DHL-API-Key header) for Shipment Tracking - "
                "Unified and, outside the Nordics, Location Finder - Unified. Without it DHL "
                "parcels are not tracked."
            ),
        ),
        CredentialField(
            CREDENTIAL_SENT_REF,
            "SENT reference (Poland)",
            help_text=(
                "Parcel Connect to Poland: the SENT declaration reference (at most 20 "
                "characters), with the SENT carrier key. Empty: shipments go as SENT free, "
                "which suits consumer parcels."
            ),
        ),
        CredentialField(
            CREDENTIAL_SENT_CARKEY,
            "SENT carrier key (Poland)",
            help_text="The SENT carrier key (at most 20 characters) that goes with the reference.",
        ),
    ),
    countries=frozenset({"SE"}) | _PARCEL_CONNECT_COUNTRIES,
    home_country="SE",
    # Estimates are business days shown before DHL is asked (previews). GUESS: DHL publishes
    # no transit times through the API Farm; these follow DHL Freight Sweden's product pages
    # (domestic next day or the day after, Parcel Connect 2-6 days within Europe).
    products=(
        CarrierProduct(
            "103",
            "DHL Service Point",
            _PICKUP_OR_LOCKER,
            countries=frozenset({"SE"}),
            estimate=(1, 2),
        ),
        CarrierProduct(
            "109",
            "DHL Parcel Connect",
            _PICKUP_OR_LOCKER,
            countries=_PARCEL_CONNECT_COUNTRIES,
            estimate=(2, 6),
        ),
        CarrierProduct(
            "401",
            "DHL Home Delivery",
            frozenset({ProductKind.HOME}),
            countries=frozenset({"SE"}),
            estimate=(1, 2),
        ),
    ),
    check_product="103",
    klarna_carrier="dhl",
    shipping_company="DHL",
    secret_headers=frozenset({units.CLIENT_KEY_HEADER.lower(), units.API_KEY_HEADER.lower()}),
    fidelity={
        Operation.SERVICE_POINTS: Verdict.VERIFIED,
        Operation.AVAILABILITY: Verdict.VERIFIED,
        # The API Farm answers no transit time; previews show the declared estimate.
        Operation.ETA: Verdict.NOT_OFFERED,
        Operation.TIMESLOTS: Verdict.NOT_OFFERED,
        # The API Farm's price service is not integrated; the merchant's price applies.
        Operation.PRICES: Verdict.NOT_OFFERED,
        Operation.BOOKING: Verdict.VERIFIED,
        Operation.LABEL: Verdict.VERIFIED,
        Operation.LABEL_REPRINT: Verdict.INFERRED,
        # The API Farm has no cancel and no lookup by reference.
        Operation.CANCEL: Verdict.NOT_OFFERED,
        Operation.FIND_BOOKING: Verdict.NOT_OFFERED,
        Operation.TRACKING: Verdict.VERIFIED,
        Operation.ERRORS: Verdict.VERIFIED,
    },
)
