"""The allocations start form (upstream-api-types.md §2.2).

Reached from an activities run ("Migrate allocations"), it is pre-filled from the query, and the
run's start date is then protected: shown read-only and refused if changed, for the whole flow
(the views keep it in the wizard's session state, §6.12).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django import forms

from migrations_ui.types.activities.forms import (
    ActivityFilterForm,
    clean_course_activity_id,
    clean_future_date,
    clean_prison_id,
    today,
)

FIELDS = ("prisonId", "courseActivityId", "activityStartDate")


def protectable_date(text: str) -> str | None:
    """The query's start date if it is one the form accepts (so protecting it never locks the
    user into a value that can never be sent), else None.
    """
    try:
        return clean_future_date(
            text, after=today(), later_message="The activity start date must be after today."
        ).isoformat()
    except forms.ValidationError:
        return None


class AllocationsMigrationForm(ActivityFilterForm):
    field_order = FIELDS

    def __init__(self, *args: Any, protected_start_date: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protected_start_date = protected_start_date

    @classmethod
    def initial_from(cls, query: Any) -> dict[str, Any]:
        """The activities run's values from "Migrate allocations", when there are any.

        Each is checked as the form would; only a valid one is kept, and a valid start date is
        marked to be protected.
        """
        initial: dict[str, Any] = {}
        prison = str(query.get("prisonId") or "").strip()
        course = str(query.get("courseActivityId") or "").strip()
        start = str(query.get("activityStartDate") or "").strip()
        with contextlib.suppress(forms.ValidationError):
            initial["prisonId"] = clean_prison_id(prison)
        try:
            if clean_course_activity_id(course) is not None:
                initial["courseActivityId"] = course
        except forms.ValidationError:
            pass
        protected = protectable_date(start)
        if protected:
            initial["activityStartDate"] = protected
            initial["protectStartDate"] = True
        return initial

    def clean_activityStartDate(self) -> dt.date:
        date = super().clean_activityStartDate()
        if self.protected_start_date and date.isoformat() != self.protected_start_date:
            raise forms.ValidationError(
                "The activity start date must be the Activities migration's start date, "
                f"{self.protected_start_date}.",
                code="protected",
            )
        return date

    def raw(self, name: str) -> str:
        if name == "activityStartDate" and self.protected_start_date:
            return self.protected_start_date
        return super().raw(name)
