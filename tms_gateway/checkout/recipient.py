"""What an option needs of the recipient (a textable mobile number, a street address)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def mobile_number_normalize(*, phone: str, country: str) -> str | None:
    """The number in E.164 when a carrier can text it, else None.

    National formats are read in the recipient's country ("070-123 45 67" in SE).
    """
    if not phone.strip():
        return None
    try:
        number = phonenumbers.parse(phone, country.upper() or None)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
