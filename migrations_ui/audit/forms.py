"""The audit log's filter form: validates the query string into `AuditFilters`.

Field names are the query-string keys, so a filtered page (and its export) is a shareable URL.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from migrations_ui.forms import GovukForm, ParsedTextField
from migrations_ui.models import AuditEvent
from migrations_ui.selectors.audit import AuditFilters
from migrations_ui.types import MIGRATION_TYPES

FILTER_KEYS = ("user", "action", "outcome", "migrationType", "migrationId", "dateFrom", "dateTo")

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str) -> dt.date | None:
    """`2022-03-14` or `14/3/2022`; None when it is not a real date."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


class DateTextField(ParsedTextField):
    """A date typed as text, as the history page's dates are."""

    parse = staticmethod(parse_date)


def _choices(empty: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", empty), *choices]


def migration_type_choices() -> list[tuple[str, str]]:
    return [(t.upstream_type, t.name) for t in MIGRATION_TYPES.values()]


class AuditFilterForm(GovukForm):
    user = forms.CharField(required=False, max_length=255)
    action = forms.ChoiceField(
        required=False,
        choices=_choices("Any action", AuditEvent.Action.choices),
        error_messages={"invalid_choice": "Select an action from the list"},
    )
    outcome = forms.ChoiceField(
        required=False,
        choices=_choices("Any outcome", AuditEvent.Outcome.choices),
        error_messages={"invalid_choice": "Select an outcome from the list"},
    )
    migrationType = forms.ChoiceField(
        required=False,
        choices=[],
        error_messages={"invalid_choice": "Select a migration type from the list"},
    )
    migrationId = forms.CharField(
        required=False,
        max_length=40,
        error_messages={"max_length": "Migration ID must be 40 characters or fewer"},
    )
    dateFrom = DateTextField(
        invalid_message="Date from must be a real date, like 2022-03-14 or 14/3/2022",
    )
    dateTo = DateTextField(
        invalid_message="Date to must be a real date, like 2022-03-28 or 28/3/2022",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["migrationType"].choices = _choices("Any type", migration_type_choices())  # type: ignore[attr-defined]
        self.fields["user"].error_messages["max_length"] = "User must be 255 characters or fewer"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("dateFrom"), cleaned.get("dateTo")
        if date_from and date_to and date_to < date_from:
            self.add_error("dateTo", "Date to must be the same as or after date from")
        return cleaned

    def select_items(self, name: str) -> list[dict[str, Any]]:
        """A select field's options for `govukSelect`, the typed value selected."""
        current = self.raw(name)
        return [
            {"value": value, "text": text, "selected": value == current}
            for value, text in self.fields[name].choices  # type: ignore[attr-defined]
        ]

    def filters(self) -> AuditFilters:
        """The validated filters (call after `is_valid()`)."""
        data = self.cleaned_data
        return AuditFilters(
            user=data.get("user") or "",
            action=data.get("action") or "",
            outcome=data.get("outcome") or "",
            migration_type=data.get("migrationType") or "",
            migration_id=data.get("migrationId") or "",
            date_from=data.get("dateFrom"),
            date_to=data.get("dateTo"),
        )

    def active_filters(self) -> list[tuple[str, str]]:
        """(query key, tag label) for each filter in use, in form order."""
        data = self.cleaned_data
        labels: dict[str, dict[str, str]] = {
            "action": dict(AuditEvent.Action.choices),
            "outcome": dict(AuditEvent.Outcome.choices),
            "migrationType": dict(migration_type_choices()),
        }
        names = {
            "user": "User",
            "action": "Action",
            "outcome": "Outcome",
            "migrationType": "Type",
            "migrationId": "Migration ID",
            "dateFrom": "From",
            "dateTo": "To",
        }
        tags = []
        for key in FILTER_KEYS:
            value = data.get(key)
            if not value:
                continue
            if isinstance(value, dt.date):
                shown = f"{value.day} {value:%B %Y}"
            else:
                shown = labels.get(key, {}).get(value, value)
            tags.append((key, f"{names[key]}: {shown}"))
        return tags
