"""Option conditions, one function per rule, each returning why an option is not offered.

Every rule holds when its condition is empty, and when the session does not yet carry what the
rule needs (a preview call has no postal code): Klarna asks again once the shopper types it.
"""

from __future__ import annotations

from collections.abc import Callable

from merchants.models import DeliveryOption

from .types import Session, SkippedOption

Rule = Callable[[DeliveryOption, Session], SkippedOption | None]


def postal_code_normalize(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def postal_code_matches(*, postal_code: str, rule: str) -> bool:
    """A rule is a prefix ("11") or an inclusive range of equal-length codes ("20000-29999").

    A range compares the leading characters of the code with the bounds, so "100-199" matches
    every code starting 100…199 whatever its length.
    """
    code = postal_code_normalize(postal_code)
    if "-" in rule:
        low, high = rule.split("-", 1)
        head = code[: len(low)]
        if len(head) < len(low):
            return False
        if head.isdigit() and low.isdigit() and high.isdigit():
            return int(low) <= int(head) <= int(high)
        return low <= head <= high
    return code.startswith(rule)


def order_weight_g(session: Session) -> int | None:
    """The order's weight: ``total_weight`` when given, else unit weights times quantities."""
    order = session.order
    if order.total_weight_g:
        return order.total_weight_g
    weights = [line.unit_weight_g * line.quantity for line in order.lines if line.unit_weight_g]
    return sum(weights) if weights else None


def order_tags(session: Session) -> set[str]:
    tags = set(session.order.tags)
    for line in session.order.lines:
        tags.update(line.tags)
    return tags


def _skip(option: DeliveryOption, reason: str, detail: str) -> SkippedOption:
    return SkippedOption(id=option.code, reason=reason, detail=detail)


def rule_currency(option: DeliveryOption, session: Session) -> SkippedOption | None:
    if session.currency not in option.prices:
        return _skip(option, "currency", f"no price in {session.currency}")
    return None


def rule_country(option: DeliveryOption, session: Session) -> SkippedOption | None:
    country = session.recipient.address.country
    if option.countries and country and country not in option.countries:
        return _skip(option, "country", f"{country} is not one of {', '.join(option.countries)}")
    return None


def rule_postal_code(option: DeliveryOption, session: Session) -> SkippedOption | None:
    postal_code = session.recipient.address.postal_code
    if not option.postal_codes or not postal_code:
        return None
    if any(postal_code_matches(postal_code=postal_code, rule=r) for r in option.postal_codes):
        return None
    return _skip(
        option, "postal_code", f"{postal_code} is outside {', '.join(option.postal_codes)}"
    )


def rule_weight(option: DeliveryOption, session: Session) -> SkippedOption | None:
    weight = order_weight_g(session)
    limit = option.max_total_weight_g
    if limit is not None and weight is not None and weight > limit:
        return _skip(option, "weight", f"{weight} g is over {limit} g")
    return None


def rule_dimensions(option: DeliveryOption, session: Session) -> SkippedOption | None:
    """Each unit must fit: its sides, longest first, against the limits, longest first.

    A parcel can be turned, so only the sorted sides matter. Limits left empty are unlimited.
    """
    limits = [option.max_length_mm, option.max_width_mm, option.max_height_mm]
    if all(limit is None for limit in limits):
        return None
    # An unset limit is unlimited in its own place (length, width or height); only a complete
    # set is sorted, which forgives limits entered in another order.
    bounds = [limit if limit is not None else 10**9 for limit in limits]
    if None not in limits:
        bounds.sort(reverse=True)
    for line in session.order.lines:
        sides = [s for s in (line.length_mm, line.width_mm, line.height_mm) if s is not None]
        if not sides:
            continue
        sides = sorted(sides, reverse=True)
        for side, bound in zip(sides, bounds, strict=False):
            if side > bound:
                size = "x".join(str(s) for s in sides)
                return _skip(option, "dimensions", f"{line.reference or 'a line'} ({size} mm)")
    return None


def rule_tags(option: DeliveryOption, session: Session) -> SkippedOption | None:
    tags = order_tags(session)
    missing = [t for t in option.required_tags if t not in tags]
    if missing:
        return _skip(option, "required_tags", f"missing tag {', '.join(missing)}")
    excluded = [t for t in option.excluded_tags if t in tags]
    if excluded:
        return _skip(option, "excluded_tags", f"order has tag {', '.join(excluded)}")
    return None


def rule_customer_type(option: DeliveryOption, session: Session) -> SkippedOption | None:
    # Klarna Checkout's default customer is a person; an absent type is read as one.
    customer_type = session.recipient.customer_type or "person"
    if option.customer_types and customer_type not in option.customer_types:
        return _skip(option, "customer_type", f"not offered to {customer_type}")
    return None


RULES: tuple[Rule, ...] = (
    rule_currency,
    rule_country,
    rule_postal_code,
    rule_weight,
    rule_dimensions,
    rule_tags,
    rule_customer_type,
)


def option_conditions_check(*, option: DeliveryOption, session: Session) -> SkippedOption | None:
    """The first condition the session fails, or None when the option may be offered."""
    for rule in RULES:
        skipped = rule(option, session)
        if skipped is not None:
            return skipped
    return None
