"""The appointments start form (upstream-api-types.md §2.3), prison codes trimmed and checked."""

from __future__ import annotations

from typing import Any

from django import forms

from migrations_ui.fields import DateField, PrisonCodesField
from migrations_ui.forms import MigrationFilterForm

_SCHEDULED_HINT = "Example 2020-03-23. This is the date of the appointment in NOMIS (event_date)."


class AppointmentsMigrationForm(MigrationFilterForm):
    question = "Enter the filter details for the Appointments entities you want to migrate"

    prisonIds = PrisonCodesField(
        label="Prison code",
        hint="Example 3 letter prison id: HEI or comma separated list: HEI, WWI",
        required=True,
        messages={
            "required": "Enter one or more prison IDs",
            "invalid": "Prison IDs must be 3 letters each, like HEI or HEI, WWI",
        },
    )
    fromDate = DateField(
        label="Only include Appointments scheduled on or after this date (optional)",
        hint=_SCHEDULED_HINT,
    )
    toDate = DateField(
        label="Only include Appointments scheduled on or before this date (optional)",
        hint=_SCHEDULED_HINT,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("fromDate"), cleaned.get("toDate")
        if start and end and start > end:
            self.add_error(
                "fromDate",
                forms.ValidationError(
                    "The from date must be the same as or before the to date", code="order"
                ),
            )
        return cleaned

    def upstream_filter(self) -> dict[str, Any]:
        """S3's body: prison codes, and each date only when one was given."""
        data = self.cleaned_data
        body: dict[str, Any] = {"prisonIds": data["prisonIds"]}
        for name in ("fromDate", "toDate"):
            if data.get(name):
                body[name] = data[name].isoformat()
        return body
