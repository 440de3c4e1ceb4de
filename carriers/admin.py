"""Carrier call traces, read-only: what we sent, what the carrier answered, how long it took."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import CarrierTrace


@admin.register(CarrierTrace)
class CarrierTraceAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "merchant",
        "carrier",
        "operation",
        "method",
        "status_code",
        "duration_ms",
        "error",
    )
    list_filter = ("carrier", "operation", "status_code")
    search_fields = ("merchant__name", "url", "error", "response_body")
    date_hierarchy = "created_at"
    list_select_related = ("merchant",)
    readonly_fields = [f.name for f in CarrierTrace._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
