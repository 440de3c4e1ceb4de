"""Shopper-readable texts for refusals Klarna shows at checkout, per language.

Klarna shows the ``message`` of a refused /shipment to the shopper: short, polite, and in the
request's locale (English where the language is not listed or no locale is known).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "shipping_option_not_available": {
        "en": "The delivery option you chose is no longer available. Please choose another.",
        "sv": "Leveranssättet du valde är inte längre tillgängligt. Välj ett annat.",
        "nb": "Leveringsmåten du valgte er ikke lenger tilgjengelig. Velg en annen.",
        "da": "Den valgte leveringsmetode er ikke længere tilgængelig. Vælg venligst en anden.",
        "fi": "Valitsemasi toimitustapa ei ole enää saatavilla. Valitse toinen.",
        "de": "Die gewählte Versandart ist nicht mehr verfügbar. Bitte wählen Sie eine andere.",
        "nl": "De gekozen verzendmethode is niet meer beschikbaar. Kies een andere.",
    },
    "location_not_available": {
        "en": "The pickup point you chose is not available. Please choose another.",
        "sv": "Utlämningsstället du valde är inte tillgängligt. Välj ett annat.",
        "nb": "Hentestedet du valgte er ikke tilgjengelig. Velg et annet.",
        "da": "Det valgte afhentningssted er ikke tilgængeligt. Vælg venligst et andet.",
        "fi": "Valitsemasi noutopiste ei ole saatavilla. Valitse toinen.",
        "de": "Die gewählte Abholstelle ist nicht verfügbar. Bitte wählen Sie eine andere.",
        "nl": "Het gekozen afhaalpunt is niet beschikbaar. Kies een ander.",
    },
    "timeslot_not_available": {
        "en": "The delivery time you chose is no longer available. Please choose another.",
        "sv": "Leveranstiden du valde är inte längre tillgänglig. Välj en annan.",
        "nb": "Leveringstiden du valgte er ikke lenger tilgjengelig. Velg en annen.",
        "da": "Det valgte leveringstidspunkt er ikke længere ledigt. Vælg venligst et andet.",
        "fi": "Valitsemasi toimitusaika ei ole enää saatavilla. Valitse toinen.",
        "de": "Das gewählte Lieferzeitfenster ist nicht mehr verfügbar. Bitte wählen Sie ein anderes.",
        "nl": "Het gekozen levertijdvak is niet meer beschikbaar. Kies een ander.",
    },
    "invalid_recipient": {
        "en": "Please check your address and enter a mobile number so the carrier can reach you.",
        "sv": "Kontrollera din adress och ange ett mobilnummer så att transportören kan nå dig.",
        "nb": "Kontroller adressen din og oppgi et mobilnummer slik at transportøren kan nå deg.",
        "da": "Kontrollér din adresse og angiv et mobilnummer, så fragtfirmaet kan kontakte dig.",
        "fi": "Tarkista osoitteesi ja anna matkapuhelinnumero, jotta kuljetusyhtiö tavoittaa sinut.",
        "de": "Bitte prüfen Sie Ihre Adresse und geben Sie eine Mobilnummer für den Zusteller an.",
        "nl": "Controleer uw adres en vul een mobiel nummer in zodat de vervoerder u kan bereiken.",
    },
    "missing_addon_input": {
        "en": "Please fill in the requested delivery details.",
        "sv": "Fyll i de efterfrågade leveransuppgifterna.",
        "nb": "Fyll inn de etterspurte leveringsopplysningene.",
        "da": "Udfyld venligst de ønskede leveringsoplysninger.",
        "fi": "Täytä pyydetyt toimitustiedot.",
        "de": "Bitte füllen Sie die erforderlichen Lieferangaben aus.",
        "nl": "Vul de gevraagde leveringsgegevens in.",
    },
    "invalid_addon_input": {
        "en": "A delivery detail you entered is too long. Please shorten it.",
        "sv": "En leveransuppgift du angav är för lång. Korta ner den.",
        "nb": "En leveringsopplysning du oppga er for lang. Gjør den kortere.",
        "da": "En leveringsoplysning, du har angivet, er for lang. Forkort den venligst.",
        "fi": "Antamasi toimitustieto on liian pitkä. Lyhennä sitä.",
        "de": "Eine Lieferangabe ist zu lang. Bitte kürzen Sie sie.",
        "nl": "Een leveringsgegeven dat u invulde is te lang. Maak het korter.",
    },
    "addon_not_available": {
        "en": "A delivery extra you chose is not available. Please review your choice.",
        "sv": "Ett leveranstillval du valde är inte tillgängligt. Se över ditt val.",
        "nb": "Et leveringstillegg du valgte er ikke tilgjengelig. Se over valget ditt.",
        "da": "Et valgt leveringstilvalg er ikke tilgængeligt. Gennemgå venligst dit valg.",
        "fi": "Valitsemasi toimituksen lisäpalvelu ei ole saatavilla. Tarkista valintasi.",
        "de": "Eine gewählte Zusatzleistung ist nicht verfügbar. Bitte prüfen Sie Ihre Auswahl.",
        "nl": "Een gekozen extra dienst is niet beschikbaar. Controleer uw keuze.",
    },
    "currency_not_supported": {
        "en": "Delivery cannot be offered in this currency.",
        "sv": "Leverans kan inte erbjudas i den här valutan.",
        "nb": "Levering kan ikke tilbys i denne valutaen.",
        "da": "Levering kan ikke tilbydes i denne valuta.",
        "fi": "Toimitusta ei voida tarjota tässä valuutassa.",
        "de": "In dieser Währung kann kein Versand angeboten werden.",
        "nl": "Verzending kan niet in deze valuta worden aangeboden.",
    },
    "reservation_expired": {
        "en": "Your delivery choice has expired. Please choose a delivery option again.",
        "sv": "Ditt leveransval har gått ut. Välj leveranssätt igen.",
        "nb": "Leveringsvalget ditt er utløpt. Velg leveringsmåte på nytt.",
        "da": "Dit leveringsvalg er udløbet. Vælg venligst en leveringsmetode igen.",
        "fi": "Toimitusvalintasi on vanhentunut. Valitse toimitustapa uudelleen.",
        "de": "Ihre Versandauswahl ist abgelaufen. Bitte wählen Sie erneut eine Versandart.",
        "nl": "Uw verzendkeuze is verlopen. Kies opnieuw een verzendmethode.",
    },
    "shipment_not_modifiable": {
        "en": "This order's delivery can no longer be changed.",
        "sv": "Leveransen för den här ordern kan inte längre ändras.",
        "nb": "Leveringen for denne ordren kan ikke lenger endres.",
        "da": "Leveringen af denne ordre kan ikke længere ændres.",
        "fi": "Tämän tilauksen toimitusta ei voi enää muuttaa.",
        "de": "Die Lieferung dieser Bestellung kann nicht mehr geändert werden.",
        "nl": "De levering van deze bestelling kan niet meer worden gewijzigd.",
    },
}

# Norwegian arrives as "no", "nb" or "nn"; one text serves all three.
_LANGUAGE_ALIASES = {"no": "nb", "nn": "nb"}


def message_for(*, code: str, locale: str) -> str | None:
    texts = MESSAGES.get(code)
    if texts is None:
        return None
    language = locale.split("-")[0].split("_")[0].lower() if locale else "en"
    language = _LANGUAGE_ALIASES.get(language, language)
    return texts.get(language, texts["en"])
