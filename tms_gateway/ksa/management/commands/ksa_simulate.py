"""``manage.py ksa_simulate``: play Klarna's side of a whole checkout against a gateway URL.

    python manage.py ksa_simulate --base-url http://127.0.0.1:8000/ksa/v1 \\
        --identifier demo --key demo-key [--country SE] [--option OPTION_ID] [--json]

Runs /auth, /shippingoptions (preview and with address), POST /shipment, /confirm and
GET /shipment over HTTP (see ``tms_gateway.ksa.simulator``) and prints one numbered line per
step. Exit status 0 when every step succeeded, 1 at the first failed step (later steps are
skipped). The key and the full token are never printed.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tms_gateway.ksa.simulator import (
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
            "tracking number (0, the default: read the shipment once)",
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
        return (
            f"KSA checkout against {scenario.base_url} as {scenario.identifier!r} "
            f"({scenario.country}, {scenario.currency}, {scenario.locale}; "
            f"session {scenario.session_id}, order {scenario.order_id})"
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

    def _summary(self, report: RunReport) -> str:
        if report.ok:
            return self.style.SUCCESS(
                f"{OK_MARK} checkout completed in {report.ms} ms: "
                f"shipment {report.shipment_id} confirmed"
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
            "order_id": scenario.order_id,
            "shipment_id": report.shipment_id,
            "tracking_number": report.tracking_number,
            "offered_options": report.offered,
            "ms": report.ms,
            "steps": [step.as_dict() for step in report.steps],
        }
