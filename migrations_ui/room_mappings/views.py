"""Visit room mappings (reference-dashboard.md §2.3, §5): the admin pages operators use to map the
NOMIS rooms the visits preview warns about, without the existing dashboard's shortcomings.

Every page needs `migrations_ui.manage_room_mappings` (MIGRATE_VISITS or SYSCON). Adding and
deleting are CSRF-protected POSTs through `services.room_mappings`, audited before they are sent.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views import View

import upstream
from accounts.mixins import PermissionRequiredMixin
from kernel.jinja2 import kept_page
from migrations_ui.actions import AuditedActionMixin
from migrations_ui.room_mappings import PERMISSION
from migrations_ui.room_mappings.forms import AddRoomMappingForm, PrisonForm, RoomForm
from migrations_ui.room_mappings.table_rows import room_rows_html
from migrations_ui.selectors.preview import describe_failure
from migrations_ui.selectors.room_mappings import RoomTable, room_table
from migrations_ui.services.room_mappings import room_mapping_add, room_mapping_delete
from upstream.deadline import UpstreamCalls

_FLASH = "migrations_ui.room_mappings.flash"


class RoomMappingView(AuditedActionMixin, PermissionRequiredMixin, View):
    permission_required = PERMISSION
    # What a POST to it asks for, should it be refused because the session expired.
    action_words: ClassVar[str] = ""

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        return render(self.request, f"room_mappings/{template}", context, status=status)

    def table_url(self, form: PrisonForm) -> str:
        return f"{reverse('room_mappings:table')}?{urlencode(form.table_query())}"

    def posted_room(self) -> RoomForm:
        room = RoomForm(self.request.POST)
        room.is_valid()
        return room

    def refused_unrecorded(self) -> HttpResponse:
        return self.render("unrecorded.html", {"room": self.posted_room()}, status=503)

    def where_to_check(self, **kwargs: Any) -> list[tuple[str, str]]:
        """The room table shows what happened."""
        room = self.posted_room()
        return [(f"The room table for {room.cleaned_data['prisonId']}", self.table_url(room))]

    def flash(self, message: str) -> None:
        self.request.session[_FLASH] = message

    def pop_flash(self) -> str | None:
        message = self.request.session.pop(_FLASH, None)
        return str(message) if message else None


def _first_view() -> QueryDict:
    """A fresh prison form: "Future visits only" ticked, the fast query."""
    return QueryDict("futureVisits=true")


class PrisonView(RoomMappingView):
    """`/visits-room-mappings/prison`: choose a prison."""

    upstream_calls = UpstreamCalls()

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render("prison.html", {"form": PrisonForm(_first_view()), "bound": False})


class TableView(RoomMappingView):
    """`/visits-room-mappings/?prisonId=MDI&futureVisits=true`: the prison's rooms."""

    upstream_calls = UpstreamCalls(required=("R1 the mappings", "N17 the rooms' usage"))

    def get(self, request: HttpRequest) -> HttpResponse:
        if "prisonId" not in request.GET:
            return HttpResponseRedirect(reverse("room_mappings:prison"))
        form = PrisonForm(request.GET)
        if not form.is_valid():
            return self.render(
                "prison.html", {"form": form, "bound": True, "page_has_errors": True}
            )
        data = form.cleaned_data
        try:
            table: RoomTable | None = room_table(
                user=request.user, prison_id=data["prisonId"], future_only=data["futureVisits"]
            )
            problem = ""
        except upstream.ApiError as error:
            table, problem = None, describe_failure(error)
        query = form.table_query()
        return self.table_page(
            table,
            query,
            {
                "form": form,
                "table": table,
                "rows": room_rows_html(table, query) if table else "",
                "problem": problem,
                "query": query,
                "flash": self.pop_flash(),
                "back_to_preview": data.get("back") == "preview",
            },
        )

    def table_page(
        self, table: RoomTable | None, query: dict[str, str], context: dict[str, Any]
    ) -> HttpResponse:
        """The same table (its answers unchanged) for the same query and user: the page written
        last time (kernel.jinja2.kept_page); a failure or a message is written each time."""
        if table is None or context["flash"]:
            return self.render("table.html", context, status=200 if table is not None else 502)
        key = tuple(sorted(query.items()))
        page = kept_page("room_mappings/table.html", key, context, self.request, source=table)
        return HttpResponse(page)


class AddView(RoomMappingView):
    """GET: the form for one unmapped room. POST: add the mapping, then back to the table."""

    upstream_calls = UpstreamCalls(required=("R2 the new mapping (POST)",))

    action_words: ClassVar[str] = "add the room mapping"
    done_words: ClassVar[str] = "the room mapping was added"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = RoomForm(request.GET)
        if not form.is_valid():
            return HttpResponseRedirect(reverse("room_mappings:prison"))
        add = AddRoomMappingForm(initial={"isOpen": False})
        return self.render("add.html", {"room": form, "form": add, "page_has_errors": False})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AddRoomMappingForm(request.POST)
        room = RoomForm(request.POST)
        if not room.is_valid():
            return HttpResponseRedirect(reverse("room_mappings:prison"))
        if not form.is_valid():
            return self.render("add.html", {"room": room, "form": form, "page_has_errors": True})
        values = form.values()
        try:
            room_mapping_add(context=self.audit_context(), **values)
        except upstream.OutcomeUnknown:
            raise  # a lost answer: migrations_ui.actions says so
        except upstream.ApiError as error:
            form.add_error(None, not_added(error))
            refused = isinstance(error, (upstream.BadRequest, upstream.Conflict))
            context = {"room": room, "form": form, "page_has_errors": True}
            return self.render("add.html", context, status=409 if refused else 502)
        self.flash(f"{values['nomis_room']} is now mapped to {values['dps_room']}.")
        return HttpResponseRedirect(self.table_url(room))


def not_added(error: upstream.ApiError) -> str:
    """Why a mapping was not added: the mapping service's own words, or which service failed."""
    if isinstance(error, (upstream.BadRequest, upstream.Conflict)):
        return (
            f"The mapping service did not add the mapping: "
            f"{error.user_message or 'the room may already be mapped'}. "
            "Go back to the room table to see its current mapping."
        )
    return (
        f"The mapping could not be added because {describe_failure(error)}. "
        "Nothing is lost: try again, or check the room table first."
    )


class DeleteView(RoomMappingView):
    """GET: confirm, naming the room and what it maps to. POST: delete, then back to the table."""

    upstream_calls = UpstreamCalls(required=("R1 the mapping to delete", "R3 the delete (POST)"))

    action_words: ClassVar[str] = "delete the room mapping"
    done_words: ClassVar[str] = "the room mapping was deleted"

    def _mapped(self, form: RoomForm) -> Any:
        """The room's current mapping, read again so the page names what will be deleted."""
        data = form.cleaned_data
        table = room_table(user=self.request.user, prison_id=data["prisonId"], future_only=True)
        row = table.row(data["nomisRoomDescription"])
        return row.mapping if row else None

    def get(self, request: HttpRequest) -> HttpResponse:
        form = RoomForm(request.GET)
        if not form.is_valid():
            return HttpResponseRedirect(reverse("room_mappings:prison"))
        mapping = self._mapped(form)
        if mapping is None:
            self.flash(f"{form.cleaned_data['nomisRoomDescription']} has no mapping to delete.")
            return HttpResponseRedirect(self.table_url(form))
        return self.render("delete.html", {"room": form, "mapping": mapping})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RoomForm(request.POST)
        if not form.is_valid():
            return HttpResponseRedirect(reverse("room_mappings:prison"))
        mapping = self._mapped(form)
        if mapping is None:
            self.flash(f"{form.cleaned_data['nomisRoomDescription']} has no mapping to delete.")
            return HttpResponseRedirect(self.table_url(form))
        room_mapping_delete(
            context=self.audit_context(),
            prison_id=mapping.prison_id or form.cleaned_data["prisonId"],
            nomis_room=mapping.nomis_room,
            dps_room=mapping.dps_room,
            is_open=mapping.is_open,
        )
        self.flash(f"The mapping of {mapping.nomis_room} to {mapping.dps_room} was deleted.")
        return HttpResponseRedirect(self.table_url(form))
