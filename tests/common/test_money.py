"""Currency codes and decimals come from babel (CLDR); the ones the gateway meets are pinned."""

from __future__ import annotations

import pytest

from carriers.bring import mappers
from tms_gateway.common.money import ISO_4217_CODES, is_currency


@pytest.mark.parametrize(
    "code", ["SEK", "NOK", "DKK", "EUR", "CHF", "GBP", "USD", "JPY", "ISK", "XCG", "ZWG", "BGN"]
)
def test_currencies_in_use_are_known(code: str) -> None:
    assert is_currency(code)


@pytest.mark.parametrize("code", ["XXX", "XYZ", "XAU", "DEM", "SEK ", "sek", ""])
def test_other_codes_are_not(code: str) -> None:
    assert not is_currency(code)


def test_the_list_has_iso_4217s_active_currencies() -> None:
    assert len(ISO_4217_CODES) == 156


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("938.70", "NOK", 93870), ("1.5", "EUR", 150), ("1500", "ISK", 1500), ("99", "JPY", 99)],
)
def test_prices_have_their_currencys_decimals(amount: str, currency: str, minor: int) -> None:
    assert mappers.minor_units(amount, currency) == minor
