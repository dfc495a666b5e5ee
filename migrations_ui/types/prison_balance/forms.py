"""The prison balance start form (upstream-api-types.md §2.8): one optional prison code.

The old dashboard posted its whole session form as the start body (CSRF token included) and
shared that session with prisoner balance (§6.8); this form gives `{"prisonId": "MDI"}` or `{}`
and nothing else, and the generic wizard keeps each type's session apart.
"""

from __future__ import annotations

from typing import Any

from django import forms

from migrations_ui.forms import PRISON_CODE, MigrationFilterForm


class PrisonBalanceMigrationForm(MigrationFilterForm):
    prisonId = forms.CharField(required=False, max_length=100)

    def clean_prisonId(self) -> str:
        code = str(self.cleaned_data.get("prisonId") or "").strip().upper()
        if code and not PRISON_CODE.match(code):
            raise forms.ValidationError(
                "Enter a prison code of 3 letters, like MDI", code="invalid"
            )
        return code

    def upstream_filter(self) -> dict[str, Any]:
        """`PrisonBalanceMigrationFilter` (S8): `prisonId` only when one was given."""
        code = self.cleaned_data["prisonId"]
        return {"prisonId": code} if code else {}

    def typed_values(self) -> dict[str, Any]:
        return {"prisonId": self.raw("prisonId")}
