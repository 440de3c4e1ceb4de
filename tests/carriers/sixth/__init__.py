"""A carrier that exists only in the tests: what a sixth carrier's package needs, and no more.

It declares itself and answers quotes from its declaration alone (no HTTP), so the test can
show that registering it in ``CARRIER_ADAPTERS`` puts it in the admin's agreement form, in
"check connection" and in a Klarna options answer without touching any other module.
"""

from __future__ import annotations

from carriers.base import CarrierAdapter
from carriers.declaration import (
    CarrierDeclaration,
    CarrierProduct,
    CredentialField,
    Operation,
    Verdict,
)
from carriers.types import (
    Address,
    Coordinates,
    Location,
    LocationKind,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
)

DECLARATION = CarrierDeclaration(
    slug="sixth",
    name="Sixth Parcel",
    credentials=(
        CredentialField("sixth_token", "API token", secret=True, required=True),
        CredentialField("sixth_depot", "Depot code", help_text="Where parcels are handed over."),
    ),
    countries=frozenset({"SE"}),
    home_country="SE",
    products=(
        CarrierProduct(
            "SIX-PUP", "Sixth Pickup", frozenset({ProductKind.PICKUP_POINT}), estimate=(1, 2)
        ),
    ),
    check_product="SIX-PUP",
    klarna_carrier="generic",
    shipping_company="Sixth Parcel AB",
    secret_headers=frozenset({"x-sixth-token"}),
    fidelity={
        **dict.fromkeys(Operation, Verdict.NOT_OFFERED),
        Operation.SERVICE_POINTS: Verdict.UNVERIFIED,
        Operation.AVAILABILITY: Verdict.VERIFIED,
    },
)


class SixthAdapter(CarrierAdapter):
    declaration = DECLARATION

    def quote_products(
        self, *, request: QuoteRequest, products: tuple[ProductQuery, ...]
    ) -> list[Quote]:
        point = Location(
            id=f"six-{request.recipient.postal_code}",
            name="Sixth Kiosk Centrum",
            kind=LocationKind.SERVICE_POINT,
            address=Address("SE", request.recipient.postal_code, "Stockholm", "Storgatan 1"),
            coordinates=Coordinates(59.33, 18.06),
        )
        return [Quote(product=query.code, available=True, locations=(point,)) for query in products]
