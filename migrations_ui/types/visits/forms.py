"""The visits start form (reference-dashboard.md §4.3), with the fixes of §13."""

from __future__ import annotations

from typing import Any

from django import forms

from migrations_ui.fields import ChoicesField, DateTimeField, PrisonCodesField
from migrations_ui.forms import MigrationFilterForm, iso_local

VISIT_TYPE_CHOICES = [("SCON", "Social visits"), ("OFFI", "Official visits")]
_CREATED = "This is the date the visit was created in NOMIS, not the date of the visit."


class VisitsMigrationForm(MigrationFilterForm):
    """The visits start form (reference-dashboard.md §4.3), with the fixes of §13.

    Field names are the existing dashboard's, so bookmarked and scripted URLs keep working.
    """

    question = "Enter the filter details for the visits you want to migrate"

    visitTypes = ChoicesField(
        label="Which types of visits should be included?",
        hint="Select all that apply.",
        choices=VISIT_TYPE_CHOICES,
        messages={"required": "Select the type of visits to migrate"},
    )
    prisonIds = PrisonCodesField(
        label="Prison codes",
        hint="One or more 3 letter prison codes, separated by commas or spaces. "
        "For example, HEI or HEI, WWI",
        required=True,
        messages={"invalid": "Prison codes must be 3 letters, like HEI or HEI, MDI"},
    )
    fromDateTime = DateTimeField(
        label="Only include visits created after this date (optional)",
        hint=f"For example, 2020-03-23 or 2020-03-23T12:00:00. {_CREATED}",
        messages={
            "invalid": "Enter a real date for the created after date, like 2020-03-23 or "
            "2020-03-23T12:00:00"
        },
    )
    toDateTime = DateTimeField(
        label="Only include visits created before this date (optional)",
        hint=f"For example, 2020-03-28 or 2020-03-28T12:00:00. {_CREATED}",
        messages={
            "invalid": "Enter a real date for the created before date, like 2020-03-28 or "
            "2020-03-28T12:00:00"
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("fromDateTime"), cleaned.get("toDateTime")
        if start and end and start >= end:
            self.add_error(
                "fromDateTime",
                forms.ValidationError(
                    "The created after date must be before the created before date",
                    code="order",
                ),
            )
        return cleaned

    def upstream_filter(self) -> dict[str, Any]:
        """The `VisitsMigrationFilter` for M1, M2 and the NOMIS count (§3.2)."""
        data = self.cleaned_data
        body: dict[str, Any] = {
            "prisonIds": data["prisonIds"],
            "visitTypes": list(data["visitTypes"]),
        }
        if data.get("fromDateTime"):
            body["fromDateTime"] = iso_local(data["fromDateTime"])
        if data.get("toDateTime"):
            body["toDateTime"] = iso_local(data["toDateTime"])
        body["ignoreMissingRoom"] = False
        return body
