"""The appointments start form (upstream-api-types.md §2.3), prison codes trimmed and checked."""

from __future__ import annotations

from typing import Any

from migrations_ui.fields import DateField, PrisonCodesField, order_error
from migrations_ui.forms import MigrationFilterForm

_SCHEDULED = "The date of the appointment in NOMIS (event_date)."


class AppointmentsMigrationForm(MigrationFilterForm):
    question = "Which appointments should be migrated?"

    prisonIds = PrisonCodesField(label="Prison codes", required=True)
    fromDate = DateField(
        label="Earliest appointment date (optional)",
        hint=f"{_SCHEDULED} Appointments on or after this date are migrated.",
    )
    toDate = DateField(
        label="Latest appointment date (optional)",
        hint=f"{_SCHEDULED} Appointments on or before this date are migrated.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        order_error(self, "fromDate", "toDate", same_allowed=True)
        return cleaned

    def upstream_filter(self) -> dict[str, Any]:
        """S3's body: prison codes, and each date only when one was given."""
        data = self.cleaned_data
        body: dict[str, Any] = {"prisonIds": data["prisonIds"]}
        for name in ("fromDate", "toDate"):
            if data.get(name):
                body[name] = data[name].isoformat()
        return body
