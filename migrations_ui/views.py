"""The migration pages of every type: thin, generic class-based views.

Each view is built for one migration type (`as_view(migration_type=...)`, see urls.py), checks
that type's permission, binds the type's form or reads the session, calls one service (writes)
or selector (reads) and picks a template. Upstream failures a view does not handle here reach
`kernel.middleware.UpstreamErrorMiddleware`, which names the service on a GOV.UK page.
"""

from __future__ import annotations

import re
from concurrent.futures import Future
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.backends.utils import csrf_input_lazy
from django.template.loader import render_to_string
from django.urls import reverse
from django.views import View
from markupsafe import Markup

import upstream
from accounts.mixins import PermissionRequiredMixin
from kernel.jinja2 import render_fragment
from kernel.pagination import ListLinks
from migrations_ui import forms, wizard
from migrations_ui.actions import AuditedActionMixin
from migrations_ui.clients.migration_api import MigrationHistory
from migrations_ui.history_rows import history_rows_html
from migrations_ui.selectors.audit import migration_timeline
from migrations_ui.selectors.failures import dead_letters_list
from migrations_ui.selectors.history import history_page
from migrations_ui.selectors.preview import migration_preview
from migrations_ui.selectors.progress import (
    MigrationNotFound,
    Progress,
    migration_get,
    migration_progress,
)
from migrations_ui.services.migrations import (
    dead_letters_purge,
    migration_cancel,
    migration_refresh_counts,
    migration_start_from_preview,
    preview_token_issue,
)
from migrations_ui.types.base import MigrationType
from upstream.deadline import UpstreamCalls

# Migration ids are second-precision local times (upstream-api.md §2.2); storage allows 40.
_MIGRATION_ID = re.compile(r"^[0-9A-Za-z:._-]{1,40}$")
# Where a details page's figures go: the page is written before they arrive (DetailsView.get).
# Our own templates print it once; anything from a request or upstream is escaped, so cannot.
FIGURES_SLOT = Markup("<!-- the migration's figures -->")
# Where "Delete failure messages" may send the user back to: names, never URLs from the request.
DELETE_FAILURES_RETURNS = ("preview", "failures", "history")
# Where each of those shows whether the failure messages are still there.
_FAILURE_COUNT_PAGES = {
    "preview": "The preview, which shows the number of failure messages",
    "failures": "The failures page",
    "history": "The list of migrations, which shows the number of failure messages",
}


# What a repeated "Start migration" (double click, back button, refresh) is told, by what the
# first press led to (services.migrations.PreviewStart).
REPEATED_START_MESSAGES = {
    "repeat_unknown": "That preview had already been used, and we do not know whether it started a "
    "migration: its answer was lost. Check this list before starting again.",
    "repeat_nothing": "That preview had already been used, so nothing was started. "
    "Check the figures below before starting the migration.",
}


class MigrationTypeView(AuditedActionMixin, PermissionRequiredMixin, View):
    """A page of one migration type; subclasses name which of the type's permissions they need."""

    # Set per type by `as_view(migration_type=...)` in urls.py.
    migration_type: MigrationType = None  # type: ignore[assignment]
    permission_attribute: ClassVar[str] = "view_permission"
    template_name: ClassVar[str] = ""
    # What a POST to it asks for ("cancel the migration"), for the page that says it was not
    # carried out because the session had expired (accounts.refused).
    action_words: ClassVar[str] = ""
    # Which upstream calls the page cannot do without, and which it can (each within the
    # optional budget, else "Status unavailable"): every page says (upstream.deadline).
    upstream_calls: ClassVar[UpstreamCalls]

    def get_permission_required(self) -> tuple[str, ...]:
        return (getattr(self.migration_type, self.permission_attribute),)

    @property
    def slug(self) -> str:
        return self.migration_type.slug

    @property
    def can_start(self) -> bool:
        return self.request.user.has_perm(self.migration_type.start_permission)

    def url(self, name: str, *args: Any, query: dict[str, Any] | None = None) -> str:
        location = reverse(f"{self.migration_type.namespace}:{name}", args=args or None)
        return f"{location}?{urlencode(query)}" if query else location

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        return HttpResponse(self.render_html(template, context), status=status)

    def render_html(self, template: str, context: dict[str, Any]) -> str:
        return render_to_string(
            self.migration_type.template(template),
            {**self.type_context(), **context},
            self.request,
        )

    def type_context(self) -> dict[str, Any]:
        """What every page of the type is written with, besides its own values."""
        return {
            "migration_type": self.migration_type,
            "ns": self.migration_type.namespace,
            "can_start": self.can_start,
        }

    def refused_unrecorded(self) -> HttpResponse:
        return self.render("audit_unavailable.html", {}, status=503)

    def flash(self, message: str) -> None:
        wizard.flash(self.request.session, self.slug, message)

    def pop_flash(self) -> str | None:
        return wizard.pop_flash(self.request.session, self.slug)

    def history_check(self) -> tuple[str, str]:
        return (f"The list of {self.migration_type.name.lower()} migrations", self.url("history"))

    def details_check(self, migration_id: str) -> tuple[str, str]:
        return (f"Migration {migration_id}", self.url("details", migration_id))

    def checked_migration_id(self, migration_id: str) -> str:
        if not _MIGRATION_ID.match(migration_id):
            raise Http404("Not a migration id")
        return migration_id

    def not_found(self, migration_id: str) -> HttpResponse:
        return self.render("not_found.html", {"migration_id": migration_id}, status=404)

    def migration_or_none(self, migration_id: str) -> MigrationHistory | None:
        """This type's migration, or None for an unknown id or another type's migration."""
        try:
            return migration_get(
                user=self.request.user,
                migration_type=self.migration_type,
                migration_id=self.checked_migration_id(migration_id),
            )
        except MigrationNotFound:
            return None


# -- History list


class HistoryView(MigrationTypeView):
    upstream_calls = UpstreamCalls(
        required=("M3 the history list",), optional=("who started each migration (audit log)",)
    )

    def get(self, request: HttpRequest) -> HttpResponse:
        form = forms.HistoryFilterForm.for_query(request.GET)
        history = history_page(
            user=request.user,
            migration_type=self.migration_type,
            params=form.search_params(),
            page_number=request.GET.get("page"),
        )
        links = ListLinks(form.query(), lambda query: self.url("history", query=query))
        return self.render(
            "history.html",
            {
                "form": form,
                "rows": history.rows,
                "rows_html": history_rows_html(
                    history, migration_type=self.migration_type, can_start=self.can_start
                ),
                "started_by_unavailable": history.started_by is None,
                "fetched_at": history.fetched_at,
                "page": history.page,
                "pagination": links.pagination(history.page),
                "total": history.total,
                "filter_tags": links.filter_tags(form.active_filters()),
                "page_has_errors": form.is_bound and not form.is_valid(),
                # The outcome of a row's action (a type's own pages return to the list).
                "flash": self.pop_flash(),
            },
        )


# -- Start form, preview, start, confirmation


class StartView(MigrationTypeView):
    """GET: a fresh form. POST: validate, keep the filter, go to the preview."""

    upstream_calls = UpstreamCalls()

    action_words: ClassVar[str] = "see the preview of the migration"

    permission_attribute = "start_permission"

    def get(self, request: HttpRequest) -> HttpResponse:
        wizard.clear(request.session, self.slug)
        form_class = self.migration_type.form
        return self.render(
            "start.html", {"form": form_class(initial=form_class.initial_from(request.GET))}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.migration_type.form(request.POST)
        if not form.is_valid():
            return self.render("start.html", {"form": form, "page_has_errors": True})
        wizard.clear(request.session, self.slug)
        wizard.save(
            request.session,
            self.slug,
            typed=form.typed_values(),
            filter=form.upstream_filter(),
        )
        return HttpResponseRedirect(self.url("preview"))


class AmendView(MigrationTypeView):
    """The start form refilled with what was typed: the target of "Change" and "Back"."""

    upstream_calls = UpstreamCalls()

    permission_attribute = "start_permission"

    def get(self, request: HttpRequest) -> HttpResponse:
        typed = wizard.state(request.session, self.slug).get("typed") or {}
        return self.render("start.html", {"form": self.migration_type.form(initial=typed)})


class PreviewView(MigrationTypeView):
    """GET runs the pre-flight checks side by side; POST starts the migration, once."""

    upstream_calls = UpstreamCalls(
        required=(
            "the estimate",
            "M5 whether one is running",
            "the type's own checks",
            "M1 the start (POST)",
        ),
        optional=("M9 the dead letter count",),
    )

    action_words: ClassVar[str] = "start the migration"
    done_words: ClassVar[str] = "the migration was started"

    permission_attribute = "start_permission"

    def get(self, request: HttpRequest) -> HttpResponse:
        state = wizard.state(request.session, self.slug)
        # A type without a filter keeps an empty one: "filter" is present once the form was sent.
        if state.get("filter") is None:
            return HttpResponseRedirect(self.url("start"))
        preview = migration_preview(
            user=request.user, migration_type=self.migration_type, filter=state["filter"]
        )
        token = preview.can_start and preview_token_issue(
            session=request.session,
            migration_type=self.migration_type,
            filter=state["filter"],
            estimate=preview.estimate.value,
        )
        return self.render(
            "preview.html",
            {
                "preview": preview,
                "typed": state.get("typed") or {},
                "token": token or "",
                "flash": self.pop_flash(),
                "can_manage_dead_letters": request.user.has_perm(
                    self.migration_type.dead_letters_permission
                ),
                # A check that could not be made is in the error summary.
                "page_has_errors": not preview.all_ok,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        start = migration_start_from_preview(
            context=self.audit_context(),
            session=request.session,
            migration_type=self.migration_type,
            token=request.POST.get("preview_token", ""),
        )
        if start.outcome == "already_running":
            return self.render("already_running.html", {"running_id": start.migration_id}, 409)
        if start.outcome == "started":
            return HttpResponseRedirect(self.url("confirmation"))
        if start.outcome == "repeat_started":
            query = {"migrationId": start.migration_id}
            return HttpResponseRedirect(self.url("confirmation", query=query))
        self.flash(REPEATED_START_MESSAGES[start.outcome])
        back = "history" if start.outcome == "repeat_unknown" else "preview"
        return HttpResponseRedirect(self.url(back))

    def where_to_check(self, **kwargs: Any) -> list[tuple[str, str]]:
        return [self.history_check()]


class ConfirmationView(MigrationTypeView):
    upstream_calls = UpstreamCalls(required=("M4 the migration, after a repeated start only",))
    permission_attribute = "start_permission"

    def get(self, request: HttpRequest) -> HttpResponse:
        started = wizard.state(request.session, self.slug).get("started")
        wanted = request.GET.get("migrationId")
        if not started or (wanted and wanted != started.get("migration_id")):
            return HttpResponseRedirect(self.url("history"))
        estimate = started.get("estimate")
        if estimate is None:
            # Reached through a repeated submit: the first submit knows the estimate, M4 too.
            estimate = migration_get(
                user=request.user,
                migration_type=self.migration_type,
                migration_id=started["migration_id"],
            ).estimated_record_count
        return self.render(
            "confirmation.html", {"migration_id": started["migration_id"], "estimate": estimate}
        )


# -- Details, progress, cancel, refresh counts


class DetailsView(MigrationTypeView):
    upstream_calls = UpstreamCalls(
        required=("M4 the migration", "M5 its live figures while it runs"),
        optional=("the dashboard actions on it (audit log)",),
    )

    def get(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        """The page is written while its figures are asked for, and they go in its place.

        Only the figures (`_progress.html`) need the upstream answer. Written after it, the whole
        page took 1.4-1.6 ms of the 2.1 ms between M5's answer and the response, at 100 ms
        upstream latency (probe in gunicorn, issue 30). The rest is now written on the pool while
        this thread waits for the answer. Not the other way round: a thread on the pool asking
        for the figures waited for this one's writing to let go of the GIL, and M5 left 1 ms
        later. What the page reads from the session and the database is read here first: the
        pool's threads keep no database connection.
        """
        migration_id = self.checked_migration_id(migration_id)
        page = self.page_without_figures(migration_id)
        progress = self.progress_or_none(migration_id)
        if progress is None:
            return self.not_found(migration_id)
        before, _, after = page.result().partition(FIGURES_SLOT)
        return HttpResponse(f"{before}{self.figures_html(progress)}{after}")

    def page_without_figures(self, migration_id: str) -> Future[str]:
        """The page with `FIGURES_SLOT` where its figures go, being written on the pool."""
        return upstream.executor().submit(
            self.render_html,
            "details.html",
            {
                "migration_id": migration_id,
                "figures": FIGURES_SLOT,
                "flash": self.pop_flash(),
                "poll_seconds": settings.MIGRATION_PROGRESS_POLL_SECONDS,
                "timeline": migration_timeline(
                    migration_type=self.migration_type.upstream_type, migration_id=migration_id
                ),
            },
        )

    def figures_html(self, progress: Progress) -> str:
        """The figures alone: written without the page's context processors, which the page has
        already run."""
        return render_fragment(
            self.migration_type.template("_progress.html"),
            {
                **self.type_context(),
                "csrf_input": csrf_input_lazy(self.request),
                **self.figures_context(progress),
            },
        )

    def progress_or_none(self, migration_id: str) -> Progress | None:
        """This type's migration with its figures, or None for an unknown id or another type's."""
        try:
            return migration_progress(
                user=self.request.user,
                migration_type=self.migration_type,
                migration_id=migration_id,
            )
        except MigrationNotFound:
            return None

    def figures_context(self, progress: Progress) -> dict[str, Any]:
        return {
            "progress": progress,
            "migration": progress.migration,
            "can_cancel": self.request.user.has_perm(self.migration_type.cancel_permission),
        }


class ProgressFragmentView(DetailsView):
    """Only the figures, for migration-progress.js to swap in while the migration runs."""

    upstream_calls = UpstreamCalls(
        required=("M4 the migration", "M5 its live figures while it runs")
    )

    def get(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration_id = self.checked_migration_id(migration_id)
        progress = self.progress_or_none(migration_id)
        if progress is None:
            return self.not_found(migration_id)
        # Polling it never queries the audit log: the fragment shows figures only.
        return self.render("_progress.html", self.figures_context(progress))


class CancelView(MigrationTypeView):
    """GET asks to confirm; POST cancels (only while STARTED) and redirects to the details."""

    upstream_calls = UpstreamCalls(required=("M4 the migration", "M6 the cancel (POST)"))

    action_words: ClassVar[str] = "cancel the migration"
    done_words: ClassVar[str] = "the migration was cancelled"

    permission_attribute = "cancel_permission"

    def get(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration = self.migration_or_none(migration_id)
        if migration is None:
            return self.not_found(migration_id)
        if migration.status != "STARTED":
            # Said, not silently skipped: the run may have ended since the page was loaded.
            return self.not_running(migration)
        return self.render("cancel.html", {"migration": migration})

    def post(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration = self.migration_or_none(migration_id)
        if migration is None:
            return self.not_found(migration_id)
        if migration.status != "STARTED":
            return self.not_running(migration)
        migration_cancel(
            context=self.audit_context(),
            migration_type=self.migration_type,
            migration_id=migration_id,
        )
        self.flash(
            "Cancellation requested. It can take 1 to 3 minutes while the queues are cleared, "
            "and a few records may still be migrated."
        )
        return HttpResponseRedirect(self.url("details", migration_id))

    def not_running(self, migration: MigrationHistory) -> HttpResponse:
        """Back to the details, saying why nothing is there to cancel."""
        self.flash(
            f"The migration is {migration.status}, so it was not cancelled. "
            "Only a migration that is still running (STARTED) can be cancelled."
        )
        return HttpResponseRedirect(self.url("details", migration.migration_id))

    def where_to_check(self, **kwargs: Any) -> list[tuple[str, str]]:
        return [self.details_check(kwargs["migration_id"])]


class RefreshCountsView(MigrationTypeView):
    """POST only: recount a COMPLETED migration (M7), then back to its details."""

    upstream_calls = UpstreamCalls(required=("M4 the migration", "M7 the recount"))

    action_words: ClassVar[str] = "refresh the counts"
    done_words: ClassVar[str] = "the counts were refreshed"

    permission_attribute = "start_permission"
    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, migration_id: str) -> HttpResponse:
        migration_id = self.checked_migration_id(migration_id)
        try:
            # Looked up first: only this type's migrations are recounted (and audited as such).
            migration_get(
                user=request.user, migration_type=self.migration_type, migration_id=migration_id
            )
            migration_refresh_counts(
                context=self.audit_context(),
                migration_type=self.migration_type,
                migration_id=migration_id,
            )
        except (MigrationNotFound, upstream.NotFound):
            return self.not_found(migration_id)
        except upstream.BadRequest as error:
            self.flash(
                error.user_message or "Counts can only be refreshed for a completed migration."
            )
            return HttpResponseRedirect(self.url("details", migration_id))
        self.flash("The migrated and failed counts were refreshed.")
        return HttpResponseRedirect(self.url("details", migration_id))

    def where_to_check(self, **kwargs: Any) -> list[tuple[str, str]]:
        return [self.details_check(kwargs["migration_id"])]


# -- Failures


def no_such_page(request: HttpRequest) -> HttpResponse:
    """A page this type does not have (its failures are read in App Insights)."""
    raise Http404("This migration type has no such page")


class FailuresView(MigrationTypeView):
    upstream_calls = UpstreamCalls(required=("M8 the dead letters",))

    def get(self, request: HttpRequest) -> HttpResponse:
        migration_id = request.GET.get("migrationId", "").strip()
        if migration_id:
            migration_id = self.checked_migration_id(migration_id)
        failures = dead_letters_list(
            user=request.user, migration_type=self.migration_type, migration_id=migration_id
        )
        return self.render(
            "failures.html",
            {
                "failures": failures,
                "migration_id": migration_id,
                "flash": self.pop_flash(),
                "can_manage_dead_letters": request.user.has_perm(
                    self.migration_type.dead_letters_permission
                ),
            },
        )


class DeleteFailuresView(MigrationTypeView):
    """GET asks to confirm; POST purges the dead letter queue and returns where the user was."""

    upstream_calls = UpstreamCalls(required=("M10 the purge (POST)",))

    action_words: ClassVar[str] = "delete the failure messages"
    done_words: ClassVar[str] = "the failure messages were deleted"

    permission_attribute = "dead_letters_permission"

    def _return_to(self, value: str) -> tuple[str, str]:
        name = value if value in DELETE_FAILURES_RETURNS else "failures"
        if name == "failures" and not self.migration_type.has_failures_page:
            name = "history"
        return name, self.url(name)

    def get(self, request: HttpRequest) -> HttpResponse:
        name, back = self._return_to(request.GET.get("from", ""))
        return self.render("delete_failures.html", {"return_name": name, "back_href": back})

    def post(self, request: HttpRequest) -> HttpResponse:
        _name, back = self._return_to(request.POST.get("from", ""))
        dead_letters_purge(context=self.audit_context(), migration_type=self.migration_type)
        self.flash(
            "The failure messages were deleted. It can take up to a minute before the count "
            "shows it."
        )
        return HttpResponseRedirect(back)

    def where_to_check(self, **kwargs: Any) -> list[tuple[str, str]]:
        name, back = self._return_to(self.request.POST.get("from", ""))
        return [(_FAILURE_COUNT_PAGES[name], back)]
