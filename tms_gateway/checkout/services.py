"""Turn (merchant, Klarna session) into priced, filtered, sorted options; validate selections.

One call of ``options_build`` evaluates each configured option's conditions, asks the carriers
concurrently under the checkout deadline (see fanout.py), prices what is left and sorts it.
``selection_validate`` re-runs it and checks the shopper's choice against the fresh answer.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import replace

from django.conf import settings
from django.utils import timezone

from carriers.cache import cache_writes_batched
from carriers.registry import get_adapter
from carriers.traces import trace_flush_after_fanout
from carriers.types import (
    Address,
    AgreementCredentials,
    Coordinates,
    DeliveryEstimate,
    Location,
    LocationKind,
    Money,
    OpeningHours,
    Parcel,
    ProductKind,
    ProductQuery,
    Quote,
    QuoteRequest,
)
from merchants.models import (
    PRODUCT_KIND,
    Carrier,
    DeliveryOption,
    Merchant,
    OptionKind,
    PriceMode,
    Store,
)
from merchants.selectors import delivery_options_for_checkout
from tms_gateway.common.errors import ApplicationError
from tms_gateway.common.ttlcache import TtlCache
from tms_gateway.experiments.apply import experiment_apply
from tms_gateway.shoppers.services import choice_apply

from .fanout import QuoteJob, quotes_collect
from .recipient import mobile_number_normalize
from .rules import option_conditions_check, order_weight_g
from .types import (
    CarrierOutcome,
    ExperimentAssignment,
    OfferedAddon,
    OfferedOption,
    OptionsResult,
    Selection,
    Session,
    SkippedOption,
    ValidatedSelection,
)

LOCATION_KINDS = {OptionKind.LOCKER, OptionKind.PICKUP_POINT, OptionKind.STORE}
MOBILE_REQUIRED_KINDS = {OptionKind.HOME, OptionKind.LOCKER}
STREET_REQUIRED_KINDS = {OptionKind.HOME, OptionKind.OWN, OptionKind.MAILBOX}


class CurrencyNotSupported(ApplicationError):
    code = "currency_not_supported"


class SelectionRejected(ApplicationError):
    """The shopper's choice cannot be reserved; ``code`` is the Klarna failure_reason."""


def _text(texts: dict[str, str], *, session: Session, fallback_language: str) -> str:
    """The text for the shopper's locale ("sv-SE"), its language ("sv"), the shop's, English."""
    for key in (session.locale, session.language, fallback_language, "en"):
        if key and texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")


def order_parcels(session: Session) -> tuple[Parcel, ...]:
    """The order as one parcel: the weight of all units; the longest and widest unit, their
    heights stacked. What the carriers are quoted and booked with."""
    weight = order_weight_g(session) or 0
    sides = [
        sorted([s for s in (ln.length_mm, ln.width_mm, ln.height_mm) if s], reverse=True)
        for ln in session.order.lines
    ]
    longest = [s for s in sides if len(s) == 3]
    if not longest:
        return (Parcel(weight_g=weight),)
    length = max(s[0] for s in longest)
    width = max(s[1] for s in longest)
    height = sum(
        s[2] * ln.quantity for s, ln in zip(sides, session.order.lines, strict=False) if len(s) == 3
    )
    return (Parcel(weight_g=weight, length_mm=length, width_mm=width, height_mm=height),)


def _store_location(store: Store) -> Location:
    hours = tuple(
        OpeningHours(
            weekday=int(h["weekday"]),
            opens=dt.time.fromisoformat(h["opens"]),
            closes=dt.time.fromisoformat(h["closes"]),
        )
        for h in store.opening_hours
    )
    return Location(
        id=store.code,
        name=store.name,
        kind=LocationKind.STORE,
        address=Address(
            country=store.country,
            postal_code=store.postal_code,
            city=store.city,
            street_address=store.street_address,
        ),
        coordinates=Coordinates(lat=float(store.latitude), lng=float(store.longitude)),
        opening_hours=hours,
    )


def _static_estimate(option: DeliveryOption) -> DeliveryEstimate:
    return DeliveryEstimate(
        earliest_days=option.earliest_days,
        latest_days=option.latest_days,
        cutoff=option.cutoff,
        time_of_day_start=option.time_of_day_start,
        time_of_day_end=option.time_of_day_end,
    )


def _estimate_merge(
    *, carrier: DeliveryEstimate | None, configured: DeliveryEstimate
) -> DeliveryEstimate:
    """The carrier's estimate where it gives one; the shop's cut-off and window otherwise."""
    if carrier is None:
        return configured
    return DeliveryEstimate(
        earliest_days=carrier.earliest_days
        if carrier.earliest_days is not None
        else configured.earliest_days,
        latest_days=carrier.latest_days
        if carrier.latest_days is not None
        else configured.latest_days,
        cutoff=carrier.cutoff or configured.cutoff,
        time_of_day_start=carrier.time_of_day_start or configured.time_of_day_start,
        time_of_day_end=carrier.time_of_day_end or configured.time_of_day_end,
    )


def _option_price(
    option: DeliveryOption, session: Session, carrier_price: Money | None = None
) -> int:
    """The configured price, or the carrier's agreement price (plus margin) where chosen;
    0 from the free-shipping threshold."""
    price = int(option.prices[session.currency])
    if (
        carrier_price is not None
        and carrier_price.currency == session.currency
        and option.price_mode != PriceMode.FIXED
    ):
        price = carrier_price.amount
        if option.price_mode == PriceMode.CARRIER_PLUS_MARGIN:
            price += int(option.price_margins.get(session.currency, 0))
    threshold = option.free_shipping_thresholds.get(session.currency)
    total = session.order.total_amount
    if threshold is not None and total is not None and total >= threshold:
        return 0
    return price


def _addons(
    option: DeliveryOption, session: Session, merchant: Merchant
) -> tuple[OfferedAddon, ...]:
    offered = []
    for addon in option.checkout_addons:  # type: ignore[attr-defined]  # prefetched as a list
        if addon.prices and session.currency not in addon.prices:
            continue
        offered.append(
            OfferedAddon(
                id=addon.code,
                type=addon.type,
                name=_text(
                    addon.names,
                    session=session,
                    fallback_language=merchant.default_locale,
                ),
                price=int(addon.prices.get(session.currency, 0)),
                preselected=addon.preselected or addon.required,
                required=addon.required,
                max_length=addon.max_length,
            )
        )
    return tuple(offered)


def _quote_requests(
    *, merchant: Merchant, session: Session, options: list[DeliveryOption], now: dt.datetime
) -> list[QuoteJob]:
    by_agreement: dict[int, list[DeliveryOption]] = defaultdict(list)
    for option in options:
        if option.agreement_id is not None:
            by_agreement[option.agreement_id].append(option)
    jobs = []
    parcels = order_parcels(session)
    for agreement_id, group in by_agreement.items():
        agreement = group[0].agreement
        assert agreement is not None
        # One query per (product, kind): PostNord 19 serves pickup points and lockers.
        products: dict[tuple[str, ProductKind], ProductQuery] = {}
        for option in group:
            kind = PRODUCT_KIND[OptionKind(option.kind)]
            previous = products.get((option.carrier_product, kind))
            products[(option.carrier_product, kind)] = ProductQuery(
                code=option.carrier_product,
                kind=kind,
                wants_locations=option.kind in LOCATION_KINDS
                or bool(previous and previous.wants_locations),
                wants_timeslots=option.uses_timeslots
                or bool(previous and previous.wants_timeslots),
            )
        jobs.append(
            QuoteJob(
                key=agreement_id,
                adapter=get_adapter(agreement.carrier),
                request=QuoteRequest(
                    merchant_ref=str(merchant.public_id),
                    agreement=AgreementCredentials(
                        agreement_id=agreement.pk,
                        customer_number=agreement.customer_number,
                        credentials=agreement.credentials,
                        test_mode=agreement.test_mode,
                        merchant_id=merchant.pk,
                        base_url=agreement.api_base_url,
                    ),
                    products=tuple(products.values()),
                    recipient=session.recipient.address,
                    parcels=parcels,
                    currency=session.currency,
                    now=now,
                    max_locations=settings.CHECKOUT_MAX_LOCATIONS,
                    sender=Address(
                        country=merchant.sender_country,
                        postal_code=merchant.sender_postal_code,
                        city=merchant.sender_city,
                        street_address=merchant.sender_street_address,
                    ),
                ),
            )
        )
    return jobs


# A merchant's option configuration, kept in-process for CHECKOUT_CONFIG_CACHE_SECONDS: every
# options call would otherwise build hundreds of model objects from the same rows. Changes in
# the admin reach the checkout within that many seconds. Read-only once cached.
_configuration: TtlCache[list[DeliveryOption]] = TtlCache(
    seconds=lambda: settings.CHECKOUT_CONFIG_CACHE_SECONDS, max_entries=2000
)


def _configured_options(merchant: Merchant) -> list[DeliveryOption]:
    options = _configuration.get(merchant.pk)
    if options is None:
        options = list(delivery_options_for_checkout(merchant=merchant))
        _configuration.set(merchant.pk, options)
    return options


def checkout_configuration_forget(*, merchant_id: int) -> None:
    """Drop this process's copy of the merchant's options (they were just changed); other
    processes keep theirs for at most CHECKOUT_CONFIG_CACHE_SECONDS."""
    _configuration.discard(merchant_id)


def merchant_currencies(*, options: list[DeliveryOption]) -> set[str]:
    return {currency for option in options for currency in option.prices}


def options_build(
    *,
    merchant: Merchant,
    session: Session,
    now: dt.datetime | None = None,
    started_at: float | None = None,
    assignment: ExperimentAssignment | None = None,
) -> OptionsResult:
    """The options a shopper is offered now, each priced, sorted; at most one preselected.

    The carriers get CHECKOUT_DEADLINE_SECONDS counted from ``started_at`` (time.monotonic()
    when the request arrived; now if not given), less a margin for the work after them.
    ``assignment``: the session's experiment variant, when the caller made it already (the
    options API, before its answer-cache lookup; the preview); otherwise it is made here.
    """
    now = now or timezone.now()
    started_at = time.monotonic() if started_at is None else started_at
    configured = _configured_options(merchant)
    if configured and session.currency not in merchant_currencies(options=configured):
        raise CurrencyNotSupported(f"The shop has no prices in {session.currency}.")

    skipped: list[SkippedOption] = []
    eligible: list[DeliveryOption] = []
    for option in configured:
        rejection = option_conditions_check(option=option, session=session)
        if rejection is not None:
            skipped.append(rejection)
        elif option.carrier != Carrier.GENERIC and option.agreement is None:
            skipped.append(SkippedOption(option.code, "no_agreement", "no carrier agreement"))
        elif option.agreement is not None and not option.agreement.is_active:
            skipped.append(SkippedOption(option.code, "no_agreement", "agreement inactive"))
        else:
            eligible.append(option)
    # The session's experiment variant changes the options' configured prices, names, order
    # and preselection before they are priced and sorted (tms_gateway/experiments/apply.py).
    eligible, assignment = experiment_apply(
        merchant=merchant, session=session, options=eligible, assignment=assignment
    )

    address = session.recipient.address
    ask_carriers = bool(address.country and address.postal_code)
    carrier_options = [o for o in eligible if o.carrier != Carrier.GENERIC]
    jobs = (
        _quote_requests(merchant=merchant, session=session, options=carrier_options, now=now)
        if ask_carriers
        else []
    )
    budget = (
        started_at
        + settings.CHECKOUT_DEADLINE_SECONDS
        - settings.CHECKOUT_DEADLINE_MARGIN_SECONDS
        - time.monotonic()
    )
    # The carriers' answers are cached together when the fan-out is over: one round trip.
    with cache_writes_batched():
        outcomes = quotes_collect(jobs=jobs, deadline_seconds=max(0.0, budget))
    if jobs:
        trace_flush_after_fanout()
    quotes: dict[tuple[int, str, str], Quote] = {}
    failed: dict[int, str] = {}
    for job, outcome in zip(jobs, outcomes, strict=True):
        if outcome.quotes is None:
            failed[outcome.key] = outcome.error
            continue
        # The contract answers one quote per query, in the order asked.
        for query, quote in zip(job.request.products, outcome.quotes, strict=False):
            quotes[(outcome.key, query.code, query.kind)] = quote

    offered: list[OfferedOption] = []
    for option in eligible:
        built = _offer(
            option=option,
            session=session,
            merchant=merchant,
            ask_carriers=ask_carriers,
            quotes=quotes,
            failed=failed,
        )
        if isinstance(built, SkippedOption):
            skipped.append(built)
        else:
            offered.append(built)

    if not offered:
        # Never an empty answer because carriers failed: offer what they would have carried,
        # from configuration, as if every option were marked fallback.
        unreachable = {s.id for s in skipped if s.reason == "carrier_unavailable"}
        for option in eligible:
            if option.code in unreachable:
                built = _offer(
                    option=option,
                    session=session,
                    merchant=merchant,
                    ask_carriers=False,
                    quotes={},
                    failed={},
                )
                if isinstance(built, OfferedOption):
                    offered.append(replace(built, preview=False, from_fallback=True))
        skipped = [s for s in skipped if not any(o.id == s.id for o in offered)]

    offered.sort(key=lambda o: (o.sort_order, o.price, o.id))
    chosen = next((o for o in offered if o.preselected), offered[0] if offered else None)
    options = tuple(replace(o, preselected=o is chosen) for o in offered)
    # A returning shopper's last choice is preselected, its pickup point first (shoppers/).
    options, remembered = choice_apply(merchant=merchant, session=session, options=options)
    return OptionsResult(
        options=options,
        skipped=tuple(skipped),
        carriers=tuple(
            CarrierOutcome(
                carrier=o.carrier,
                agreement_id=o.key,
                ok=o.quotes is not None,
                duration_ms=o.duration_ms,
                error=o.error,
            )
            for o in outcomes
        ),
        built_at=now,
        experiment=assignment,
        remembered=remembered,
    )


def _offer(
    *,
    option: DeliveryOption,
    session: Session,
    merchant: Merchant,
    ask_carriers: bool,
    quotes: dict[tuple[int, str, str], Quote],
    failed: dict[int, str],
) -> OfferedOption | SkippedOption:
    price = _option_price(option, session)
    base = OfferedOption(
        option_pk=option.pk,
        id=option.code,
        kind=option.kind,
        carrier=option.carrier,
        carrier_product=option.carrier_product,
        carrier_product_name=option.carrier_product_name or option.carrier_product,
        service_class=option.service_class,
        name=_text(option.names, session=session, fallback_language=merchant.default_locale),
        description=_text(
            option.descriptions,
            session=session,
            fallback_language=merchant.default_locale,
        ),
        price=price,
        tax_rate=option.tax_rate,
        delivery=_static_estimate(option),
        addons=_addons(option, session, merchant),
        preselected=option.preselected,
        sort_order=option.sort_order,
    )
    if option.carrier == Carrier.GENERIC:
        locations: tuple[Location, ...] = ()
        if option.kind == OptionKind.STORE:
            stores = option.checkout_stores  # type: ignore[attr-defined]  # prefetched as a list
            locations = tuple(_store_location(s) for s in stores)
            if not locations:
                return SkippedOption(option.code, "no_locations", "no active store attached")
        return replace(base, locations=locations, preview=not ask_carriers)
    if not ask_carriers:
        return replace(base, preview=True)
    assert option.agreement_id is not None
    if option.agreement_id in failed:
        if option.is_fallback:
            return replace(base, from_fallback=True)
        return SkippedOption(option.code, "carrier_unavailable", failed[option.agreement_id])
    kind = PRODUCT_KIND[OptionKind(option.kind)]
    quote = quotes.get((option.agreement_id, option.carrier_product, kind))
    if quote is None or not quote.available:
        detail = quote.reason if quote is not None else "no answer for this product"
        return SkippedOption(option.code, "carrier_not_available", detail)
    if option.kind in LOCATION_KINDS and not quote.locations:
        return SkippedOption(option.code, "no_locations", "the carrier has no location nearby")
    if option.uses_timeslots and not quote.timeslots:
        return SkippedOption(option.code, "no_timeslots", "the carrier has no time slot")
    return replace(
        base,
        price=_option_price(option, session, quote.price),
        delivery=_estimate_merge(carrier=quote.delivery, configured=base.delivery),
        locations=quote.locations if option.kind in LOCATION_KINDS else (),
        timeslots=quote.timeslots if option.uses_timeslots else (),
    )


def selection_validate(
    *, merchant: Merchant, session: Session, selection: Selection, now: dt.datetime | None = None
) -> ValidatedSelection:
    """Check a choice against a fresh computation; raise SelectionRejected when it fails."""
    result = options_build(merchant=merchant, session=session, now=now)
    option = next((o for o in result.options if o.id == selection.option_id), None)
    if option is None:
        raise SelectionRejected(
            f"Option {selection.option_id!r} is not offered for this order and address.",
            code="shipping_option_not_available",
        )

    location = None
    if selection.location_id:
        location = next((loc for loc in option.locations if loc.id == selection.location_id), None)
        if location is None:
            raise SelectionRejected(
                f"Location {selection.location_id!r} is not offered.", code="location_not_available"
            )
    elif option.locations:
        location = option.locations[0]  # nearest first: Klarna sent none, take the nearest

    timeslot = None
    if selection.timeslot_id:
        timeslot = next((t for t in option.timeslots if t.id == selection.timeslot_id), None)
        if timeslot is None:
            raise SelectionRejected(
                f"Time slot {selection.timeslot_id!r} is not offered.",
                code="timeslot_not_available",
            )
    elif option.timeslots:
        timeslot = option.timeslots[0]

    offered_addons = {a.id: a for a in option.addons}
    chosen = {a.id: a for a in selection.addons}
    for addon_id, sent in chosen.items():
        if sent.selected and addon_id not in offered_addons:
            raise SelectionRejected(
                f"Add-on {addon_id!r} is not offered with this option.", code="addon_not_available"
            )
    addons: list[tuple[OfferedAddon, str]] = []
    for addon in option.addons:
        choice = chosen.get(addon.id)
        selected = addon.required or (choice.selected if choice is not None else False)
        if not selected:
            continue
        text = (choice.text if choice is not None else "").strip()
        if addon.max_length is not None:
            if addon.required and not text:
                raise SelectionRejected(
                    f"Add-on {addon.id!r} needs input.", code="missing_addon_input"
                )
            if len(text) > addon.max_length:
                raise SelectionRejected(
                    f"Add-on {addon.id!r} takes at most {addon.max_length} characters.",
                    code="invalid_addon_input",
                )
        addons.append((addon, text))

    _recipient_check(option=option, session=session, addon_types={a.type for a, _ in addons})
    price = option.price + sum(a.price for a, _ in addons)
    return ValidatedSelection(
        option=option, location=location, timeslot=timeslot, addons=tuple(addons), price=price
    )


def _recipient_check(*, option: OfferedOption, session: Session, addon_types: set[str]) -> None:
    recipient = session.recipient
    address = recipient.address
    missing = []
    if not address.country:
        missing.append("country")
    needs_postal_code = option.carrier != Carrier.GENERIC or option.kind in STREET_REQUIRED_KINDS
    if needs_postal_code and not address.postal_code:
        missing.append("postal_code")
    if option.kind in STREET_REQUIRED_KINDS:
        if not address.street_address:
            missing.append("street_address")
        if not address.city:
            missing.append("city")
    if missing:
        raise SelectionRejected(
            f"The recipient's {', '.join(missing)} is missing.",
            code="invalid_recipient",
            extra={"fields": missing},
        )
    needs_mobile = option.kind in MOBILE_REQUIRED_KINDS or "sms" in addon_types
    if (
        needs_mobile
        and mobile_number_normalize(phone=recipient.phone, country=address.country) is None
    ):
        raise SelectionRejected(
            "The recipient needs a mobile number the carrier can text.",
            code="invalid_recipient",
            extra={"fields": ["phone"]},
        )
