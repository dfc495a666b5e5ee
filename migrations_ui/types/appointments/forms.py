"""The appointments start form (upstream-api-types.md §2.3), prison codes trimmed and checked."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from migrations_ui.forms import PRISON_CODE, MigrationFilterForm
from migrations_ui.types.activities.forms import iso_date

_INVALID_DATE = "Enter a real date, like 2020-03-23"


class AppointmentsMigrationForm(MigrationFilterForm):
    prisonIds = forms.CharField(required=False, max_length=2000)
    fromDate = forms.CharField(required=False, max_length=50)
    toDate = forms.CharField(required=False, max_length=50)

    def clean_prisonIds(self) -> list[str]:
        text = self.cleaned_data.get("prisonIds") or ""
        codes = [code.upper() for code in re.split(r"[\s,]+", text) if code]
        if not codes:
            raise forms.ValidationError("Enter one or more prison IDs", code="required")
        if any(not PRISON_CODE.match(code) for code in codes):
            raise forms.ValidationError(
                "Prison IDs must be 3 letters each, like HEI or HEI, WWI", code="invalid"
            )
        return list(dict.fromkeys(codes))

    def _date(self, name: str) -> str | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        date = iso_date(text)
        if date is None:
            raise forms.ValidationError(_INVALID_DATE, code="invalid")
        return date.isoformat()

    def clean_fromDate(self) -> str | None:
        return self._date("fromDate")

    def clean_toDate(self) -> str | None:
        return self._date("toDate")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("fromDate"), cleaned.get("toDate")
        if start and end and start > end:
            self.add_error(
                "fromDate",
                forms.ValidationError(
                    "The from date must be the same as or before the to date", code="order"
                ),
            )
        return cleaned

    def upstream_filter(self) -> dict[str, Any]:
        """S3's body: prison codes, and each date only when one was given."""
        data = self.cleaned_data
        body: dict[str, Any] = {"prisonIds": data["prisonIds"]}
        for name in ("fromDate", "toDate"):
            if data.get(name):
                body[name] = data[name]
        return body

    def typed_values(self) -> dict[str, Any]:
        return {name: self.raw(name) for name in ("prisonIds", "fromDate", "toDate")}
