""" "Activate prison" on a preview of the activities family (activities and appointments).

It changes upstream state, so it is a CSRF-protected POST that checks the start permission and is
audited like a start.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

import upstream
from migrations_ui import wizard
from migrations_ui.selectors.preview import describe_failure
from migrations_ui.services.switches import prison_activate
from migrations_ui.views import PreviewView
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
