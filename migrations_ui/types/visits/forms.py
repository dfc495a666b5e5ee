"""The visits start form (reference-dashboard.md §4.3), with the fixes of §13."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from migrations_ui.forms import PRISON_CODE, DateTimeTextField, MigrationFilterForm, iso_local

VISIT_TYPE_CHOICES = [("SCON", "Social visits"), ("OFFI", "Official visits")]


class VisitsMigrationForm(MigrationFilterForm):
    """The visits start form (reference-dashboard.md §4.3), with the fixes of §13.

    Field names are the existing dashboard's, so bookmarked and scripted URLs keep working.
    """

    prisonIds = forms.CharField(
        error_messages={"required": "Enter one or more prison codes"},
    )
    visitTypes = forms.MultipleChoiceField(
        choices=VISIT_TYPE_CHOICES,
        error_messages={
            "required": "Select the type of visits to migrate",
            "invalid_choice": "Select the type of visits to migrate",
        },
    )
    fromDateTime = DateTimeTextField(
        invalid_message=(
            "Enter a real date for the created after date, like 2020-03-23 or 2020-03-23T12:00:00"
        ),
    )
    toDateTime = DateTimeTextField(
        invalid_message=(
            "Enter a real date for the created before date, like 2020-03-28 or 2020-03-28T12:00:00"
        ),
    )

    def clean_prisonIds(self) -> list[str]:
        text = self.cleaned_data["prisonIds"]
        codes = [code.upper() for code in re.split(r"[\s,]+", text) if code]
        if not codes:
            raise forms.ValidationError("Enter one or more prison codes", code="required")
        bad = [code for code in codes if not PRISON_CODE.match(code)]
        if bad:
            raise forms.ValidationError(
                "Prison codes must be 3 letters, like HEI or HEI, MDI", code="invalid"
            )
        # Keep the order typed, without repeats.
        return list(dict.fromkeys(codes))

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

    def typed_values(self) -> dict[str, Any]:
        """What the user typed, kept in the session so "Change" refills the form."""
        return {
            "prisonIds": self.raw("prisonIds"),
            "visitTypes": self.selected("visitTypes"),
            "fromDateTime": self.raw("fromDateTime"),
            "toDateTime": self.raw("toDateTime"),
        }
