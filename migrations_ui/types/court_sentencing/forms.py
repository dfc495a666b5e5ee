"""The court sentencing start form.

The migration service filters court sentencing only by prisoner numbers (`offenderNo`, a comma
separated list) and ignores the date fields the existing dashboard shows (upstream-api-types.md
§2.4, §6.1), so this form offers prisoner numbers and no dates that would do nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from migrations_ui.forms import MigrationFilterForm

PRISONER_NUMBER = re.compile(r"^[A-Z][0-9]{4}[A-Z]{2}$")


def prisoner_numbers(text: str) -> list[str]:
    """Numbers typed with commas, spaces or new lines between them, upper-cased, in order."""
    return list(dict.fromkeys(part.upper() for part in re.split(r"[\s,]+", text) if part))


class CourtSentencingMigrationForm(MigrationFilterForm):
    offenderNo = forms.CharField(required=False, max_length=10_000)

    def clean_offenderNo(self) -> list[str]:
        numbers = prisoner_numbers(self.cleaned_data.get("offenderNo") or "")
        if any(not PRISONER_NUMBER.match(number) for number in numbers):
            raise forms.ValidationError(
                "Enter prisoner numbers in the correct format, like A1234BC, "
                "separated by commas or spaces",
                code="invalid",
            )
        return numbers

    def upstream_filter(self) -> dict[str, Any]:
        """`CourtSentencingMigrationFilter` (S4): `offenderNo` only when numbers were given."""
        numbers = self.cleaned_data["offenderNo"]
        return {"offenderNo": ",".join(numbers)} if numbers else {}

    def typed_values(self) -> dict[str, Any]:
        return {"offenderNo": self.raw("offenderNo")}
