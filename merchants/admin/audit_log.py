"""The audit log: read-only for everyone."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..models import AuditLog

# --- Audit log -----------------------------------------------------------------------------


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only for everyone: the log is written by the admin itself."""

    list_display = (
        "at",
        "merchant",
        "actor",
        "action",
        "object_type",
        "object_repr",
        "change_list",
    )
    list_filter = ("merchant", "action", "object_type")
    list_select_related = ("merchant", "actor")
    search_fields = ("object_repr", "object_id", "actor__username", "merchant__name")
    date_hierarchy = "at"
    fields = (
        "at",
        "merchant",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "change_table",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="changes")
    def change_list(self, obj: AuditLog) -> str:
        return ", ".join(obj.changes) if isinstance(obj.changes, dict) else ""

    @admin.display(description="changes")
    def change_table(self, obj: AuditLog) -> SafeString | str:
        if not isinstance(obj.changes, dict) or not obj.changes:
            return "-"

        def cells(value: Any) -> tuple[Any, Any]:
            if isinstance(value, list) and len(value) == 2:
                return value[0], value[1]
            return value, ""

        return format_html(
            "<table><tr><th>field</th><th>before</th><th>after</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((field, *cells(value)) for field, value in obj.changes.items()),
            ),
        )
