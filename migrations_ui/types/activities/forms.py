"""The activities start form and "Move start date" (upstream-api-types.md §2.1).

Rules and messages are the existing dashboard's, with the course activity id sent as a number and
left out when blank (the activities family: `migrations_ui.types.activities_family`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from migrations_ui.forms import GovukForm
from migrations_ui.types.activities_family import (
    ActivityFilterForm,
    course_activity_field,
    must_be_after,
    prison_field,
    start_date_field,
    today,
    tomorrow,
)


class ActivitiesMigrationForm(ActivityFilterForm):
    question = "Which activities should be migrated?"

    prisonId = prison_field()
    activityStartDate = start_date_field(
        "Activity start date",
        "The migrated activities start in DPS on this date. It must be after today.",
    )
    courseActivityId = course_activity_field(
        "Leave this empty to migrate every active activity of the prison."
    )

    @classmethod
    def initial_from(cls, query: Any) -> dict[str, Any]:
        """A fresh form starts the activities tomorrow, the earliest date allowed."""
        return {"activityStartDate": tomorrow()}


class MoveStartDateForm(GovukForm):
    """The new start date of an ended activities run (upstream-api-types.md §2.1)."""

    newActivityStartDate = start_date_field(
        "New activity start date", "It must be after the current start date."
    )

    def __init__(self, *args: Any, current_start: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_start = current_start

    def clean_newActivityStartDate(self) -> dt.date:
        return must_be_after(
            self.cleaned_data["newActivityStartDate"],
            # Already in the future (checked before the form is offered), so also after today.
            max(self.current_start, today()),
            "New activity start date must be after the current start date",
        )
