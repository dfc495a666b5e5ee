"""The activities start form, the fields allocations share with it, and "Move start date".

Rules and messages are the existing dashboard's (upstream-api-types.md §2.1), with the course
activity id sent as a number and left out when blank.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone

from migrations_ui.forms import GovukForm, MigrationFilterForm

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LETTERS = re.compile(r"^[A-Za-z]{3}$")


def today() -> dt.date:
    """The service's local date (Europe/London), which "after today" rules are about."""
    return timezone.localdate()


def tomorrow() -> str:
    return (today() + dt.timedelta(days=1)).isoformat()


def iso_date(text: str) -> dt.date | None:
    """A strict `YYYY-MM-DD` date, or None if it is not one or not a real date."""
    if not _ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def clean_prison_id(text: str) -> str:
    code = text.strip()
    if not code:
        raise forms.ValidationError("Enter a prison ID.", code="required")
    if not _LETTERS.match(code):
        raise forms.ValidationError("The prison ID must contain 3 letters.", code="invalid")
    return code.upper()


def clean_future_date(text: str, *, after: dt.date, later_message: str) -> dt.date:
    text = text.strip()
    if not text:
        raise forms.ValidationError("Enter a date.", code="required")
    date = iso_date(text)
    if date is None:
        raise forms.ValidationError("Enter a valid date.", code="invalid")
    if date <= after:
        raise forms.ValidationError(later_message, code="too_early")
    return date


def clean_course_activity_id(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise forms.ValidationError("The Course Activity ID must be an integer.", code="invalid")
    number = int(text)
    if number < 1 or number > 2**63 - 1:
        raise forms.ValidationError(
            "The Course Activity ID must be a whole number greater than 0.", code="range"
        )
    return number


class ActivityFilterForm(MigrationFilterForm):
    """Prison, start date and optional course activity: the filter of activities and allocations.

    Fields are plain text so what was typed is shown back exactly; `clean_*` normalise it.
    """

    prisonId = forms.CharField(required=False, max_length=50)
    activityStartDate = forms.CharField(required=False, max_length=50)
    courseActivityId = forms.CharField(required=False, max_length=50)

    @classmethod
    def earliest_start_date(cls) -> str:
        """Tomorrow, `YYYY-MM-DD`: a start date on or after it is still in the future."""
        return tomorrow()

    def clean_prisonId(self) -> str:
        return clean_prison_id(self.cleaned_data.get("prisonId") or "")

    def clean_activityStartDate(self) -> dt.date:
        return clean_future_date(
            self.cleaned_data.get("activityStartDate") or "",
            after=today(),
            later_message="The activity start date must be after today.",
        )

    def clean_courseActivityId(self) -> int | None:
        return clean_course_activity_id(self.cleaned_data.get("courseActivityId") or "")

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

    def typed_values(self) -> dict[str, Any]:
        return {
            name: self.raw(name) for name in ("prisonId", "activityStartDate", "courseActivityId")
        }


class ActivitiesMigrationForm(ActivityFilterForm):
    field_order = ("prisonId", "activityStartDate", "courseActivityId")

    @classmethod
    def initial_from(cls, query: Any) -> dict[str, Any]:
        """A fresh form starts the activities tomorrow, the earliest date allowed."""
        return {"activityStartDate": tomorrow()}


class MoveStartDateForm(GovukForm):
    """The new start date of an ended activities run (upstream-api-types.md §2.1)."""

    newActivityStartDate = forms.CharField(required=False, max_length=50)

    def __init__(self, *args: Any, current_start: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_start = current_start

    def clean_newActivityStartDate(self) -> dt.date:
        return clean_future_date(
            self.cleaned_data.get("newActivityStartDate") or "",
            # Already in the future (checked before the form is offered), so also after today.
            after=max(self.current_start, today()),
            later_message="The new activity start date must be after the existing start date.",
        )
