"""The audit log in the Django admin: read-only, for those who may review the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from migrations_ui.models import AuditEvent
from nomis_sync.admin import ADMIN_PERMISSION


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "username",
        "action",
        "outcome",
        "migration_type",
        "migration_id",
        "upstream_status",
    )
    list_filter = ("action", "outcome", "migration_type")
    search_fields = ("username", "migration_id", "request_id")
    date_hierarchy = "occurred_at"
    actions = None

    # Viewing follows the dashboard's audit permission (roles), not Django's permission tables.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(ADMIN_PERMISSION))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm(ADMIN_PERMISSION))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
