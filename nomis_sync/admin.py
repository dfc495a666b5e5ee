"""The Django admin, behind HMPPS Auth sign-in like every other page.

Users have no Django passwords, so the admin's own login form would be a second, unusable way in:
its login sends people through /sign-in instead, and access follows the dashboard's permissions
rather than Django's staff flag. The only model registered is the read-only audit log.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.permissions import MissingRole, role_needed_for

ADMIN_PERMISSION = "migrations_ui.view_audit_log"


class DashboardAdminSite(admin.AdminSite):
    site_header = f"{settings.SERVICE_NAME}: administration"
    site_title = "NOMIS sync dashboard admin"
    index_title = "Audit log (read-only)"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.has_perm(ADMIN_PERMISSION))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but not allowed: the 403 page naming the role, never a sign-in loop.
            raise MissingRole(role_needed_for(ADMIN_PERMISSION))
        # Only our own paths come back here (next is the admin page first asked for).
        next_path = request.GET.get("next", "")
        if not next_path.startswith("/") or next_path.startswith("//"):
            next_path = "/admin/"
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': next_path})}")
