"""The court sentencing start form.

The migration service filters court sentencing only by prisoner numbers (`offenderNo`, a comma
separated list) and ignores the date fields the existing dashboard shows (upstream-api-types.md
§2.4, §6.1), so this form offers prisoner numbers and no dates that would do nothing.
"""

from __future__ import annotations

from typing import Any

from migrations_ui.fields import PrisonerNumbersField
from migrations_ui.forms import MigrationFilterForm


class CourtSentencingMigrationForm(MigrationFilterForm):
    question = "Which prisoners' court cases should be migrated?"

    offenderNo = PrisonerNumbersField(
        label="Prisoner numbers (optional)",
        hint="Leave this empty to migrate the court cases of every prisoner in NOMIS.",
    )

    def upstream_filter(self) -> dict[str, Any]:
        """`CourtSentencingMigrationFilter` (S4): `offenderNo` only when numbers were given."""
        numbers = self.cleaned_data["offenderNo"]
        return {"offenderNo": ",".join(numbers)} if numbers else {}
