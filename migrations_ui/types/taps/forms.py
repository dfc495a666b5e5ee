"""The Temporary Absence repair start form (upstream-api-types.md §2.10): one optional prisoner.

The old dashboard did not check the number and posted its whole session form as the start body
(§6.8); the service trusts whatever number it is given. Here the number is checked as court
sentencing checks its numbers, and the body is `{"prisonerNumber": "A1234BC"}` or `{}`.
"""

from __future__ import annotations

from typing import Any

from django import forms

from migrations_ui.forms import MigrationFilterForm
from migrations_ui.types.court_sentencing.forms import PRISONER_NUMBER


class TapsMigrationForm(MigrationFilterForm):
    prisonerNumber = forms.CharField(required=False, max_length=100)

    def clean_prisonerNumber(self) -> str:
        number = str(self.cleaned_data.get("prisonerNumber") or "").strip().upper()
        if number and not PRISONER_NUMBER.match(number):
            raise forms.ValidationError(
                "Enter a prisoner number in the correct format, like A1234BC", code="invalid"
            )
        return number

    def upstream_filter(self) -> dict[str, Any]:
        """`TapMigrationFilter` (S10): `prisonerNumber` only when one was given."""
        number = self.cleaned_data["prisonerNumber"]
        return {"prisonerNumber": number} if number else {}

    def typed_values(self) -> dict[str, Any]:
        return {"prisonerNumber": self.raw("prisonerNumber")}
