"""``manage.py api_token_issue --merchant <slug> --name <what uses it>``: a merchant API token.

For partner staff and scripts (the fault drill) where the portal is not at hand. The token is
printed once, on standard output alone, and only its hash is kept; it is revoked in the portal.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merchants.models import Merchant
from merchants.services import merchant_api_token_issue


class Command(BaseCommand):
    help = "Issue a merchant API token for a shop and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--merchant", required=True, help="the shop's slug")
        parser.add_argument("--name", required=True, help="what will use the token")

    def handle(self, *args: Any, **options: Any) -> None:
        merchant = Merchant.objects.filter(slug=options["merchant"], is_active=True).first()
        if merchant is None:
            raise CommandError(f"No active shop with the slug {options['merchant']!r}.")
        name = str(options["name"]).strip()
        if not name:
            raise CommandError("--name must not be empty.")
        _, token = merchant_api_token_issue(merchant=merchant, name=name, actor=None)
        self.stdout.write(token)
