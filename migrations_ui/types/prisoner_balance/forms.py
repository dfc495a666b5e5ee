"""The prisoner balance start form (upstream-api-types.md §2.9).

The same one optional prison code as prison balance, with the same rules and body
(`PrisonerBalanceMigrationFilter {prisonId?}`), but a class of its own: the old dashboard shared
one session form between the two types (§6.8); here each keeps its own.
"""

from __future__ import annotations

from migrations_ui.types.prison_balance.forms import PrisonBalanceMigrationForm


class PrisonerBalanceMigrationForm(PrisonBalanceMigrationForm):
    """`{"prisonId": "MDI"}` or `{}` (S9): the prisoners' balances of one prison, or of all."""
