"""Security review (issue 13, item 9): the invitation mail's subject is plain text, not HTML:
a shop named ``Bröd & Co <Malmö>`` is not sent as ``Bröd &amp; Co &lt;Malmö&gt;``."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def test_the_invitation_subject_and_body_carry_the_shop_name_as_typed(staff: Client) -> None:
    # given
    merchant = MerchantFactory.create(name="Bröd & Co <Malmö> \"Öst\" 'Väst'")

    # when
    response = staff.post(
        f"/admin/merchants/merchant/{merchant.pk}/invite/", {"email": "eva@brod.example"}
    )

    # then
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == (
        "You are invited to the delivery portal of Bröd & Co <Malmö> \"Öst\" 'Väst'"
    )
    assert "&amp;" not in message.subject and "&lt;" not in message.subject
    assert "delivery portal of Bröd & Co <Malmö> \"Öst\" 'Väst', where" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body
