"""The visits start form (reference-dashboard.md §4.3), with the fixes of §13."""

from __future__ import annotations

from typing import Any

from migrations_ui.fields import ChoicesField, DateTimeField, PrisonCodesField, order_error
from migrations_ui.forms import MigrationFilterForm, iso_local

VISIT_TYPE_CHOICES = [("SCON", "Social visits"), ("OFFI", "Official visits")]
_CREATED = "The date the visit was created in NOMIS, not the date of the visit."


class VisitsMigrationForm(MigrationFilterForm):
    """The visits start form (reference-dashboard.md §4.3), with the fixes of §13.

    Field names are the existing dashboard's, so bookmarked and scripted URLs keep working.
    """

    question = "Which visits should be migrated?"

    visitTypes = ChoicesField(label="Visit types", choices=VISIT_TYPE_CHOICES)
    prisonIds = PrisonCodesField(label="Prison codes", required=True)
    fromDateTime = DateTimeField(
        label="Earliest creation date (optional)",
        hint=f"{_CREATED} Visits created after this date are migrated.",
    )
    toDateTime = DateTimeField(
        label="Latest creation date (optional)",
        hint=f"{_CREATED} Visits created before this date are migrated.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        order_error(self, "fromDateTime", "toDateTime", same_allowed=False)
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
