"""Carrier health for partner staff: per carrier and hour (UTC) over every shop, read-only.

The rows are the hourly roll-ups (``insights_rollup``): calls made, p50/p95 latency,
failures (deadline misses included), deadline misses and breaker openings. Filter by carrier
and by date (the date drill-down and the period filter)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import CarrierHour


@admin.register(CarrierHour)
class CarrierHealthAdmin(admin.ModelAdmin):
    list_display = (
        "hour_utc",
        "carrier",
        "calls_shown",
        "p50_shown",
        "p95_shown",
        "failures_shown",
        "deadline_misses_shown",
        "breaker_openings_shown",
    )
    list_filter = ("carrier", ("hour", admin.DateFieldListFilter))
    date_hierarchy = "hour"
    ordering = ("-hour", "carrier")
    list_per_page = 200
    show_full_result_count = False

    @admin.display(description=_("Hour (UTC)"), ordering="hour")
    def hour_utc(self, row: CarrierHour) -> str:
        return f"{row.hour:%Y-%m-%d %H:00}"

    @admin.display(description=_("Calls"), ordering="calls")
    def calls_shown(self, row: CarrierHour) -> int:
        return row.calls

    @admin.display(description=_("p50 (ms)"), ordering="p50_ms")
    def p50_shown(self, row: CarrierHour) -> Any:
        return row.p50_ms

    @admin.display(description=_("p95 (ms)"), ordering="p95_ms")
    def p95_shown(self, row: CarrierHour) -> Any:
        return row.p95_ms

    @admin.display(description=_("Failures"), ordering="failures")
    def failures_shown(self, row: CarrierHour) -> int:
        return row.failures

    @admin.display(description=_("Deadline misses"), ordering="deadline_misses")
    def deadline_misses_shown(self, row: CarrierHour) -> int:
        return row.deadline_misses

    @admin.display(description=_("Breaker openings"), ordering="breaker_openings")
    def breaker_openings_shown(self, row: CarrierHour) -> int:
        return row.breaker_openings

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
