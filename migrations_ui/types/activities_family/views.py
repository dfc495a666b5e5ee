""" "Activate prison" and "Download CSV" on a preview of the activities family (activities and
appointments).

Activate prison changes upstream state, so it is a CSRF-protected POST that checks the start
permission and is audited like a start. Download CSV only reads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

import upstream
from migrations_ui import wizard
from migrations_ui.selectors.preview import describe_failure, preview_check
from migrations_ui.services.switches import prison_activate
from migrations_ui.types.base import MigrationType
from migrations_ui.views import MigrationTypeView, PreviewView
from upstream.deadline import UpstreamCalls


def failure_text(error: upstream.ApiError) -> str:
    """What went wrong, naming the service, with the upstream's own words when it gave any."""
    text = describe_failure(error)
    return f"{text}: {error.user_message}" if error.user_message else text


def filter_prisons(filter: Any) -> list[str]:
    """The prisons a start filter covers (`prisonId`, or appointments' `prisonIds`)."""
    if not isinstance(filter, dict):
        return []
    prisons = filter.get("prisonIds") or [filter.get("prisonId")]
    return [str(prison) for prison in prisons if prison]


class ActivatePrisonView(PreviewView):
    """POST only: turn a NOMIS agency switch on (N12) for a prison of the filter being previewed,
    then show the preview again with its checks re-run.

    Only prisons of the filter in this user's session are accepted, so nothing typed elsewhere
    reaches NOMIS. A failure is shown as an error line on the preview.
    """

    upstream_calls = UpstreamCalls(
        required=("N12 the switch", *PreviewView.upstream_calls.required),
        optional=PreviewView.upstream_calls.optional,
    )

    action_words: ClassVar[str] = "turn on the NOMIS feature switch"

    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]
    # The NOMIS service code of the switch (`ACTIVITY`, `APPOINTMENTS`), set in the type's URLs.
    service_code: str = ""

    action_errors: list[str]

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.action_errors = []

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        context = {**context, "action_errors": self.action_errors}
        if self.action_errors:
            context["page_has_errors"] = True
        return super().render(template, context, status)

    def post(self, request: HttpRequest) -> HttpResponse:
        state = wizard.state(request.session, self.slug)
        if state.get("filter") is None:
            return HttpResponseRedirect(self.url("start"))
        prison_id = self.prison_id()
        if prison_id not in filter_prisons(state["filter"]):
            self.action_errors = ["Only a prison of this migration's filter can be activated."]
            return self.get(request)
        try:
            prison_activate(
                context=self.audit_context(),
                migration_type=self.migration_type,
                service_code=self.service_code,
                prison_id=prison_id,
            )
        except upstream.OutcomeUnknown:
            raise  # a lost answer: migrations_ui.actions says so
        except upstream.ApiError as error:
            self.action_errors = [
                f"The NOMIS feature switch could not be turned on for {prison_id}: "
                f"{failure_text(error)}."
            ]
            return self.get(request)
        self.flash(f"NOMIS feature switch turned on for {prison_id}.")
        return HttpResponseRedirect(self.url("preview"))

    def prison_id(self) -> str:
        return self.request.POST.get("prisonId", "").strip().upper()

    def done(self, **kwargs: Any) -> str:
        return f"the NOMIS feature switch was turned on for {self.prison_id()}"

    def where_to_check(self, **kwargs: Any) -> list[tuple[str, str]]:
        return [("The preview, which shows each prison's switch", self.url("preview"))]


class CsvDownloadView(MigrationTypeView):
    """GET: one of the preview's copyable CSV blocks as a file (`text/csv`, an attachment).

    The query is the start form's fields as typed, validated by the type's form as a start is;
    the block's one check is asked again for that filter. So the link is a plain address that
    works without JavaScript, in any tab and after the preview's session state has moved on, and
    the preview itself makes no extra call for it: only a download asks, and only for its block.
    """

    upstream_calls = UpstreamCalls(required=("the block's check",))

    # Who may preview may download what the preview shows.
    permission_attribute = "start_permission"
    # The type's checks (`extra_checks` names) whose answers are CSV blocks, set in its URLs.
    csv_checks: tuple[str, ...] = ()

    def get(self, request: HttpRequest, check: str) -> HttpResponse:
        if check not in self.csv_checks:
            raise Http404("No such CSV block")
        form = self.migration_type.form(request.GET)
        if not form.is_valid():
            raise BadRequest("The filter in the query is not valid")
        filter = form.upstream_filter()
        text = preview_check(
            user=request.user, migration_type=self.migration_type, name=check, filter=filter
        )
        names = [self.migration_type.slug, check.replace("_", "-"), *filter_prisons(filter)]
        response = HttpResponse(str(text), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{"-".join(names)}.csv"'
        return response


def csv_download_path(migration_type: MigrationType, csv_checks: tuple[str, ...]) -> Any:
    """The type's "Download CSV" URL, `start/preview/<check>.csv` (named "csv")."""
    from django.urls import path

    return path(
        "start/preview/<slug:check>.csv",
        CsvDownloadView.as_view(migration_type=migration_type, csv_checks=csv_checks),
        name="csv",
    )
