"""Shopper-readable texts for refusals Klarna shows at checkout, per language.

Klarna shows the ``message`` of a refused /shipment to the shopper: short, polite, and in the
request's locale (English where the language is not listed or no locale is known).

The English texts below are the gettext msgids; the translations live in this app's catalogues,
``tms_gateway/ksa/locale/<language>/LC_MESSAGES/django.po`` (Django finds an installed app's
``locale/`` folder by itself). After changing a text, change its msgid in every ``.po`` file, then
from ``tms_gateway/ksa`` run
``../../.venv/bin/python ../../manage.py compilemessages -l sv -l nb -l da -l fi -l de -l nl``
and commit the ``.mo`` files too.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop, override

# Failure code → the English text (the msgid).
MESSAGES: dict[str, str] = {
    "shipping_option_not_available": gettext_noop(
        "The delivery option you chose is no longer available. Please choose another."
    ),
    "location_not_available": gettext_noop(
        "The pickup point you chose is not available. Please choose another."
    ),
    "timeslot_not_available": gettext_noop(
        "The delivery time you chose is no longer available. Please choose another."
    ),
    "invalid_recipient": gettext_noop(
        "Please check your address and enter a mobile number so the carrier can reach you."
    ),
    "missing_addon_input": gettext_noop("Please fill in the requested delivery details."),
    "invalid_addon_input": gettext_noop(
        "A delivery detail you entered is too long. Please shorten it."
    ),
    "addon_not_available": gettext_noop(
        "A delivery extra you chose is not available. Please review your choice."
    ),
    "currency_not_supported": gettext_noop("Delivery cannot be offered in this currency."),
    "reservation_expired": gettext_noop(
        "Your delivery choice has expired. Please choose a delivery option again."
    ),
    "shipment_not_modifiable": gettext_noop("This order's delivery can no longer be changed."),
}

# The languages tms_gateway/ksa/locale/ translates every text into; any other gets English.
LANGUAGES: tuple[str, ...] = ("sv", "nb", "da", "fi", "de", "nl")

# Norwegian arrives as "no", "nb" or "nn"; one text serves all three.
_LANGUAGE_ALIASES = {"no": "nb", "nn": "nb"}


def message_for(*, code: str, locale: str) -> str | None:
    english = MESSAGES.get(code)
    if english is None:
        return None
    language = locale.split("-")[0].split("_")[0].lower() if locale else "en"
    language = _LANGUAGE_ALIASES.get(language, language)
    # The locale is the shopper's input: only a listed language reaches Django, whose
    # translation cache keeps one catalogue per language it is ever asked for.
    if language not in LANGUAGES:
        return english
    with override(language):
        return gettext(english)
