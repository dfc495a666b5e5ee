"""The activities family: activities, their allocations and appointments share these pieces.

Each type's package imports from here, never from another type's package: the filter of a prison,
a start date and an optional course activity (activities and allocations), and "Activate prison"
on a preview (activities and appointments, `views.ActivatePrisonView`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from migrations_ui.fields import DateField, IdField, PrisonCodeField
from migrations_ui.forms import MigrationFilterForm

# The existing dashboard's words for these fields (upstream-api-types.md §2.1).
PRISON_MESSAGES = {
    "required": "Enter a prison ID.",
    "invalid": "The prison ID must contain 3 letters.",
}
DATE_MESSAGES = {"required": "Enter a date.", "invalid": "Enter a valid date."}
COURSE_ACTIVITY_MESSAGES = {
    "invalid": "The Course Activity ID must be an integer.",
    "range": "The Course Activity ID must be a whole number greater than 0.",
}
COURSE_ACTIVITY_HINT = "Example 12345, taken from column COURSE_ACTIVITIES.CRS_ACTY_ID in NOMIS."


def today() -> dt.date:
    """The service's local date (Europe/London), which "after today" rules are about."""
    return timezone.localdate()


def tomorrow() -> str:
    return (today() + dt.timedelta(days=1)).isoformat()


def must_be_after(date: dt.date, earliest: dt.date, message: str) -> dt.date:
    """`date`, if it is after `earliest`; else the field's "too early" error."""
    if date <= earliest:
        raise forms.ValidationError(message, code="too_early")
    return date


class ActivityFilterForm(MigrationFilterForm):
    """Prison, start date and optional course activity: the filter of activities and allocations.

    Each type declares the three fields (its own words), and gets their rules and body here.
    """

    too_early: ClassVar[str] = "The activity start date must be after today."

    @classmethod
    def earliest_start_date(cls) -> str:
        """Tomorrow, `YYYY-MM-DD`: a start date on or after it is still in the future."""
        return tomorrow()

    def clean_activityStartDate(self) -> dt.date:
        return must_be_after(self.cleaned_data["activityStartDate"], today(), self.too_early)

    def upstream_filter(self) -> dict[str, Any]:
        """The start body (S1, S2): the course activity id a number, left out when blank."""
        data = self.cleaned_data
        body: dict[str, Any] = {
            "prisonId": data["prisonId"],
            "activityStartDate": data["activityStartDate"].isoformat(),
        }
        if data.get("courseActivityId") is not None:
            body["courseActivityId"] = data["courseActivityId"]
        return body


def prison_field() -> PrisonCodeField:
    return PrisonCodeField(
        label="Prison code",
        hint="Example 3 letter prison id: RSI",
        required=True,
        messages=PRISON_MESSAGES,
    )


def course_activity_field(hint: str) -> IdField:
    return IdField(
        label="Migrate a single activity from the prison (optional)",
        hint=f"{COURSE_ACTIVITY_HINT} {hint}",
        messages=COURSE_ACTIVITY_MESSAGES,
    )


def start_date_field(label: str, hint: str) -> DateField:
    return DateField(label=label, hint=hint, required=True, messages=DATE_MESSAGES)
