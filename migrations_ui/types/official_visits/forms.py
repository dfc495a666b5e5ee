"""The official visits start form (upstream-api-types.md §2.7), with its quirks fixed.

The old dashboard split prison codes on commas without trimming them and sent `[""]` for a blank
field (§6.9); here codes are trimmed, upper-cased and checked, and a blank field sends nothing,
which the service reads as every prison.
"""

from __future__ import annotations

from typing import Any

from migrations_ui.fields import DateField, PrisonCodesField, order_error
from migrations_ui.forms import MigrationFilterForm

_CREATED = "The date the visit was created in NOMIS, not the date of the visit."


class OfficialVisitsMigrationForm(MigrationFilterForm):
    question = "Which official visits should be migrated?"

    prisonIds = PrisonCodesField(
        label="Prison codes (optional)",
        hint="Leave this empty to migrate the official visits of every prison.",
    )
    fromDate = DateField(
        label="Earliest creation date (optional)",
        hint=f"{_CREATED} Visits created on or after this date are migrated.",
    )
    toDate = DateField(
        label="Latest creation date (optional)",
        hint=f"{_CREATED} Visits created on or before this date are migrated.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        order_error(self, "fromDate", "toDate", same_allowed=True)
        return cleaned

    def upstream_filter(self) -> dict[str, Any]:
        """`OfficialVisitsMigrationFilter` (S7): each part only when given (no prisons: all)."""
        data = self.cleaned_data
        body: dict[str, Any] = {}
        if data["prisonIds"]:
            body["prisonIds"] = data["prisonIds"]
        if data.get("fromDate"):
            body["fromDate"] = data["fromDate"].isoformat()
        if data.get("toDate"):
            body["toDate"] = data["toDate"].isoformat()
        return body
