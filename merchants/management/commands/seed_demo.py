"""``manage.py seed_demo``: create or update the demo shop (local and staging, never production)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from merchants.demo import demo_merchant_seed, demo_users_seed
from tms_gateway.experiments.demo import experiments_demo_seed
from tms_gateway.insights.demo import insights_demo_seed


class Command(BaseCommand):
    help = "Create or update the demo shop with DEMO_KSA_IDENTIFIER / DEMO_KSA_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_SEED_ENABLED:
            raise CommandError(
                "The demo shop is disabled here (DEMO_SEED_ENABLED=False); nothing was written."
            )
        merchant = demo_merchant_seed(
            identifier=settings.DEMO_KSA_IDENTIFIER, key=settings.DEMO_KSA_KEY
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo shop ready: {merchant.name} (slug {merchant.slug!r}, "
                f"public id {merchant.public_id})."
            )
        )
        # The key is never printed: it is whatever DEMO_KSA_KEY holds.
        self.stdout.write(
            f"Klarna identifier: {settings.DEMO_KSA_IDENTIFIER} (key: the value of DEMO_KSA_KEY)"
        )
        self.stdout.write(
            f"{merchant.options.count()} delivery options, {merchant.stores.count()} stores, "
            f"{merchant.agreements.count()} carrier agreements."
        )
        experiments_demo_seed(merchant=merchant)  # a finished experiment, before the roll-ups
        insights_demo_seed(merchant=merchant)  # some weeks of checkout analytics
        demo_users_seed(
            merchant=merchant,
            staff_username=settings.DEMO_STAFF_USERNAME,
            staff_password=settings.DEMO_STAFF_PASSWORD,
            shop_email=settings.DEMO_SHOP_EMAIL,
            shop_password=settings.DEMO_SHOP_PASSWORD,
        )
        self.stdout.write(
            f"Admin user: {settings.DEMO_STAFF_USERNAME}; portal user: {settings.DEMO_SHOP_EMAIL} "
            "(passwords: DEMO_STAFF_PASSWORD, DEMO_SHOP_PASSWORD)."
        )
