"""Staff sign in to the admin in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_sign_in_to_the_admin(page: Any, live_server: Any) -> None:
    User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-ops-123456")
    page.click("input[type=submit]")

    page.wait_for_selector("#site-name")
    # the admin is branded as the gateway (issue 15 item 4)
    assert "Onboard and support shops" in page.content()
    assert "TMS gateway" in page.inner_text("#site-name")
    screenshot(page, "admin-home")
