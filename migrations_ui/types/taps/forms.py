"""The Temporary Absence repair start form (upstream-api-types.md §2.10): one optional prisoner.

The old dashboard did not check the number and posted its whole session form as the start body
(§6.8); the service trusts whatever number it is given. Here the number is checked as court
sentencing checks its numbers, and the body is `{"prisonerNumber": "A1234BC"}` or `{}`.
"""

from __future__ import annotations

from typing import Any

from migrations_ui.fields import PrisonerNumberField
from migrations_ui.forms import MigrationFilterForm


class TapsMigrationForm(MigrationFilterForm):
    intro = (
        "A repair run sends all of a prisoner's temporary absence data in NOMIS (applications, "
        "schedules and movements) to DPS again, replacing what DPS holds. Use it after the sync "
        "rules change. Try one prisoner first and check their temporary absences in DPS before "
        "repairing everyone."
    )

    question = "Whose temporary absences should be repaired?"

    prisonerNumber = PrisonerNumberField(
        label="Prisoner number (optional)",
        hint="Leave this empty to repair the temporary absences of every prisoner in NOMIS.",
    )

    def upstream_filter(self) -> dict[str, Any]:
        """`TapMigrationFilter` (S10): `prisonerNumber` only when one was given."""
        number = self.cleaned_data["prisonerNumber"]
        return {"prisonerNumber": number} if number else {}
