"""A failed booking explained: the stored note's shape and the carrier's words say the cause,
the cause says who can fix it and whether a retry can help; a refusal nothing recognises is the
partner's, never guessed to be the shop's."""

from __future__ import annotations

import pytest
from django.utils import translation

from tms_gateway.shipments.explain import (
    PARTNER_REQUESTED,
    Cause,
    Fixer,
    failure_cause,
    failure_explain,
    reason_explain,
)
from tms_gateway.shipments.models import Shipment, ShipmentStatus


@pytest.mark.parametrize(
    ("reason", "cause", "words"),
    [
        # recorded carrier error bodies (tests/carriers/*/fixtures), as the booking stores them
        ("refused by DHL: Post code '99999' not found.", Cause.POSTAL_CODE, None),
        ("refused by Budbee: postalCode: invalid", Cause.POSTAL_CODE, None),
        ("refused by Instabox: Unauthorized", Cause.CREDENTIALS, None),
        ("refused by PostNord: HTTP 403 Forbidden", Cause.CREDENTIALS, None),
        ("refused by Bring: Invalid phone number for SMS notification", Cause.PHONE, None),
        ("refused by PostNord: Invalid service point", Cause.LOCATION, None),
        ("refused by Instabox: Locker full", Cause.LOCATION, None),
        ("refused by DHL: Weight exceeds 20 kg", Cause.WEIGHT, None),
        ("refused by PostNord: Unknown product '17'", Cause.PRODUCT, None),
        ("refused by Bring: Street address is missing", Cause.ADDRESS, None),
        ("refused by Budbee: Injected fault: HTTP 400", Cause.REFUSED, "Injected fault: HTTP 400"),
        (
            "carrier unavailable for too long: Injected fault: HTTP 503",
            Cause.CARRIER_DOWN,
            "Injected fault: HTTP 503",
        ),
        (
            "carrier unavailable for too long: timed out (an attempt may have reached the "
            "carrier: check before retrying)",
            Cause.CARRIER_DOWN,
            "timed out",
        ),
        ("cannot book: The shop has no agreement with dhl.", Cause.AGREEMENT, None),
        (
            "an earlier attempt may have booked with Bring, which cannot be asked by reference "
            "(abc); check with the carrier before retrying",
            Cause.MAYBE_BOOKED,
            None,
        ),
        ("instabox cannot book letters", Cause.REFUSED, None),
    ],
)
def test_the_cause_of_a_stored_failure(reason: str, cause: Cause, words: str | None) -> None:
    found, carrier_words = failure_cause(reason)

    assert found is cause
    if words is not None:
        assert carrier_words == words


def failed(error: str, status: str = ShipmentStatus.FAILED) -> Shipment:
    return Shipment(status=status, booking_error=error)


def test_who_fixes_what_and_when_a_retry_helps() -> None:
    shop = failure_explain(failed("refused by DHL: Post code '99999' not found."))
    partner = failure_explain(failed("refused by Instabox: Unauthorized"))
    nobody = failure_explain(failed("carrier unavailable for too long: HTTP 503"))
    maybe = failure_explain(failed("x, which cannot be asked by reference (r)"))

    assert shop is not None and partner is not None and nobody is not None and maybe is not None
    assert (shop.fixer, shop.retry_helps, shop.partner_needed) == (Fixer.SHOP, False, False)
    assert (partner.fixer, partner.retry_helps, partner.partner_needed) == (
        Fixer.PARTNER,
        True,
        True,
    )
    assert (nobody.fixer, nobody.retry_helps) == (Fixer.NOBODY, True)
    # a second attempt could book twice: the partner checks with the carrier first
    assert (maybe.fixer, maybe.retry_helps) == (Fixer.PARTNER, False)
    assert shop.original == "Post code '99999' not found."


def test_a_booking_still_retried_is_explained_as_such_and_others_not_at_all() -> None:
    retrying = failure_explain(failed("HTTP 503", status=ShipmentStatus.CONFIRMED))

    assert retrying is not None
    assert retrying.retrying is True
    assert retrying.retry_helps is False
    assert failure_explain(failed("", status=ShipmentStatus.BOOKED)) is None
    assert failure_explain(failed("", status=ShipmentStatus.CONFIRMED)) is None


def test_history_reasons_in_swedish_with_the_stored_words_kept() -> None:
    with translation.override("sv"):
        assert reason_explain(reason="attempt 3", to_status="booking").text == "försök 3"
        assert reason_explain(reason="booked: PN-1", to_status="booked").text == (
            "bokad hos transportören: PN-1"
        )
        assert reason_explain(reason=PARTNER_REQUESTED, to_status="failed").text == (
            "ni bad partnern att åtgärda orsaken"
        )
        confirmed = reason_explain(
            reason="purchase completed (order 1001), after the reservation lifetime",
            to_status="confirmed",
        )
        assert confirmed.text == (
            "köpet genomfört (order 1001), efter reservationens giltighetstid"
        )
        refused = reason_explain(
            reason="refused by PostNord: Invalid postal code", to_status="failed"
        )
        assert refused.text == "Transportören godtog inte mottagarens postnummer."
        assert refused.original == "Invalid postal code"
        unknown = reason_explain(reason="something new", to_status="booked")
        assert (unknown.text, unknown.original) == ("something new", "")
