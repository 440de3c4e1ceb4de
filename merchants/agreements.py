"""Checking a carrier agreement: one small real quote through the agreement's adapter.

Partner staff run it from the admin after entering credentials ("check connection"); it
answers what the carrier said, in its own words, with the time it took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils import timezone

from carriers.cache import cache_bypassed
from carriers.declaration import CarrierDeclaration, Operation, Verdict
from carriers.exceptions import CarrierError
from carriers.http import redact_text
from carriers.models import CarrierTrace
from carriers.registry import UnknownCarrier, adapters, declarations, get_adapter
from carriers.types import (
    Address,
    AgreementCredentials,
    Parcel,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
)

from .models import PRODUCT_KIND, CarrierAgreement, DeliveryOption, OptionKind

# The sample recipient of a connection check: a real address in the carrier's home country
# (or the option's first country), a parcel every product takes.
_SAMPLE_ADDRESS: dict[str, Address] = {
    "SE": Address("SE", "11151", "Stockholm", "Drottninggatan 53"),
    "NO": Address("NO", "0150", "Oslo", "Karl Johans gate 1"),
    "DK": Address("DK", "1050", "København", "Kongens Nytorv 1"),
    "FI": Address("FI", "00100", "Helsinki", "Mannerheimintie 1"),
    "DE": Address("DE", "10115", "Berlin", "Invalidenstraße 1"),
    "NL": Address("NL", "1012JS", "Amsterdam", "Dam 1"),
    "BE": Address("BE", "1000", "Bruxelles", "Grand-Place 1"),
}
_CURRENCY = {
    "SE": "SEK",
    "NO": "NOK",
    "DK": "DKK",
    "FI": "EUR",
    "DE": "EUR",
    "NL": "EUR",
    "BE": "EUR",
}
_LOCATION_WORDS = {
    ProductKind.LOCKER: "lockers",
    ProductKind.PICKUP_POINT: "service points",
}
#: The kind a check asks its product for: locations first, they show the most.
_CHECK_KIND_ORDER = (
    ProductKind.PICKUP_POINT,
    ProductKind.LOCKER,
    ProductKind.HOME,
    ProductKind.MAILBOX,
)
_CHECK_PARCEL = Parcel(weight_g=1000, length_mm=300, width_mm=200, height_mm=100)


def carrier_agreement_address(*, carrier: str, api_base_url: str, test_mode: bool) -> str:
    """Where an agreement's calls go: its API base URL, else the carrier's host for its mode
    (or CARRIER_BASE_URLS, CARRIER_SANDBOX_URL); scheme and host lower case, no default port,
    no trailing slash, so two addresses compare equal when the calls go to the same place."""
    adapter = adapters().get(carrier)
    url = api_base_url
    if adapter is not None:
        url = adapter.base_url(
            AgreementCredentials(
                agreement_id=0, customer_number="", test_mode=test_mode, base_url=api_base_url
            )
        )
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = (parts.hostname or "").lower()
    if port is not None and port != {"http": 80, "https": 443}.get(parts.scheme.lower()):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), parts.query, ""))


def carrier_agreement_secrets_to_enter(
    *,
    agreement: CarrierAgreement,
    api_base_url: str,
    test_mode: bool,
    entered: frozenset[str],
) -> tuple[str, ...]:
    """The stored secret credential keys that must be entered again before the agreement may
    call another address (``api_base_url``, or ``test_mode`` switching the carrier's host):
    stored secrets never follow a changed URL. Empty when the address stays, or when every
    stored secret is in ``entered`` (keys typed in again, or removed)."""
    if not agreement.pk:
        return ()
    before = carrier_agreement_address(
        carrier=agreement.carrier,
        api_base_url=agreement.api_base_url,
        test_mode=agreement.test_mode,
    )
    after = carrier_agreement_address(
        carrier=agreement.carrier, api_base_url=api_base_url, test_mode=test_mode
    )
    if before == after:
        return ()
    declaration = declarations().get(agreement.carrier)
    stored = agreement.credentials or {}
    secret = declaration.secret_credential_keys if declaration is not None else frozenset(stored)
    return tuple(sorted(k for k in secret if stored.get(k) and k not in entered))


@dataclass(frozen=True)
class AgreementCheck:
    ok: bool
    message: str
    #: No call reached the carrier: the answer came from the carrier cache.
    cached: bool = False
    #: What no published source of the carrier confirms (carriers/FIDELITY.md).
    caveat: str = ""


def carrier_fidelity_note(declaration: CarrierDeclaration, *, pushes_tracking: bool = False) -> str:
    """Which of the carrier's operations were not checked against what it publishes, and which
    it does not offer: said wherever staff rely on the carrier (agreement page, check)."""
    parts = []
    if declaration.unverified:
        names = ", ".join(op.label for op in declaration.unverified)
        parts.append(
            f"Not checked against a published {declaration.name} source (unverified): {names}."
        )
    inferred = [op for op in Operation if declaration.fidelity.get(op) is Verdict.INFERRED]
    if inferred:
        names = ", ".join(op.label for op in inferred)
        parts.append(f"Inferred from a neighbouring {declaration.name} operation: {names}.")
    missing = [op for op in Operation if not declaration.supports(op)]
    if pushes_tracking and Operation.TRACKING in missing:
        missing.remove(Operation.TRACKING)
        parts.append(
            f"{declaration.name} cannot be asked for tracking: it pushes its events to the "
            "agreement's webhook URL."
        )
    if missing:
        parts.append(f"{declaration.name} offers no: {', '.join(op.label for op in missing)}.")
    return " ".join(parts)


def _default_query(declaration: CarrierDeclaration) -> ProductQuery:
    """The declared check product, asked the way a checkout asks for its first kind."""
    product = declaration.product(declaration.check_product)
    kinds = product.kinds if product is not None else frozenset({ProductKind.HOME})
    kind = next(k for k in _CHECK_KIND_ORDER if k in kinds)
    return ProductQuery(
        declaration.check_product,
        kind,
        wants_locations=kind in _LOCATION_WORDS,
        wants_timeslots=kind is ProductKind.HOME and declaration.supports(Operation.TIMESLOTS),
    )


def _check_query(
    agreement: CarrierAgreement, declaration: CarrierDeclaration
) -> tuple[ProductQuery, Address]:
    """One of the merchant's options with this carrier, else the carrier's check product;
    to the sample address of the carrier's home country, or of the option's first country."""
    option = (
        DeliveryOption.objects.filter(
            merchant_id=agreement.merchant_id,
            carrier=agreement.carrier,
            kind__in=list(PRODUCT_KIND),
        )
        .exclude(carrier_product="")
        .order_by("-is_active", "sort_order", "id")
        .first()
    )
    home = declaration.home_country if declaration.home_country in _SAMPLE_ADDRESS else "SE"
    if option is None:
        return _default_query(declaration), _SAMPLE_ADDRESS[home]
    kind = PRODUCT_KIND[OptionKind(option.kind)]
    query = ProductQuery(
        code=option.carrier_product,
        kind=kind,
        wants_locations=kind in _LOCATION_WORDS,
        wants_timeslots=option.uses_timeslots,
    )
    country = home
    if option.countries and home not in option.countries:
        country = next((c for c in option.countries if c in _SAMPLE_ADDRESS), home)
    return query, _SAMPLE_ADDRESS[country]


def _quote_summary(quote: Quote, query: ProductQuery) -> str:
    if not quote.available:
        return f"not available there ({quote.reason or 'no reason given'})"
    parts = []
    if query.wants_locations:
        parts.append(f"{len(quote.locations)} {_LOCATION_WORDS.get(query.kind, 'locations')}")
    if query.wants_timeslots:
        parts.append(f"{len(quote.timeslots)} delivery windows")
    if quote.price is not None:
        parts.append(f"price {quote.price.amount / 100:.2f} {quote.price.currency}")
    if quote.delivery and quote.delivery.earliest_days is not None:
        days = quote.delivery.earliest_days
        latest = quote.delivery.latest_days
        span = f"{days}-{latest}" if latest not in (None, days) else f"{days}"
        parts.append(f"{span} day{'' if span == '1' else 's'}")
    return "available" + (": " + ", ".join(parts) if parts else "")


def carrier_agreement_check(*, agreement: CarrierAgreement) -> AgreementCheck:
    """Ask the carrier (or the agreement's base URL, e.g. the sandbox) for one real quote.

    Answers that do not depend on the cart (service points, availability) are cached per
    agreement (CARRIER_CACHE_TTL) and the adapters cannot be told to skip the cache: the
    message says how many calls reached the carrier, and says so when none did.
    """
    try:
        adapter = get_adapter(agreement.carrier)
    except UnknownCarrier:
        return AgreementCheck(False, f"No adapter is configured for {agreement.carrier}.")
    credentials = AgreementCredentials(
        agreement_id=agreement.pk,
        customer_number=agreement.customer_number,
        credentials=dict(agreement.credentials or {}),
        test_mode=agreement.test_mode,
        merchant_id=agreement.merchant_id,
        base_url=agreement.api_base_url,
    )
    declaration = adapter.declaration
    if declaration is None:
        return AgreementCheck(False, f"{adapter.name} has no declaration to check with.")
    caveat = carrier_fidelity_note(declaration, pushes_tracking=adapter.pushes_tracking)
    query, address = _check_query(agreement, declaration)
    merchant = agreement.merchant
    request = QuoteRequest(
        merchant_ref=str(merchant.public_id),
        agreement=credentials,
        products=(query,),
        recipient=address,
        parcels=(_CHECK_PARCEL,),
        currency=_CURRENCY.get(address.country, "EUR"),
        now=timezone.now(),
        max_locations=settings.CHECKOUT_MAX_LOCATIONS,
        sender=Address(
            country=merchant.sender_country,
            postal_code=merchant.sender_postal_code,
            city=merchant.sender_city,
            street_address=merchant.sender_street_address,
        ),
    )
    asked = f"{adapter.product_name(query.code)} ({query.code}) to {address.country} {address.postal_code}"
    since = timezone.now()
    started = time.monotonic()
    try:
        with cache_bypassed():  # the carrier itself must answer, not an earlier answer
            quotes = adapter.quote(request=request)
    except CarrierError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        text = "; ".join(m.text for m in exc.messages if m.text) or str(exc)
        text = redact_text(text, credentials.secret_values())
        return AgreementCheck(
            False, f"{adapter.name} failed after {elapsed} ms ({asked}): {text}", caveat=caveat
        )
    elapsed = int((time.monotonic() - started) * 1000)
    calls = CarrierTrace.objects.filter(agreement_id=agreement.pk, created_at__gte=since).count()
    how = (
        f"{calls} call{'s' if calls != 1 else ''}"
        if calls
        else "no call made: answered from the carrier cache, CARRIER_CACHE_TTL"
    )
    if not quotes:
        return AgreementCheck(
            False, f"{adapter.name} answered nothing in {elapsed} ms ({asked}).", caveat=caveat
        )
    return AgreementCheck(
        True,
        f"{adapter.name} OK in {elapsed} ms ({how}): {asked} {_quote_summary(quotes[0], query)}.",
        cached=not calls,
        caveat=caveat,
    )
