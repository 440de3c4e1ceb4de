"""The shopper texts of refused /shipment calls come from the app's gettext catalogues."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import translation

from tms_gateway.ksa import messages
from tms_gateway.ksa.messages import LANGUAGES, MESSAGES, message_for

LOCALE_DIR = Path(messages.__file__).parent / "locale"


def _po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated_in_every_language(language: str) -> None:
    with _po_path(language).open("rb") as po:
        catalog = read_po(po)
    entries = {message.id: message for message in catalog if message.id}
    assert set(entries) == set(MESSAGES.values()), "the .po msgids are exactly MESSAGES' texts"
    for entry in entries.values():
        assert isinstance(entry.string, str) and entry.string.strip(), entry.id
        assert not entry.fuzzy, entry.id
        assert entry.string != entry.id, entry.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language: str) -> None:
    with _po_path(language).open("rb") as po:
        catalog = read_po(po)
    with _po_path(language).with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in catalog:
        if entry.id:
            assert compiled.gettext(str(entry.id)) == entry.string, "run compilemessages"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_gets_its_translation(language: str) -> None:
    with _po_path(language).open("rb") as po:
        translated = {message.id: message.string for message in read_po(po) if message.id}
    for code, english in MESSAGES.items():
        text = message_for(code=code, locale=language)
        assert text == translated[english], (code, language)
        assert text != english, (code, language)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("sv-SE", "Ditt leveransval har gått ut. Välj leveranssätt igen."),
        ("SV_se", "Ditt leveransval har gått ut. Välj leveranssätt igen."),
        ("nb-NO", "Leveringsvalget ditt er utløpt. Velg leveringsmåte på nytt."),
        ("no", "Leveringsvalget ditt er utløpt. Velg leveringsmåte på nytt."),
        ("nn-NO", "Leveringsvalget ditt er utløpt. Velg leveringsmåte på nytt."),
        ("da-DK", "Dit leveringsvalg er udløbet. Vælg venligst en leveringsmetode igen."),
        ("fi-FI", "Toimitusvalintasi on vanhentunut. Valitse toimitustapa uudelleen."),
        ("de-AT", "Ihre Versandauswahl ist abgelaufen. Bitte wählen Sie erneut eine Versandart."),
        ("nl-BE", "Uw verzendkeuze is verlopen. Kies opnieuw een verzendmethode."),
        ("en-GB", "Your delivery choice has expired. Please choose a delivery option again."),
        ("", "Your delivery choice has expired. Please choose a delivery option again."),
        ("pl-PL", "Your delivery choice has expired. Please choose a delivery option again."),
        ("../sv", "Your delivery choice has expired. Please choose a delivery option again."),
    ],
)
def test_the_text_follows_the_locale(locale: str, text: str) -> None:
    assert message_for(code="reservation_expired", locale=locale) == text


def test_an_unknown_code_has_no_text() -> None:
    assert message_for(code="no_such_code", locale="sv-SE") is None


def test_the_active_language_is_left_alone() -> None:
    with translation.override("de"):
        assert message_for(code="currency_not_supported", locale="fi-FI") == (
            "Toimitusta ei voida tarjota tässä valuutassa."
        )
        assert translation.get_language() == "de"
    assert message_for(code="currency_not_supported", locale="sv") == (
        "Leverans kan inte erbjudas i den här valutan."
    )
