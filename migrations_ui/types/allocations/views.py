"""The allocations start form's pages: the generic ones, with the protected start date kept in
the wizard's session state for the whole flow (start, "Change", preview, start).

They replace the generic "start" and "amend" pages of this type (the type's own URLs come first).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from migrations_ui import wizard
from migrations_ui.types.allocations.forms import AllocationsMigrationForm
from migrations_ui.views import AmendView, StartView

PROTECTED = "protected_start_date"


def _form(*args: object, protected: str | None, **kwargs: object) -> AllocationsMigrationForm:
    return AllocationsMigrationForm(*args, protected_start_date=protected, **kwargs)


class AllocationsStartView(StartView):
    def get(self, request: HttpRequest) -> HttpResponse:
        wizard.clear(request.session, self.slug)
        initial = AllocationsMigrationForm.initial_from(request.GET)
        protected = initial["activityStartDate"] if initial.get("protectStartDate") else None
        if protected:
            wizard.save(request.session, self.slug, **{PROTECTED: protected})
        return self.render("start.html", {"form": _form(initial=initial, protected=protected)})

    def post(self, request: HttpRequest) -> HttpResponse:
        protected = wizard.state(request.session, self.slug).get(PROTECTED)
        form = _form(request.POST, protected=protected)
        if not form.is_valid():
            return self.render("start.html", {"form": form, "page_has_errors": True})
        wizard.clear(request.session, self.slug)
        wizard.save(
            request.session,
            self.slug,
            typed=form.typed_values(),
            filter=form.upstream_filter(),
            **({PROTECTED: protected} if protected else {}),
        )
        return HttpResponseRedirect(self.url("preview"))


class AllocationsAmendView(AmendView):
    def get(self, request: HttpRequest) -> HttpResponse:
        state = wizard.state(request.session, self.slug)
        form = _form(initial=state.get("typed") or {}, protected=state.get(PROTECTED))
        return self.render("start.html", {"form": form})
