"""Print what a newcomer needs after `make run`: endpoint, demo credentials, example calls."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

_EXAMPLE = """\
  BASE={base}
  NONCE=$(date +%s%N)
  DIGEST=$(printf '%s' "${{NONCE}}{key}" | sha256sum | cut -d' ' -f1)
  TOKEN=$(curl -s -X POST "$BASE/auth" \\
    -H 'Content-Type: application/vdn.klarna.shipping.auth-v1+json' \\
    -d '{{"identifier":"{identifier}","secret":{{"nonce":"'"$NONCE"'","digest":"'"$DIGEST"'"}}}}' \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -s -X POST "$BASE/shippingoptions" -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '{{"currency":"SEK","locale":"sv-SE","order":{{"total_amount":59800,"total_weight":1200}},"recipient":{{"country":"SE","postal_code":"11151","city":"Stockholm","street_address":"Drottninggatan 53"}}}}' \\
    | python3 -m json.tool
"""


class Command(BaseCommand):
    help = "Print the endpoint, the demo credentials and a ready-to-paste example request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000/ksa/v1")

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["base_url"].rstrip("/")
        identifier = settings.DEMO_KSA_IDENTIFIER
        key = settings.DEMO_KSA_KEY
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Klarna Shipping Assistant endpoint: {base}",
                    "  (a merchant enters this as the TMS endpoint in Klarna's portal)",
                    f"Demo shop credentials: identifier {identifier!r}, key {key!r}",
                    f"Partner staff admin: {base.rsplit('/ksa/', 1)[0]}/admin/ "
                    f"({settings.DEMO_STAFF_USERNAME} / {settings.DEMO_STAFF_PASSWORD})",
                    f"Merchant portal:     {base.rsplit('/ksa/', 1)[0]}/portal/ "
                    f"({settings.DEMO_SHOP_EMAIL} / {settings.DEMO_SHOP_PASSWORD})",
                    "",
                    "Play a whole Klarna checkout against it (in another terminal):",
                    f"  .venv/bin/python manage.py ksa_simulate --base-url {base} "
                    f"--identifier {identifier} --key {key}",
                    "",
                    "A paid checkout whose confirm Klarna forgot: the gateway reads the order "
                    "from the sandbox's",
                    "fake Klarna Checkout API and books it a few minutes later (the shop's own "
                    "systems can",
                    "confirm it too, with a token from the portal's API tokens page):",
                    f"  .venv/bin/python manage.py ksa_simulate --base-url {base} "
                    f"--identifier {identifier} --key {key} \\",
                    f"    --checkout-api {settings.CARRIER_SANDBOX_URL or 'http://127.0.0.1:8090'}"
                    "/klarna --no-confirm",
                    "",
                    "Or by hand, with curl:",
                    _EXAMPLE.format(base=base, identifier=identifier, key=key),
                ]
            )
        )
