"""Staff in the admin: a superuser, a "Support" user and an "Admin" group user; shipments of
the demo shop whose carriers are the test's sandbox."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from merchants.demo import demo_merchant_seed
from merchants.models import Merchant
from tests.conftest import Sandbox

PASSWORD = "pw-staff-123456"


def _staff(username: str, *, group: str | None = None, superuser: bool = False) -> User:
    if superuser:
        return User.objects.create_superuser(username, f"{username}@partner.example", PASSWORD)
    user = User.objects.create_user(
        username, f"{username}@partner.example", PASSWORD, is_staff=True
    )
    if group:
        call_command("staff_roles", stdout=io.StringIO())
        user.groups.add(Group.objects.get(name=group))
    return user


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def superuser() -> User:
    return _staff("root", superuser=True)


@pytest.fixture
def staff(superuser: User) -> Client:
    """A superuser's admin session."""
    return _client(superuser)


@pytest.fixture
def support() -> Client:
    return _client(_staff("sam-support", group="Support"))


@pytest.fixture
def admin_group() -> Client:
    return _client(_staff("ada-admin", group="Admin"))


@pytest.fixture
def demo(sandbox: Sandbox, settings: Any) -> Merchant:
    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    return demo_merchant_seed(identifier="demo", key="demo-key")
