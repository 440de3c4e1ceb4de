"""Money helpers: integer minor units, tax included; tax rates with two implied decimals."""

from babel.core import get_global

# Currency codes in use: legal tender somewhere today by CLDR (babel's data, no end date), and
# three ISO 4217 still lists that CLDR has retired (ANG → XCG, BGN → EUR, SVC → USD). Used to
# tell an unknown code (malformed request) from a real currency the shop has no prices in
# (currency_not_supported).
ISO_4217_CODES = frozenset(
    code
    for currencies in get_global("territory_currencies").values()
    for code, _start, end, tender in currencies
    if tender and end is None
) | {"ANG", "BGN", "SVC"}


def is_currency(code: str) -> bool:
    return code in ISO_4217_CODES


def tax_amount(*, price: int, tax_rate: int) -> int:
    """Tax included in ``price`` (minor units) at ``tax_rate`` (2500 = 25 %)."""
    if price == 0 or tax_rate == 0:
        return 0
    return price - round(price * 10000 / (10000 + tax_rate))


def minor_unit_exponent(code: str) -> int:
    """How many decimals the currency has (CLDR by babel): 2 for SEK, 0 for JPY."""
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(code))
