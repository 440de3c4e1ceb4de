"""``manage.py ksa_simulate``: play Klarna's side of a whole checkout against a gateway URL.

    python manage.py ksa_simulate --base-url http://127.0.0.1:8000/ksa/v1 \\
        --identifier demo --key demo-key [--country SE] [--option OPTION_ID] [--json]

Runs /auth, /shippingoptions (preview and with address), POST /shipment, /confirm and
GET /shipment over HTTP (see ``tms_gateway.ksa.simulator``) and prints one numbered line per
step. Exit status 0 when every step succeeded, 1 at the first failed step (later steps are
skipped). The key and the full token are never printed.

With ``--checkout-api URL`` (e.g. the carrier sandbox's fake, http://127.0.0.1:8090/klarna) the
checkout order is created there first and completed after POST /shipment, as the shop and the
shopper would; add ``--no-confirm`` to play a confirm Klarna lost (the gateway's reconcile reads
the order and books it), or ``--abandon`` for a shopper who leaves (no completion, no confirm).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tms_gateway.ksa.simulator import (
    DEMO_CHECKOUT_PASSWORD,
    DEMO_CHECKOUT_USERNAME,
    KsaClient,
    RunReport,
    Scenario,
    SimulationSetupError,
    StepResult,
    checkout_run,
    scenario_build,
)

OK_MARK = "✔"
FAIL_MARK = "✘"
SKIP_MARK = "-"


class Command(BaseCommand):
    help = "Simulate Klarna's shipping-assistant calls for one checkout against a gateway URL."
    # The target is a remote URL: this project's own configuration does not matter here.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/ksa/v1")
        parser.add_argument("--identifier", required=True, help="the shop's Klarna identifier")
        parser.add_argument("--key", required=True, help="the shop's Klarna key (never printed)")
        parser.add_argument("--country", default="SE", help="ISO 3166-1 alpha-2 (default SE)")
        parser.add_argument("--postal-code", help="default: a sample address in the country")
        parser.add_argument("--city", help="default: a sample address in the country")
        parser.add_argument("--street", help="default: a sample address in the country")
        parser.add_argument("--phone", help="default: a sample mobile number in the country")
        parser.add_argument("--currency", help="default: from the country")
        parser.add_argument("--locale", help="default: from the country")
        parser.add_argument("--total", type=int, default=59800, help="minor units, tax incl.")
        parser.add_argument("--weight", type=int, default=1200, help="total weight in grams")
        parser.add_argument("--tags", default="", help="comma-separated order tags")
        parser.add_argument("--option", help="option id to select (default: preselected/first)")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
        parser.add_argument(
            "--no-confirm",
            action="store_true",
            help="send no confirm (as when Klarna's best-effort confirm is lost): the "
            "shipment stays reserved",
        )
        parser.add_argument(
            "--wait-booked",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="after the confirm, wait up to SECONDS for the carrier booking and its "
            "tracking number (0, the default: read the shipment once); with --checkout-api "
            "and --no-confirm the gateway's reconcile books it, "
            "KLARNA_CHECKOUT_RECONCILE_AFTER_SECONDS after POST /shipment",
        )
        parser.add_argument(
            "--checkout-api",
            default="",
            metavar="URL",
            help="Klarna's Checkout API (or the sandbox's fake, http://127.0.0.1:8090/klarna): "
            "create the checkout order there first and complete it after POST /shipment",
        )
        parser.add_argument(
            "--checkout-username",
            default=DEMO_CHECKOUT_USERNAME,
            help=f"the shop's Checkout API username (default {DEMO_CHECKOUT_USERNAME!r})",
        )
        parser.add_argument(
            "--checkout-password",
            default=DEMO_CHECKOUT_PASSWORD,
            help="the shop's Checkout API password (never printed; default: the demo's)",
        )
        parser.add_argument(
            "--abandon",
            action="store_true",
            help="with --checkout-api: the shopper leaves, the order is never completed and "
            "no confirm is sent",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON report instead")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scenario = scenario_build(
                base_url=options["base_url"],
                identifier=options["identifier"],
                key=options["key"],
                country=options["country"],
                postal_code=options["postal_code"],
                city=options["city"],
                street_address=options["street"],
                phone=options["phone"],
                currency=options["currency"],
                locale=options["locale"],
                total_amount=options["total"],
                total_weight=options["weight"],
                tags=options["tags"].split(","),
                option_id=options["option"],
                wait_booked_seconds=options["wait_booked"],
                confirm=not options["no_confirm"],
                checkout_api=options["checkout_api"],
                checkout_username=options["checkout_username"],
                checkout_password=options["checkout_password"],
                abandon=options["abandon"],
            )
        except SimulationSetupError as exc:
            raise CommandError(str(exc)) from exc
        client = KsaClient(scenario.base_url, timeout=options["timeout"])

        as_json: bool = options["json"]
        if not as_json:
            self.stdout.write(self._header(scenario))
        report = checkout_run(scenario, client=client, on_step=None if as_json else self._print)

        if as_json:
            self.stdout.write(json.dumps(self._json_report(scenario, report), ensure_ascii=False))
        else:
            self.stdout.write(self._summary(report))
        if not report.ok:
            failed = next(s for s in report.steps if not s.ok)
            reason = f"HTTP {failed.status}" if failed.status is not None else failed.error
            raise CommandError(f"step {failed.number} ({failed.name}) failed: {reason}")

    @staticmethod
    def _header(scenario: Scenario) -> str:
        order = (
            f"order created at {scenario.checkout_api}"
            if scenario.checkout_api
            else f"order {scenario.order_id}"
        )
        return (
            f"KSA checkout against {scenario.base_url} as {scenario.identifier!r} "
            f"({scenario.country}, {scenario.currency}, {scenario.locale}; "
            f"session {scenario.session_id}, {order})"
        )

    def _print(self, step: StepResult) -> None:
        if step.skipped:
            self.stdout.write(f"{step.number}. {SKIP_MARK} {step.name} — skipped")
            return
        mark = self.style.SUCCESS(OK_MARK) if step.ok else self.style.ERROR(FAIL_MARK)
        outcome = f"HTTP {step.status}" if step.status is not None else "no response"
        self.stdout.write(f"{step.number}. {mark} {step.name} — {outcome} in {step.ms} ms")
        for line in step.details:
            self.stdout.write(f"     {line}")
        if step.error:
            self.stdout.write(f"     {step.error}")

    @staticmethod
    def _outcome(report: RunReport) -> str:
        """What was done, in words: the shipment's confirm and the checkout order's fate."""
        if report.confirm_sent:
            text = f"shipment {report.shipment_id} confirmed"
        elif report.abandoned:
            text = f"shipment {report.shipment_id} reserved, the checkout abandoned (no confirm)"
        else:
            text = f"shipment {report.shipment_id} reserved, no confirm sent"
        if report.checkout_api:
            done = "completed" if report.checkout_completed else "left incomplete"
            text += f"; Klarna order {report.order_id} {done}"
        return text

    def _summary(self, report: RunReport) -> str:
        if report.ok:
            return self.style.SUCCESS(
                f"{OK_MARK} checkout completed in {report.ms} ms: {self._outcome(report)}"
            )
        failed = next(s for s in report.steps if not s.ok)
        return self.style.ERROR(
            f"{FAIL_MARK} checkout failed at step {failed.number} ({failed.name})"
        )

    @staticmethod
    def _json_report(scenario: Scenario, report: RunReport) -> dict[str, Any]:
        return {
            "ok": report.ok,
            "base_url": scenario.base_url,
            "identifier": scenario.identifier,
            "session_id": scenario.session_id,
            "order_id": report.order_id or scenario.order_id,
            "shipment_id": report.shipment_id,
            "confirm_sent": report.confirm_sent,
            "checkout": {
                "api": report.checkout_api,
                "order_id": report.order_id,
                "completed": report.checkout_completed,
                "abandoned": report.abandoned,
            }
            if report.checkout_api
            else None,
            "outcome": Command._outcome(report),
            "tracking_number": report.tracking_number,
            "offered_options": report.offered,
            "ms": report.ms,
            "steps": [step.as_dict() for step in report.steps],
        }
