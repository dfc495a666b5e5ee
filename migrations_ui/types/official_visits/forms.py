"""The official visits start form (upstream-api-types.md §2.7), with its quirks fixed.

The old dashboard split prison codes on commas without trimming them and sent `[""]` for a blank
field (§6.9); here codes are trimmed, upper-cased and checked, and a blank field sends nothing,
which the service reads as every prison.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from migrations_ui.forms import PRISON_CODE, MigrationFilterForm, ParsedTextField

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(text: str) -> dt.date | None:
    """`2020-03-23` only (`date.fromisoformat` would also take `20200323` and week dates)."""
    match = _ISO_DATE.match(text.strip())
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


class DateTextField(ParsedTextField):
    """An optional date typed as `2020-03-23`."""

    parse = staticmethod(parse_date)


def prison_codes(text: str) -> list[str]:
    """Codes typed with commas, spaces or new lines between them, upper-cased, in order, once."""
    return list(dict.fromkeys(part.upper() for part in re.split(r"[\s,]+", text) if part))


class OfficialVisitsMigrationForm(MigrationFilterForm):
    prisonIds = forms.CharField(required=False, max_length=1_000)
    fromDate = DateTextField(invalid_message="Enter a real date, like 2020-03-23")
    toDate = DateTextField(invalid_message="Enter a real date, like 2020-03-23")

    def clean_prisonIds(self) -> list[str]:
        codes = prison_codes(self.cleaned_data.get("prisonIds") or "")
        if any(not PRISON_CODE.match(code) for code in codes):
            raise forms.ValidationError(
                "Enter prison codes of 3 letters, like HEI or HEI, MDI", code="invalid"
            )
        return codes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("fromDate"), cleaned.get("toDate")
        if start and end and start > end:
            self.add_error(
                "fromDate",
                forms.ValidationError(
                    "The created on or after date must be the same as or before the created on "
                    "or before date",
                    code="order",
                ),
            )
        return cleaned

    def upstream_filter(self) -> dict[str, Any]:
        """`OfficialVisitsMigrationFilter` (S7): each part only when given (no prisons: all)."""
        data = self.cleaned_data
        body: dict[str, Any] = {}
        if data["prisonIds"]:
            body["prisonIds"] = data["prisonIds"]
        if data.get("fromDate"):
            body["fromDate"] = data["fromDate"].isoformat()
        if data.get("toDate"):
            body["toDate"] = data["toDate"].isoformat()
        return body

    def typed_values(self) -> dict[str, Any]:
        return {name: self.raw(name) for name in ("prisonIds", "fromDate", "toDate")}
