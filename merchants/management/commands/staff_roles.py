"""Create or update the two staff roles as Django groups (idempotent).

* "Support": view permission on every model of merchants, shipments, carriers, insights
  (carrier health) and experiments: sees everything in the admin, changes nothing and runs no action.
* "Admin": every permission on those models.

A staff user gets a role by joining its group (and ``is_staff`` to reach the admin).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

APPS = ("merchants", "shipments", "carriers", "insights", "experiments")
SUPPORT = "Support"
ADMIN = "Admin"


def staff_roles_sync() -> dict[str, int]:
    """Set both groups' permissions to exactly their role's; returns permissions per group."""
    for label in APPS:
        # Permissions are made after migrate; make sure they exist before granting them.
        create_permissions(apps.get_app_config(label), verbosity=0)
    permissions = Permission.objects.filter(content_type__app_label__in=APPS)
    roles = {
        SUPPORT: permissions.filter(codename__startswith="view_"),
        ADMIN: permissions,
    }
    counts = {}
    with transaction.atomic():
        for name, granted in roles.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.set(granted)
            counts[name] = granted.count()
    return counts


class Command(BaseCommand):
    help = 'Create or update the staff groups "Support" (view only) and "Admin" (everything).'

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in staff_roles_sync().items():
            self.stdout.write(f"{name}: {count} permissions")
