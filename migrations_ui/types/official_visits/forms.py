"""The official visits start form (upstream-api-types.md §2.7), with its quirks fixed.

The old dashboard split prison codes on commas without trimming them and sent `[""]` for a blank
field (§6.9); here codes are trimmed, upper-cased and checked, and a blank field sends nothing,
which the service reads as every prison.
"""

from __future__ import annotations

from typing import Any

from django import forms

from migrations_ui.fields import DateField, PrisonCodesField
from migrations_ui.forms import MigrationFilterForm

_CREATED = "This is the date the visit was created in NOMIS, not the date of the visit."


class OfficialVisitsMigrationForm(MigrationFilterForm):
    question = "Which official visits should be migrated?"

    prisonIds = PrisonCodesField(
        label="Prison codes (optional)",
        hint="One or more 3 letter prison codes, separated by commas or spaces. For example, HEI "
        "or HEI, WWI. Leave this empty to migrate the official visits of every prison.",
    )
    fromDate = DateField(
        label="Only include official visits created on or after this date (optional)",
        hint=f"For example, 2020-03-23. {_CREATED}",
    )
    toDate = DateField(
        label="Only include official visits created on or before this date (optional)",
        hint=f"For example, 2020-03-30. {_CREATED}",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("fromDate"), cleaned.get("toDate")
        if start and end and start > end:
            self.add_error(
                "fromDate",
                forms.ValidationError(
                    "The created on or after date must be the same as or before the created on "
                    "or before date",
                    code="order",
                ),
            )
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
