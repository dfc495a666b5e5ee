"""Activities' own pages: "End NOMIS activities" and "Move start date".

Each changes upstream state, so each is a CSRF-protected POST (a GET only shows what would
happen), checks the start permission and is audited like a start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

import upstream
from migrations_ui.clients.migration_api import MigrationHistory
from migrations_ui.fields import parse_date
from migrations_ui.types.activities import services
from migrations_ui.types.activities.forms import MoveStartDateForm
from migrations_ui.types.activities_family import today
from migrations_ui.types.activities_family.views import failure_text
from migrations_ui.views import MigrationTypeView
from upstream.deadline import UpstreamCalls


def start_date(migration: MigrationHistory) -> dt.date | None:
    value = migration.filter.get("activityStartDate")
    return parse_date(value) if isinstance(value, str) else None


def end_date(migration: MigrationHistory) -> dt.date:
    """The day the service ends the NOMIS activities: the start date - 1 (today without one)."""
    start = start_date(migration)
    return start - dt.timedelta(days=1) if start else today()


def may_end(migration: MigrationHistory) -> bool:
    """Only a completed run, once: the service records `nomisActivityEndDate` when it has."""
    return migration.status == "COMPLETED" and not migration.filter.get("nomisActivityEndDate")


def move_refusal(migration: MigrationHistory) -> str | None:
    """Why the run's start date cannot be moved, or None when it can."""
    if not migration.filter.get("nomisActivityEndDate"):
        return "Start dates can only be moved after the NOMIS activities have been ended."
    if migration.filter.get("courseActivityId") not in (None, ""):
        return "Start dates can only be moved for a migration of a whole prison."
    start = start_date(migration)
    if start is None or start <= today():
        return "You cannot move the date for an activity that has already started."
    return None


def moved_failure(error: upstream.ApiError) -> dict[str, str]:
    """Why a move failed: a refusal (400) explains itself; anything else names the service."""
    if isinstance(error, upstream.BadRequest) and error.user_message:
        text = error.user_message
    else:
        text = f"The start dates were not moved: {failure_text(error)}."
    return {"text": text, "href": "#newActivityStartDate"}


def moved_message(warnings: list[str], new_date: str) -> str:
    if warnings:
        return "\n".join(["Start dates moved, with these warnings from DPS:", *warnings])
    return f"Start dates moved to {new_date}."


class _RunView(MigrationTypeView):
    permission_attribute = "start_permission"

    def where_to_check(self, **kwargs: Any) -> list[tuple[str, str]]:
        return [self.details_check(kwargs["migration_id"]), self.history_check()]


class EndActivitiesView(_RunView):
    """GET asks to confirm; POST ends the run's NOMIS activities (S11) and returns to the list."""

    upstream_calls = UpstreamCalls(required=("M4 the run", "S11 the end (POST)"))

    action_words: ClassVar[str] = "end the NOMIS activities"
    done_words: ClassVar[str] = "the NOMIS activities were ended"

    template = "activities/end_activities.html"

    def _page(self, migration: MigrationHistory, errors: list[str] | None = None) -> HttpResponse:
        return self.render(
            self.template,
            {
                "migration": migration,
                "end_date": end_date(migration),
                "errors": errors or [],
                "page_has_errors": bool(errors),
            },
        )

    def get(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration = self.migration_or_none(migration_id)
        if migration is None:
            return self.not_found(migration_id)
        if not may_end(migration):
            return self._not_offered(migration)
        return self._page(migration)

    def post(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration = self.migration_or_none(migration_id)
        if migration is None:
            return self.not_found(migration_id)
        if not may_end(migration):
            return self._not_offered(migration)
        ends = end_date(migration)
        try:
            services.activities_end(
                context=self.audit_context(),
                migration_type=self.migration_type,
                migration_id=migration.migration_id,
                end_date=ends.isoformat(),
            )
        except upstream.NotFound:
            message = "No activities were found to end for this migration"
        except upstream.OutcomeUnknown:
            raise  # a lost answer: migrations_ui.actions says so
        except upstream.ApiError as error:
            return self._page(
                migration, [f"The NOMIS activities were not ended: {failure_text(error)}."]
            )
        else:
            message = (
                f"OK: the NOMIS activities of migration {migration.migration_id} "
                f"end on {ends:%-d %B %Y}."
            )
        self.flash(message)
        return HttpResponseRedirect(self.url("history"))

    def _not_offered(self, migration: MigrationHistory) -> HttpResponse:
        self.flash(
            f"The NOMIS activities of migration {migration.migration_id} cannot be ended: "
            "that is only for a completed migration whose activities have not been ended yet.",
        )
        return HttpResponseRedirect(self.url("history"))


class MoveStartDateView(_RunView):
    """GET: the new date form; POST: S12, DPS's warnings flashed on the list."""

    upstream_calls = UpstreamCalls(required=("M4 the run", "S12 the move (POST)"))

    action_words: ClassVar[str] = "move the start dates"
    done_words: ClassVar[str] = "the start dates were moved"

    template = "activities/move_start_date.html"

    def _page(
        self,
        migration: MigrationHistory,
        form: MoveStartDateForm | None,
        errors: list[dict[str, str]],
    ) -> HttpResponse:
        return self.render(
            self.template,
            {
                "migration": migration,
                "form": form,
                "errors": errors,
                "page_has_errors": bool(errors),
            },
        )

    def get(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration = self.migration_or_none(migration_id)
        if migration is None:
            return self.not_found(migration_id)
        refusal = move_refusal(migration)
        current = start_date(migration)
        if refusal or current is None:
            return self._page(migration, None, [{"text": refusal or "", "href": "#"}])
        return self._page(migration, MoveStartDateForm(current_start=current), [])

    def post(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration = self.migration_or_none(migration_id)
        current = start_date(migration) if migration else None
        refusal = move_refusal(migration) if migration else None
        if migration is None:
            return self.not_found(migration_id)
        if refusal or current is None:
            return self._page(migration, None, [{"text": refusal or "", "href": "#"}])
        form = MoveStartDateForm(request.POST, current_start=current)
        if not form.is_valid():
            return self._page(migration, form, form.error_list())
        new_date = form.cleaned_data["newActivityStartDate"].isoformat()
        try:
            warnings = services.start_dates_move(
                context=self.audit_context(),
                migration_type=self.migration_type,
                migration_id=migration.migration_id,
                current_start_date=current.isoformat(),
                new_start_date=new_date,
            )
        except upstream.OutcomeUnknown:
            raise  # a lost answer: migrations_ui.actions says so
        except upstream.ApiError as error:
            return self._page(migration, form, [moved_failure(error)])
        self.flash(moved_message(warnings, new_date))
        return HttpResponseRedirect(self.url("history"))
