"""option_conditions_check: each condition alone, passing and failing, on unsaved options."""

from __future__ import annotations

from typing import Any

from carriers.types import Address
from merchants.models import DeliveryOption, OptionKind
from tms_gateway.checkout.rules import option_conditions_check, order_weight_g, postal_code_matches
from tms_gateway.checkout.types import Order, OrderLine, Recipient, Session, SkippedOption


def _option(**fields: Any) -> DeliveryOption:
    values: dict[str, Any] = {
        "code": "pn-home",
        "kind": OptionKind.HOME,
        "carrier": "postnord",
        "carrier_product": "17",
        "names": {"en": "Home delivery"},
        "prices": {"SEK": 4900},
    }
    values.update(fields)
    return DeliveryOption(**values)


def _session(
    *,
    currency: str = "SEK",
    country: str = "SE",
    postal_code: str = "11151",
    customer_type: str = "",
    order: Order | None = None,
) -> Session:
    return Session(
        currency=currency,
        locale="sv-SE",
        order=order or Order(),
        recipient=Recipient(
            address=Address(country=country, postal_code=postal_code),
            customer_type=customer_type,
        ),
    )


def _order_with_line(**line: Any) -> Order:
    return Order(lines=(OrderLine(reference="sku-1", **line),))


# --- currency ---------------------------------------------------------------------------------


def test_an_option_priced_in_the_session_currency_passes() -> None:
    option = _option(prices={"SEK": 4900, "EUR": 490})

    assert option_conditions_check(option=option, session=_session(currency="EUR")) is None


def test_an_option_without_a_price_in_the_session_currency_is_skipped() -> None:
    option = _option(prices={"SEK": 4900})

    skipped = option_conditions_check(option=option, session=_session(currency="NOK"))

    assert skipped == SkippedOption(id="pn-home", reason="currency", detail="no price in NOK")


# --- country ----------------------------------------------------------------------------------


def test_an_option_without_countries_is_offered_in_any_country() -> None:
    option = _option(countries=[])

    assert option_conditions_check(option=option, session=_session(country="US")) is None


def test_a_recipient_in_one_of_the_countries_passes() -> None:
    option = _option(countries=["SE", "FI"])

    assert option_conditions_check(option=option, session=_session(country="FI")) is None


def test_a_recipient_without_a_country_passes_the_country_rule() -> None:
    option = _option(countries=["SE"])

    assert option_conditions_check(option=option, session=_session(country="")) is None


def test_a_recipient_in_another_country_is_skipped() -> None:
    option = _option(countries=["SE", "FI"])

    skipped = option_conditions_check(option=option, session=_session(country="NO"))

    assert skipped == SkippedOption(
        id="pn-home", reason="country", detail="NO is not one of SE, FI"
    )


# --- postal codes -----------------------------------------------------------------------------


def test_a_postal_code_with_the_prefix_passes() -> None:
    option = _option(postal_codes=["11"])

    assert option_conditions_check(option=option, session=_session(postal_code="11151")) is None


def test_a_postal_code_without_the_prefix_is_skipped() -> None:
    option = _option(postal_codes=["11"])

    skipped = option_conditions_check(option=option, session=_session(postal_code="12345"))

    assert skipped == SkippedOption(
        id="pn-home", reason="postal_code", detail="12345 is outside 11"
    )


def test_a_postal_code_with_a_space_matches_the_prefix() -> None:
    option = _option(postal_codes=["11"])

    assert option_conditions_check(option=option, session=_session(postal_code="111 51")) is None


def test_a_postal_code_with_a_space_outside_the_rules_is_skipped_with_the_code_as_sent() -> None:
    option = _option(postal_codes=["11", "20000-29999"])

    skipped = option_conditions_check(option=option, session=_session(postal_code="311 51"))

    assert skipped == SkippedOption(
        id="pn-home", reason="postal_code", detail="311 51 is outside 11, 20000-29999"
    )


def test_the_bounds_of_a_postal_code_range_are_inclusive() -> None:
    option = _option(postal_codes=["20000-29999"])

    low = option_conditions_check(option=option, session=_session(postal_code="20000"))
    high = option_conditions_check(option=option, session=_session(postal_code="29999"))
    inside_with_space = option_conditions_check(
        option=option, session=_session(postal_code="250 01")
    )

    assert low is None
    assert high is None
    assert inside_with_space is None


def test_postal_codes_just_outside_a_range_are_skipped() -> None:
    option = _option(postal_codes=["20000-29999"])

    below = option_conditions_check(option=option, session=_session(postal_code="19999"))
    above = option_conditions_check(option=option, session=_session(postal_code="30000"))

    assert below == SkippedOption(
        id="pn-home", reason="postal_code", detail="19999 is outside 20000-29999"
    )
    assert above == SkippedOption(
        id="pn-home", reason="postal_code", detail="30000 is outside 20000-29999"
    )


def test_an_alphanumeric_dutch_postal_code_matches_a_numeric_prefix() -> None:
    option = _option(postal_codes=["1012"])

    assert option_conditions_check(option=option, session=_session(postal_code="1012 AB")) is None


def test_an_alphanumeric_dutch_postal_code_outside_the_prefix_is_skipped() -> None:
    option = _option(postal_codes=["1012"])

    skipped = option_conditions_check(option=option, session=_session(postal_code="1013 AB"))

    assert skipped == SkippedOption(
        id="pn-home", reason="postal_code", detail="1013 AB is outside 1012"
    )


def test_a_lower_case_british_postal_code_matches_an_upper_case_prefix() -> None:
    option = _option(postal_codes=["SW1"])

    passing = option_conditions_check(option=option, session=_session(postal_code="sw1a 1aa"))
    failing = option_conditions_check(option=option, session=_session(postal_code="EC1A 1BB"))

    assert passing is None
    assert failing == SkippedOption(
        id="pn-home", reason="postal_code", detail="EC1A 1BB is outside SW1"
    )


def test_a_session_without_a_postal_code_passes_the_postal_code_rule() -> None:
    option = _option(postal_codes=["11"])

    assert option_conditions_check(option=option, session=_session(postal_code="")) is None


def test_postal_code_matches_prefixes_after_normalising_the_code() -> None:
    assert postal_code_matches(postal_code="111 51", rule="11") is True
    assert postal_code_matches(postal_code="1012 ab", rule="1012AB") is True
    assert postal_code_matches(postal_code="00-950", rule="00950") is True
    assert postal_code_matches(postal_code="12345", rule="11") is False


def test_postal_code_matches_numeric_ranges_inclusively() -> None:
    assert postal_code_matches(postal_code="20000", rule="20000-29999") is True
    assert postal_code_matches(postal_code="29999", rule="20000-29999") is True
    assert postal_code_matches(postal_code="19999", rule="20000-29999") is False
    assert postal_code_matches(postal_code="30000", rule="20000-29999") is False


def test_postal_code_matches_a_range_on_the_leading_characters() -> None:
    assert postal_code_matches(postal_code="15000", rule="100-199") is True
    assert postal_code_matches(postal_code="20000", rule="100-199") is False
    # a code shorter than the bounds cannot be compared and does not match
    assert postal_code_matches(postal_code="2500", rule="20000-29999") is False


def test_postal_code_matches_alphanumeric_ranges() -> None:
    assert postal_code_matches(postal_code="1050 BC", rule="1000AA-1099ZZ") is True
    assert postal_code_matches(postal_code="1100 AA", rule="1000AA-1099ZZ") is False


# --- weight -----------------------------------------------------------------------------------


def test_order_weight_uses_the_order_total_weight_when_given() -> None:
    order = Order(
        total_weight_g=1500,
        lines=(OrderLine(quantity=2, unit_weight_g=1000),),
    )

    assert order_weight_g(_session(order=order)) == 1500


def test_order_weight_sums_unit_weights_times_quantities() -> None:
    order = Order(
        lines=(
            OrderLine(quantity=2, unit_weight_g=600),
            OrderLine(quantity=1, unit_weight_g=500),
            OrderLine(quantity=3, unit_weight_g=None),
        )
    )

    assert order_weight_g(_session(order=order)) == 1700


def test_order_weight_is_unknown_when_no_line_has_a_weight() -> None:
    order = Order(lines=(OrderLine(quantity=2),))

    assert order_weight_g(_session(order=order)) is None


def test_the_order_total_weight_is_checked_rather_than_the_lines() -> None:
    option = _option(max_total_weight_g=2000)
    order = Order(total_weight_g=1500, lines=(OrderLine(quantity=3, unit_weight_g=1000),))

    assert option_conditions_check(option=option, session=_session(order=order)) is None


def test_an_order_total_weight_over_the_limit_is_skipped() -> None:
    option = _option(max_total_weight_g=2000)
    order = Order(total_weight_g=2500, lines=(OrderLine(quantity=1, unit_weight_g=100),))

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(id="pn-home", reason="weight", detail="2500 g is over 2000 g")


def test_an_order_weighing_exactly_the_limit_passes() -> None:
    option = _option(max_total_weight_g=1700)
    order = Order(
        lines=(OrderLine(quantity=2, unit_weight_g=600), OrderLine(quantity=1, unit_weight_g=500))
    )

    assert option_conditions_check(option=option, session=_session(order=order)) is None


def test_an_order_one_gram_over_the_limit_is_skipped() -> None:
    option = _option(max_total_weight_g=1699)
    order = Order(
        lines=(OrderLine(quantity=2, unit_weight_g=600), OrderLine(quantity=1, unit_weight_g=500))
    )

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(id="pn-home", reason="weight", detail="1700 g is over 1699 g")


def test_an_order_of_unknown_weight_passes_the_weight_rule() -> None:
    option = _option(max_total_weight_g=1)
    order = Order(lines=(OrderLine(quantity=5),))

    assert option_conditions_check(option=option, session=_session(order=order)) is None


# --- dimensions -------------------------------------------------------------------------------


def test_a_parcel_that_fits_only_when_turned_passes() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)
    # as listed, its width (500) is over the width limit (400); turned, it is 500x300x200
    order = _order_with_line(length_mm=300, width_mm=500, height_mm=200)

    assert option_conditions_check(option=option, session=_session(order=order)) is None


def test_a_parcel_exactly_at_the_limits_passes() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)
    order = _order_with_line(length_mm=600, width_mm=400, height_mm=300)

    assert option_conditions_check(option=option, session=_session(order=order)) is None


def test_a_parcel_with_a_side_too_long_is_skipped() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)
    order = _order_with_line(length_mm=100, width_mm=700, height_mm=100)

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(
        id="pn-home", reason="dimensions", detail="sku-1 (700x100x100 mm)"
    )


def test_a_parcel_too_thick_even_when_turned_is_skipped() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)
    order = _order_with_line(length_mm=350, width_mm=350, height_mm=350)

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(
        id="pn-home", reason="dimensions", detail="sku-1 (350x350x350 mm)"
    )


def test_an_unnamed_line_is_called_a_line_in_the_detail() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)
    order = Order(lines=(OrderLine(length_mm=700, width_mm=100, height_mm=100),))

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(
        id="pn-home", reason="dimensions", detail="a line (700x100x100 mm)"
    )


def test_lines_without_dimensions_pass_the_dimensions_rule() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)
    order = Order(lines=(OrderLine(reference="gift-card"), OrderLine(reference="sku-2")))

    assert option_conditions_check(option=option, session=_session(order=order)) is None


def test_one_line_too_big_among_fitting_lines_is_skipped() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)
    order = Order(
        lines=(
            OrderLine(reference="sku-1", length_mm=300, width_mm=200, height_mm=100),
            OrderLine(reference="sku-2"),
            OrderLine(reference="sku-3", length_mm=610, width_mm=200, height_mm=100),
        )
    )

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(
        id="pn-home", reason="dimensions", detail="sku-3 (610x200x100 mm)"
    )


def test_a_line_with_only_some_sides_is_checked_on_those_sides() -> None:
    option = _option(max_length_mm=600, max_width_mm=400, max_height_mm=300)

    fitting = option_conditions_check(
        option=option, session=_session(order=_order_with_line(length_mm=600))
    )
    too_long = option_conditions_check(
        option=option, session=_session(order=_order_with_line(length_mm=700))
    )

    assert fitting is None
    assert too_long == SkippedOption(id="pn-home", reason="dimensions", detail="sku-1 (700 mm)")


def test_an_option_without_size_limits_takes_any_parcel() -> None:
    option = _option()
    order = _order_with_line(length_mm=5000, width_mm=5000, height_mm=5000)

    assert option_conditions_check(option=option, session=_session(order=order)) is None


def test_only_a_height_limit_bounds_the_thinnest_side() -> None:
    option = _option(kind=OptionKind.MAILBOX, max_height_mm=30)

    thin = option_conditions_check(
        option=option,
        session=_session(order=_order_with_line(length_mm=300, width_mm=200, height_mm=30)),
    )
    thick = option_conditions_check(
        option=option,
        session=_session(order=_order_with_line(length_mm=300, width_mm=200, height_mm=40)),
    )

    assert thin is None
    assert thick == SkippedOption(id="pn-home", reason="dimensions", detail="sku-1 (300x200x40 mm)")


def test_only_a_length_limit_refuses_a_longer_parcel() -> None:
    option = _option(max_length_mm=1200)
    order = _order_with_line(length_mm=1800, width_mm=200, height_mm=100)

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(
        id="pn-home", reason="dimensions", detail="sku-1 (1800x200x100 mm)"
    )


def test_length_and_width_limits_without_height_bound_the_two_longest_sides() -> None:
    option = _option(max_length_mm=600, max_width_mm=400)

    fits = option_conditions_check(
        option=option,
        session=_session(order=_order_with_line(length_mm=600, width_mm=400, height_mm=390)),
    )
    too_long = option_conditions_check(
        option=option,
        session=_session(order=_order_with_line(length_mm=1800, width_mm=200, height_mm=100)),
    )

    assert fits is None
    assert too_long == SkippedOption(
        id="pn-home", reason="dimensions", detail="sku-1 (1800x200x100 mm)"
    )


def test_only_a_length_limit_takes_a_parcel_within_it() -> None:
    option = _option(max_length_mm=600)
    order = _order_with_line(length_mm=500, width_mm=100, height_mm=50)

    assert option_conditions_check(option=option, session=_session(order=order)) is None


# --- tags -------------------------------------------------------------------------------------


def test_a_required_tag_on_the_order_passes() -> None:
    option = _option(required_tags=["member"])

    skipped = option_conditions_check(
        option=option, session=_session(order=Order(tags=("member",)))
    )

    assert skipped is None


def test_a_required_tag_on_a_line_passes() -> None:
    option = _option(required_tags=["member"])
    order = Order(lines=(OrderLine(tags=("sale",)), OrderLine(tags=("member",))))

    assert option_conditions_check(option=option, session=_session(order=order)) is None


def test_a_missing_required_tag_is_skipped() -> None:
    option = _option(required_tags=["member", "sale"])
    order = Order(tags=("sale",), lines=(OrderLine(tags=("bulky",)),))

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(
        id="pn-home", reason="required_tags", detail="missing tag member"
    )


def test_an_excluded_tag_on_the_order_is_skipped() -> None:
    option = _option(excluded_tags=["bulky"])

    skipped = option_conditions_check(option=option, session=_session(order=Order(tags=("bulky",))))

    assert skipped == SkippedOption(
        id="pn-home", reason="excluded_tags", detail="order has tag bulky"
    )


def test_an_excluded_tag_on_a_line_is_skipped() -> None:
    option = _option(excluded_tags=["bulky"])
    order = Order(tags=("member",), lines=(OrderLine(tags=("bulky",)),))

    skipped = option_conditions_check(option=option, session=_session(order=order))

    assert skipped == SkippedOption(
        id="pn-home", reason="excluded_tags", detail="order has tag bulky"
    )


def test_an_order_without_the_excluded_tag_passes() -> None:
    option = _option(excluded_tags=["bulky"])
    order = Order(tags=("member",), lines=(OrderLine(tags=("sale",)),))

    assert option_conditions_check(option=option, session=_session(order=order)) is None


# --- customer type ----------------------------------------------------------------------------


def test_an_organization_only_option_is_offered_to_an_organization() -> None:
    option = _option(customer_types=["organization"])

    skipped = option_conditions_check(option=option, session=_session(customer_type="organization"))

    assert skipped is None


def test_an_organization_only_option_is_refused_to_a_person() -> None:
    option = _option(customer_types=["organization"])

    skipped = option_conditions_check(option=option, session=_session(customer_type="person"))

    assert skipped == SkippedOption(
        id="pn-home", reason="customer_type", detail="not offered to person"
    )


def test_an_organization_only_option_is_refused_when_the_type_is_missing() -> None:
    option = _option(customer_types=["organization"])

    skipped = option_conditions_check(option=option, session=_session(customer_type=""))

    assert skipped == SkippedOption(
        id="pn-home", reason="customer_type", detail="not offered to person"
    )


def test_an_option_without_customer_types_is_offered_to_anyone() -> None:
    option = _option(customer_types=[])

    person = option_conditions_check(option=option, session=_session(customer_type="person"))
    organization = option_conditions_check(
        option=option, session=_session(customer_type="organization")
    )

    assert person is None
    assert organization is None


# --- the first failing condition --------------------------------------------------------------


def test_the_first_failing_condition_is_the_one_reported() -> None:
    option = _option(prices={"EUR": 490}, countries=["FI"], customer_types=["organization"])

    skipped = option_conditions_check(option=option, session=_session(country="SE"))

    assert skipped == SkippedOption(id="pn-home", reason="currency", detail="no price in SEK")
