"""The allocations start form (upstream-api-types.md §2.2).

Reached from an activities run ("Migrate allocations"), it is pre-filled from the query, and the
run's start date is then protected: shown read-only and refused if changed, for the whole flow
(the views keep it in the wizard's session state, §6.12).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from migrations_ui.types.activities_family import (
    ActivityFilterForm,
    course_activity_field,
    prison_field,
    start_date_field,
)


class AllocationsMigrationForm(ActivityFilterForm):
    question = "Which allocations should be migrated?"

    prisonId = prison_field()
    courseActivityId = course_activity_field(
        "Leave this empty to migrate the allocations of every active activity of the prison."
    )
    activityStartDate = start_date_field(
        "Activity start date",
        "The date the activities start in DPS: allocations active on this date are migrated. "
        "It must be after today. It cannot be changed when it comes from an activities "
        "migration.",
    )

    def __init__(self, *args: Any, protected_start_date: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protected_start_date = protected_start_date
        if protected_start_date:
            start = self.fields["activityStartDate"]
            start.hint = (  # type: ignore[attr-defined]
                "This is the activities migration's start date, so it cannot be changed here. "
                "Allocations active on this date are migrated."
            )
            start.attributes = {  # type: ignore[attr-defined]
                "readonly": "readonly",
                "data-qa": "protected-activityStartDate",
            }

    @classmethod
    def initial_from(cls, query: Any) -> dict[str, Any]:
        """The activities run's values from "Migrate allocations", when there are any.

        Each is checked as the form would; only a valid one is kept, and a valid start date is
        marked to be protected (so protecting it never locks the user into a value that can
        never be sent).
        """
        initial: dict[str, Any] = {}
        form = cls({name: str(query.get(name) or "").strip() for name in cls.base_fields})
        form.is_valid()
        for name in ("prisonId", "courseActivityId"):
            if form.cleaned_data.get(name):
                initial[name] = form.cleaned_data[name] if name == "prisonId" else form.raw(name)
        start = form.cleaned_data.get("activityStartDate")
        if isinstance(start, dt.date):
            initial["activityStartDate"] = start.isoformat()
            initial["protectStartDate"] = True
        return initial

    def clean_activityStartDate(self) -> dt.date:
        date = super().clean_activityStartDate()
        if self.protected_start_date and date.isoformat() != self.protected_start_date:
            raise forms.ValidationError(
                "Activity start date must be the activities migration's start date, "
                f"{self.protected_start_date}",
                code="protected",
            )
        return date

    def raw(self, name: str) -> str:
        if name == "activityStartDate" and self.protected_start_date:
            return self.protected_start_date
        return super().raw(name)
