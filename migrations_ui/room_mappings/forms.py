"""Forms of the visit room mapping pages: they validate and normalise, and never call upstream."""

from __future__ import annotations

from typing import Any

from django import forms

from migrations_ui.fields import message
from migrations_ui.forms import PRISON_CODE, GovukForm

# Where the table may offer a way back to: names only, never a URL from the request.
BACK_TO_PREVIEW = "preview"
# The start forms' words for a prison code (a blank one is not a code either).
PRISON_CODE_MESSAGE = message("prison code", "invalid", "Prison code")
# NOMIS room descriptions are at most 240 characters; DPS room names are free text.
ROOM_MAX = 240


class PrisonForm(GovukForm):
    """Which prison's rooms to show, and whether to count future visits only (the fast query)."""

    prisonId = forms.CharField(
        max_length=10,
        error_messages={
            "required": message("prison code", "required", "Prison code"),
            "max_length": PRISON_CODE_MESSAGE,
        },
    )
    futureVisits = forms.BooleanField(required=False)
    back = forms.ChoiceField(choices=[("", ""), (BACK_TO_PREVIEW, "")], required=False)

    def clean_prisonId(self) -> str:
        code = str(self.cleaned_data.get("prisonId") or "").strip().upper()
        if not PRISON_CODE.match(code):
            raise forms.ValidationError(PRISON_CODE_MESSAGE, code="invalid")
        return code

    def table_query(self) -> dict[str, str]:
        """The table's query string for these values (every link and redirect keeps them)."""
        data = self.cleaned_data
        query = {
            "prisonId": data["prisonId"],
            "futureVisits": "true" if data.get("futureVisits") else "false",
        }
        if data.get("back"):
            query["back"] = data["back"]
        return query


class RoomForm(PrisonForm):
    """A room of the table, as the add and delete pages receive it."""

    nomisRoomDescription = forms.CharField(
        max_length=ROOM_MAX,
        strip=False,
        error_messages={"required": "Choose a room from the table"},
    )

    def clean_nomisRoomDescription(self) -> str:
        # Kept exactly (spaces included): it is the NOMIS room's identity, not free text.
        room = str(self.cleaned_data.get("nomisRoomDescription") or "")
        if not room.strip():
            raise forms.ValidationError("Choose a room from the table", code="required")
        return room


class AddRoomMappingForm(RoomForm):
    dpsRoom = forms.CharField(
        max_length=ROOM_MAX,
        error_messages={
            "required": "Enter the DPS room description",
            "max_length": f"Enter a DPS room description of {ROOM_MAX} characters or fewer",
        },
    )
    isOpen = forms.BooleanField(required=False)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "prison_id": data["prisonId"],
            "nomis_room": data["nomisRoomDescription"],
            "dps_room": data["dpsRoom"],
            "is_open": bool(data.get("isOpen")),
        }
