"""The activities family: activities, their allocations and appointments share these pieces.

Each type's package imports from here, never from another type's package: the filter of a prison,
a start date and an optional course activity (activities and allocations), and "Activate prison"
on a preview (activities and appointments, `views.ActivatePrisonView`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from migrations_ui.fields import DateField, IdField, PrisonCodeField, message
from migrations_ui.forms import MigrationFilterForm

# Where a course activity's id is found in NOMIS (in separate words, so the hint can wrap).
COURSE_ACTIVITY_HINT = "The CRS_ACTY_ID of the activity in the COURSE_ACTIVITIES table of NOMIS."


def today() -> dt.date:
    """The service's local date (Europe/London), which "after today" rules are about."""
    return timezone.localdate()


def tomorrow() -> str:
    return (today() + dt.timedelta(days=1)).isoformat()


def must_be_after(date: dt.date, earliest: dt.date, text: str) -> dt.date:
    """`date`, if it is after `earliest`; else the field's "too early" error."""
    if date <= earliest:
        raise forms.ValidationError(text, code="too_early")
    return date


class ActivityFilterForm(MigrationFilterForm):
    """Prison, start date and optional course activity: the filter of activities and allocations.

    Each type declares the three fields (its own hints), and gets their rules and body here.
    """

    @classmethod
    def earliest_start_date(cls) -> str:
        """Tomorrow, `YYYY-MM-DD`: a start date on or after it is still in the future."""
        return tomorrow()

    def clean_activityStartDate(self) -> dt.date:
        label = str(self.fields["activityStartDate"].label or "")
        too_early = message("date", "after_today", label)
        return must_be_after(self.cleaned_data["activityStartDate"], today(), too_early)

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
    return PrisonCodeField(label="Prison code", required=True)


def course_activity_field(hint: str) -> IdField:
    return IdField(label="Course activity ID (optional)", hint=f"{COURSE_ACTIVITY_HINT} {hint}")


def start_date_field(label: str, hint: str) -> DateField:
    return DateField(label=label, hint=hint, required=True)
