"""The overview page and its in-flight fragment: for a user who may see at least one type."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from accounts.mixins import PermissionRequiredMixin
from migrations_ui import types
from migrations_ui.overview.selectors import overview_read, visible_types
from upstream.deadline import UpstreamCalls


class OverviewView(PermissionRequiredMixin, View):
    """GET /overview/: in flight, each type's last run and the failures waiting."""

    # Every call is budgeted: a type that does not answer within the page's one optional budget
    # is "unavailable" on its own rows, and the rest still show.
    upstream_calls = UpstreamCalls(
        optional=(
            "M5 for each type shown (its latest migration and dead letter count)",
            "M4 for each type's latest migration, unless already seen in progress",
            "who started each migration (audit log)",
        )
    )
    template_name: ClassVar[str] = "overview/overview.html"

    def has_permission(self) -> bool:
        return bool(visible_types(self.request.user))

    def get_permission_required(self) -> tuple[str, ...]:
        # Any type's view permission would do; the 403 page names the entry role, as home does
        # for a user without any role.
        return (types.entry_type().view_permission,)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {
                "overview": overview_read(user=request.user),
                "poll_seconds": settings.MIGRATION_PROGRESS_POLL_SECONDS,
            },
        )


class InFlightFragmentView(OverviewView):
    """Only the in-flight part, for migration-progress.js to swap in every few seconds."""

    template_name = "overview/_in_flight.html"
