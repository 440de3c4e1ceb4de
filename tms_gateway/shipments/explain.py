"""Why a booking failed, said plainly in the reader's language: what went wrong, who can fix
it and what the shop can do, with the carrier's own words kept beside the explanation.

The stored data stays as it was written (``Shipment.booking_error`` and ``ShipmentEvent.reason``
are English notes in the booking service's shapes, with the carrier's words verbatim); this
module reads them. A failure's shape says its kind (``refused by <carrier>: …``, ``carrier
unavailable for too long: …``, ``cannot book: …``); inside a refusal the carrier's words say the
cause: carriers name the field they refuse (``postalCode``, ``recipient.phone``) or describe it
(``Post code '99999' not found``, ``Unauthorized``). A refusal nothing here recognises is the
partner's to read: the explanation never guesses that the shop can fix it.

Every text is translated when it is read (``gettext``), so call these inside the language the
page or the e-mail is in.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from .models import Shipment, ShipmentStatus

S = ShipmentStatus

#: What the booking service writes (booking.py); read back here.
REFUSED_PREFIX = re.compile(r"^refused by (?P<carrier>[^:]+): (?P<words>.*)$", re.S)
UNAVAILABLE_PREFIX = "carrier unavailable for too long: "
UNKNOWN_OUTCOME_NOTE = " (an attempt may have reached the carrier: check before retrying)"
CANNOT_BOOK_PREFIX = "cannot book: "
MAYBE_BOOKED = "which cannot be asked by reference"

#: The reason of the history entry a shop writes when it asks partner staff to fix a failure.
PARTNER_REQUESTED = "the shop asked partner staff to fix the cause"


class Fixer(enum.StrEnum):
    SHOP = "shop"
    PARTNER = "partner"
    NOBODY = "nobody"


class Cause(enum.StrEnum):
    POSTAL_CODE = "postal_code"
    PHONE = "phone"
    ADDRESS = "address"
    WEIGHT = "weight"
    LOCATION = "location"
    CREDENTIALS = "credentials"
    PRODUCT = "product"
    AGREEMENT = "agreement"
    MAYBE_BOOKED = "maybe_booked"
    UNSUPPORTED = "unsupported"
    CARRIER_DOWN = "carrier_down"
    REFUSED = "refused"


FIXER: dict[Cause, Fixer] = {
    Cause.POSTAL_CODE: Fixer.SHOP,
    Cause.PHONE: Fixer.SHOP,
    Cause.ADDRESS: Fixer.SHOP,
    Cause.WEIGHT: Fixer.SHOP,
    Cause.LOCATION: Fixer.SHOP,
    Cause.CREDENTIALS: Fixer.PARTNER,
    Cause.PRODUCT: Fixer.PARTNER,
    Cause.AGREEMENT: Fixer.PARTNER,
    Cause.MAYBE_BOOKED: Fixer.PARTNER,
    Cause.UNSUPPORTED: Fixer.PARTNER,
    Cause.REFUSED: Fixer.PARTNER,
    Cause.CARRIER_DOWN: Fixer.NOBODY,
}

#: Causes a new attempt can cure: the carrier answering again, or the partner having fixed the
#: agreement, credentials or product. Not the shopper's data (the booking sends the same data
#: again) and not an attempt that may have booked already (a second one could book twice).
RETRY_HELPS = frozenset(
    {Cause.CARRIER_DOWN, Cause.CREDENTIALS, Cause.PRODUCT, Cause.AGREEMENT, Cause.REFUSED}
)

#: Words of the carriers' refusals, in the order they are tried: the first cause whose pattern
#: occurs in the carrier's words (lower case) wins. Credentials before everything (a 401 body
#: may name any field), the postal code and phone before the address they are part of.
_PATTERNS: tuple[tuple[Cause, re.Pattern[str]], ...] = tuple(
    (cause, re.compile(pattern))
    for cause, pattern in (
        (
            Cause.CREDENTIALS,
            r"unauthori[sz]ed|forbidden|api[ _-]?key|credential|authenticat|access denied|"
            r"not authori[sz]ed|invalid token|\btoken\b|customer ?number|customernumber|"
            r"missing_credentials",
        ),
        (
            Cause.POSTAL_CODE,
            r"post(al)?[ _-]?code|postnumm?er|postnr|zip[ _-]?code|\bzip\b|postalcode",
        ),
        (Cause.PHONE, r"phone|mobile|telefon|msisdn|sms[ _-]?number"),
        (
            Cause.LOCATION,
            r"service ?point|pickup[ _-]?point|parcel ?shop|locker|sort_?code|delivery ?point|"
            r"ombud|utlämningsställe",
        ),
        (
            Cause.WEIGHT,
            r"weight|vikt|too heavy|dimension|length|width|height|too (large|big)|volume",
        ),
        (
            Cause.PRODUCT,
            r"product|service ?code|additional service|unknown service|not enabled|"
            r"not activated|agreement|contract",
        ),
        (Cause.ADDRESS, r"address|adress|street|gata|\bcity\b|country|recipient|consignee"),
    )
)


@dataclass(frozen=True)
class FailureExplanation:
    cause: Cause
    fixer: Fixer
    #: What went wrong, in a sentence (translated when built).
    summary: str
    #: Who can fix it, as a heading says it.
    who: str
    #: What the shop can do now.
    advice: str
    #: The carrier's (or the gateway's) own words, verbatim; "" when there are none.
    original: str
    #: A new attempt can help (the portal offers "Retry booking").
    retry_helps: bool
    #: The booking is still being retried by the gateway (not failed yet).
    retrying: bool = False

    @property
    def partner_needed(self) -> bool:
        return self.fixer == Fixer.PARTNER


def failure_cause(reason: str) -> tuple[Cause, str]:
    """The cause of a stored failure note and the carrier's words inside it (the whole note
    when it has no carrier's part)."""
    text = reason.strip()
    if MAYBE_BOOKED in text:
        return Cause.MAYBE_BOOKED, text
    if text.startswith(UNAVAILABLE_PREFIX):
        words = text.removeprefix(UNAVAILABLE_PREFIX).removesuffix(UNKNOWN_OUTCOME_NOTE)
        return Cause.CARRIER_DOWN, words
    if text.startswith(CANNOT_BOOK_PREFIX):
        words = text.removeprefix(CANNOT_BOOK_PREFIX)
        lowered = words.lower()
        if "no agreement" in lowered or "unknown carrier" in lowered:
            return Cause.AGREEMENT, words
        return _words_cause(words, default=Cause.AGREEMENT), words
    refused = REFUSED_PREFIX.match(text)
    if refused:
        words = refused.group("words")
        return _words_cause(words, default=Cause.REFUSED), words
    lowered = text.lower()
    if "not support" in lowered or "offers no" in lowered or "does not offer" in lowered:
        return Cause.UNSUPPORTED, text
    return _words_cause(text, default=Cause.REFUSED), text


def _words_cause(words: str, *, default: Cause) -> Cause:
    lowered = words.lower()
    for cause, pattern in _PATTERNS:
        if pattern.search(lowered):
            return cause
    return default


def _summary(cause: Cause) -> str:
    return {
        Cause.POSTAL_CODE: _("The carrier did not accept the recipient's postal code."),
        Cause.PHONE: _("The carrier did not accept the recipient's phone number."),
        Cause.ADDRESS: _("The carrier did not accept the recipient's address."),
        Cause.WEIGHT: _("The carrier did not accept the parcel's weight or size."),
        Cause.LOCATION: _("The pickup point or parcel locker the shopper chose is not available."),
        Cause.CREDENTIALS: _(
            "The carrier did not accept the login details of your carrier agreement."
        ),
        Cause.PRODUCT: _(
            "The carrier refused the shipping product or a service of this delivery option "
            "for your agreement."
        ),
        Cause.AGREEMENT: _(
            "Your agreement with this carrier is missing or not set up for booking."
        ),
        Cause.MAYBE_BOOKED: _(
            "An earlier attempt may already have booked the parcel, and this carrier cannot "
            "be asked whether it did."
        ),
        Cause.UNSUPPORTED: _("This carrier does not take this booking through its API."),
        Cause.CARRIER_DOWN: _(
            "The carrier's system did not answer for a long time, so the booking stopped."
        ),
        Cause.REFUSED: _("The carrier refused the booking."),
    }[cause]


def _advice(cause: Cause) -> str:
    shopper = _(
        "Check the details with the shopper and correct the order in Klarna's merchant portal; "
        "then book the parcel with the carrier yourself, or cancel this booking."
    )
    return {
        Cause.POSTAL_CODE: shopper,
        Cause.PHONE: shopper,
        Cause.ADDRESS: shopper,
        Cause.WEIGHT: _(
            "Check the weight and size your shop sends to Klarna for these products; then book "
            "the parcel with the carrier yourself, or cancel this booking."
        ),
        Cause.LOCATION: _(
            "Contact the shopper to agree on another pickup point; then book the parcel with "
            "the carrier yourself, or cancel this booking."
        ),
        Cause.CREDENTIALS: _(
            "Ask your partner to check the agreement's login details, then retry the booking."
        ),
        Cause.PRODUCT: _(
            "Ask your partner to check the delivery option's carrier product and your "
            "agreement with the carrier, then retry the booking."
        ),
        Cause.AGREEMENT: _(
            "Ask your partner to set up your agreement with the carrier, then retry the booking."
        ),
        Cause.MAYBE_BOOKED: _(
            "Ask your partner to check with the carrier before anything is booked again."
        ),
        Cause.UNSUPPORTED: _(
            "Ask your partner; meanwhile book the parcel with the carrier yourself."
        ),
        Cause.CARRIER_DOWN: _(
            "The gateway retried automatically. Retry the booking now; if it fails again, ask "
            "your partner."
        ),
        Cause.REFUSED: _(
            "Ask your partner to read the carrier's message below; retry once it is fixed."
        ),
    }[cause]


def _who(fixer: Fixer) -> str:
    return {
        Fixer.SHOP: _("You can fix this"),
        Fixer.PARTNER: _("Your partner needs to fix this"),
        Fixer.NOBODY: _("Nobody needs to fix this"),
    }[fixer]


def failure_explain(shipment: Shipment) -> FailureExplanation | None:
    """The failed booking explained; a booking the gateway is still retrying (the carrier not
    answering) is explained as such; None for every other booking."""
    if shipment.status == S.FAILED:
        cause, words = failure_cause(shipment.booking_error)
        retrying = False
    elif shipment.status in (S.CONFIRMED, S.BOOKING) and shipment.booking_error:
        cause, words = Cause.CARRIER_DOWN, shipment.booking_error
        retrying = True
    else:
        return None
    fixer = FIXER[cause]
    if retrying:
        advice = _("Nothing to do: the gateway keeps trying and the booking updates by itself.")
        summary = _("The carrier's system is not answering at the moment.")
    else:
        advice, summary = _advice(cause), _summary(cause)
    return FailureExplanation(
        cause=cause,
        fixer=fixer,
        summary=summary,
        who=_who(fixer),
        advice=advice,
        original=words,
        retry_helps=not retrying and cause in RETRY_HELPS,
        retrying=retrying,
    )


# --- the history ------------------------------------------------------------------------------

#: Fixed notes of the services, translated (lazily: the table is built at import).
_FIXED = {
    "retry requested": gettext_lazy("retry requested"),
    "delivered by the shop": gettext_lazy("delivered by the shop"),
    "cancelled": gettext_lazy("cancelled"),
    "dismissed: the order was not paid": gettext_lazy("dismissed: the order was not paid"),
    "not confirmed within the reservation lifetime": gettext_lazy(
        "not confirmed within the reservation lifetime"
    ),
    "purchase completed": gettext_lazy("purchase completed"),
    "confirmed by the shop's order flow": gettext_lazy("confirmed by your order flow"),
    "Klarna's checkout order is complete": gettext_lazy("Klarna's checkout order is complete"),
    "confirmed by hand": gettext_lazy("confirmed by hand"),
    "POST again": gettext_lazy("chosen again in the checkout"),
    "PUT": gettext_lazy("changed in the checkout"),
    PARTNER_REQUESTED: gettext_lazy("you asked partner staff to fix the cause"),
}
_ATTEMPT = re.compile(r"^attempt (?P<n>\d+)$")
_BOOKED = re.compile(r"^(?P<how>booked|found by reference): (?P<id>.*)$", re.S)
_UNAVAILABLE = re.compile(
    r"^carrier unavailable \((?P<words>.*)\); retry in (?P<seconds>\d+) s$", re.S
)
_RESERVED = re.compile(r"^reserved (?P<option>\S+)$")
_CONFIRMED = re.compile(
    r"^(?P<base>.+?)(?: \(order (?P<ref>.*)\))?(?P<late>, after the reservation lifetime)?$",
    re.S,
)
_ABANDONED = re.compile(r"^checkout abandoned: Klarna's order is (?P<status>.*)$")


@dataclass(frozen=True)
class HistoryReason:
    """A history entry's reason as the shop reads it: ``text`` in its language and, when the
    text explains rather than translates, ``original`` (the stored note, carrier's words and
    all)."""

    text: str
    original: str = ""


def reason_explain(*, reason: str, to_status: str) -> HistoryReason:
    """The stored reason of a history entry in the current language; a reason this does not
    know is shown as stored."""
    if not reason:
        return HistoryReason("")
    if reason in _FIXED:
        return HistoryReason(str(_FIXED[reason]))
    if match := _ATTEMPT.match(reason):
        return HistoryReason(_("attempt %(number)s") % {"number": match["n"]})
    if match := _BOOKED.match(reason):
        text = (
            _("booked with the carrier: %(id)s")
            if match["how"] == "booked"
            else _("found at the carrier by its reference: %(id)s")
        )
        return HistoryReason(text % {"id": match["id"]})
    if match := _UNAVAILABLE.match(reason):
        return HistoryReason(
            _("the carrier did not answer; next try in %(seconds)s s")
            % {"seconds": match["seconds"]},
            original=match["words"],
        )
    if match := _RESERVED.match(reason):
        return HistoryReason(_("reserved %(option)s") % {"option": match["option"]})
    if match := _ABANDONED.match(reason):
        return HistoryReason(
            _("checkout abandoned: Klarna's order is %(status)s") % {"status": match["status"]}
        )
    if to_status == S.FAILED:
        cause, words = failure_cause(reason)
        return HistoryReason(_summary(cause), original=words)
    if to_status == S.CONFIRMED and (match := _CONFIRMED.match(reason)):
        base = _FIXED.get(match["base"])
        if base is not None:
            text = str(base)
            if match["ref"]:
                text += " " + _("(order %(reference)s)") % {"reference": match["ref"]}
            if match["late"]:
                text += ", " + _("after the reservation lifetime")
            return HistoryReason(text)
    return HistoryReason(reason)


def actor_explain(actor: str) -> str:
    """Who made a change, as the shop reads it: the gateway in its language, else as stored
    (klarna, a person)."""
    if actor == "system":
        return pgettext("history actor", "the gateway")
    return actor
