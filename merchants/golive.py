"""The go-live checklist of a merchant: what Klarna's portal needs (the TMS endpoint URL and a
credential) and what the shop's checkout needs (agreements that answer, live mode, option
names in every language the shop sells in, fallback options, a preview that offered options),
each step computed from the data; the shop is ready when every step is done.

Two facts are recorded where they happen, as audit rows (who, when, what came out):
a carrier agreement's connection check (``agreement_check``) and a checkout preview run
(``preview_run``). The checklist reads the latest of each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from babel.languages import get_official_languages
from django.contrib.auth.models import AnonymousUser, User

from .audit import audit_record
from .models import AuditLog, CarrierAgreement, DeliveryOption, KlarnaCheckoutCredential, Merchant

AGREEMENT_CHECK = "agreement_check"
PREVIEW_RUN = "preview_run"


# --- Recording ------------------------------------------------------------------------------


def agreement_check_record(
    *,
    agreement: CarrierAgreement,
    ok: bool,
    message: str,
    actor: User | AnonymousUser | None,
) -> AuditLog:
    """Record the result of a connection check of ``agreement`` (the message has no secret:
    it is what staff are shown)."""
    return audit_record(
        merchant=agreement.merchant,
        actor=actor,
        action=AGREEMENT_CHECK,
        obj=agreement,
        changes={"ok": [None, ok], "message": [None, message[:500]]},
    )


def preview_run_record(
    *, merchant: Merchant, offered: int, actor: User | AnonymousUser | None
) -> AuditLog:
    """Record that a checkout preview of ``merchant`` ran and how many options it offered."""
    return audit_record(
        merchant=merchant,
        actor=actor,
        action=PREVIEW_RUN,
        obj=merchant,
        changes={"offered": [None, offered]},
    )


# --- The checklist --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step: ``done`` or not, what the data says (``detail``), and ``key`` for links."""

    key: str
    label: str
    done: bool
    detail: str
    object_id: int | None = None


@dataclass(frozen=True)
class GoLiveChecklist:
    endpoint_url: str
    languages: list[str]
    steps: list[Step] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return bool(self.steps) and all(step.done for step in self.steps)

    @property
    def missing(self) -> list[Step]:
        return [step for step in self.steps if not step.done]


def _language(locale: str) -> str:
    """``sv-SE`` → ``sv``; Norwegian is written Bokmål (``nb``)."""
    code = locale.replace("_", "-").split("-")[0].lower()
    return "nb" if code in ("no", "nn") else code


def shop_sales_languages(
    *, merchant: Merchant, options: list[DeliveryOption] | None = None
) -> list[str]:
    """The languages the shop sells in: its default language, then the main language of each
    country its active options deliver to (the options with no country list add none)."""
    if options is None:
        options = list(DeliveryOption.objects.filter(merchant=merchant, is_active=True))
    found = [_language(merchant.default_locale)] if merchant.default_locale else []
    for option in options:
        for country in option.countries or []:
            official = get_official_languages(str(country).upper())
            if official:
                found.append(_language(official[0]))
    return list(dict.fromkeys(found))


def recorded(row: AuditLog, name: str, default: object = None) -> object:
    """A recorded value of a check or preview row (kept as ``[None, value]``, the audit log's
    ``[before, after]``)."""
    value = row.changes.get(name) if isinstance(row.changes, dict) else None
    return value[1] if isinstance(value, list) and len(value) == 2 else default


def _when(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _latest(merchant: Merchant, action: str) -> dict[str, AuditLog]:
    """The latest audit row of ``action`` per object id."""
    latest: dict[str, AuditLog] = {}
    for row in AuditLog.objects.filter(merchant=merchant, action=action).order_by("-at", "-id"):
        latest.setdefault(row.object_id, row)
    return latest


def merchant_golive_checklist(*, merchant: Merchant, endpoint_url: str) -> GoLiveChecklist:
    """Each go-live step of ``merchant`` computed from its data; ``endpoint_url`` is the TMS
    endpoint to enter in Klarna's portal (this gateway's own ``/ksa/v1``)."""
    steps: list[Step] = []

    credentials = [c.identifier for c in merchant.credentials.all() if not c.revoked_at]
    steps.append(
        Step(
            "credential",
            "Klarna credential issued",
            bool(credentials),
            ", ".join(credentials) if credentials else "No active credential yet.",
        )
    )

    agreements = list(
        CarrierAgreement.objects.filter(merchant=merchant, is_active=True).order_by("carrier")
    )
    checks = _latest(merchant, AGREEMENT_CHECK)
    if not agreements:
        steps.append(
            Step("agreements", "Carrier agreement", False, "No active carrier agreement yet.")
        )
    for agreement in agreements:
        check = checks.get(str(agreement.pk))
        ok = check is not None and recorded(check, "ok") is True
        if check is None:
            detail = "Never checked."
        elif ok:
            detail = f"Connection OK, checked {_when(check.at)}."
        else:
            detail = f"Check failed {_when(check.at)}: {recorded(check, 'message', '')}"
        steps.append(
            Step(
                "agreement",
                f"{agreement.get_carrier_display()}: connection checked",
                ok,
                detail,
                object_id=agreement.pk,
            )
        )

    in_test = [a.get_carrier_display() for a in agreements if a.test_mode]
    if KlarnaCheckoutCredential.objects.filter(
        merchant=merchant, is_active=True, test_mode=True
    ).exists():
        in_test.append("Checkout API")
    steps.append(
        Step(
            "test_mode",
            "Test mode off (live)",
            bool(agreements) and not in_test,
            f"Test mode on: {', '.join(in_test)}." if in_test else "Test mode off: live.",
        )
    )

    options = list(DeliveryOption.objects.filter(merchant=merchant, is_active=True))
    languages = shop_sales_languages(merchant=merchant, options=options)
    steps.append(
        Step(
            "options",
            "Active delivery options",
            bool(options),
            f"{len(options)} active." if options else "No active delivery option yet.",
        )
    )
    untranslated = []
    for option in options:
        have = {_language(code) for code, text in (option.names or {}).items() if text}
        lacking = [lang for lang in languages if lang not in have]
        if lacking:
            untranslated.append(f"{option.code} ({', '.join(lacking)})")
    steps.append(
        Step(
            "names",
            f"Option names in every language the shop sells in ({', '.join(languages)})",
            bool(options) and not untranslated,
            f"Missing: {'; '.join(untranslated)}." if untranslated else "All named.",
        )
    )

    fallbacks = [o.code for o in options if o.is_fallback]
    steps.append(
        Step(
            "fallback",
            "Fallback options (offered when carriers cannot be reached)",
            bool(fallbacks),
            ", ".join(fallbacks) if fallbacks else "No active fallback option.",
        )
    )

    preview = (
        AuditLog.objects.filter(merchant=merchant, action=PREVIEW_RUN)
        .order_by("-at", "-id")
        .first()
    )
    count = recorded(preview, "offered", 0) if preview is not None else 0
    offered = count if isinstance(count, int) else 0
    steps.append(
        Step(
            "preview",
            "Checkout preview run",
            offered > 0,
            "Never run."
            if preview is None
            else f"Run {_when(preview.at)}: {offered} option(s) offered.",
        )
    )
    return GoLiveChecklist(endpoint_url=endpoint_url, languages=languages, steps=steps)
