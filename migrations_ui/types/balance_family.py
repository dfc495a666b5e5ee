"""The balance family: prison balance and prisoner balance take the same filter, one optional
prison code, and read it the same way (upstream-api-types.md §2.8, §2.9).

The old dashboard shared one session form between the two types (§6.8); here each type has its
own form class (and so its own session), declared from the family's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.fields import PrisonCodeField
from migrations_ui.forms import MigrationFilterForm
from migrations_ui.types.base import Line


def prison_of(filter: Mapping[str, Any]) -> str:
    """The filter's prison code; the old dashboard stored `""` for every prison."""
    value = filter.get("prisonId")
    return value if isinstance(value, str) else ""


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [Line("prisonId", "Prison code", prison_of(filter) or "All prisons", "prison-id")]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [Line("prison", "Prison", prison_of(filter) or "All")]


class BalanceMigrationForm(MigrationFilterForm):
    """`{"prisonId": "MDI"}` or `{}` (S8, S9): one prison, or every one; nothing else is sent."""

    prisonId: PrisonCodeField

    def upstream_filter(self) -> dict[str, Any]:
        code = self.cleaned_data["prisonId"]
        return {"prisonId": code} if code else {}


def balance_form(name: str, *, question: str, every: str) -> type[BalanceMigrationForm]:
    """The family's form for one type: `every` says what a blank prison migrates."""
    field = PrisonCodeField(
        label="Prison code (optional)", hint=f"Leave this empty to migrate {every}."
    )
    return type(
        name,
        (BalanceMigrationForm,),
        {"prisonId": field, "question": question, "__module__": __name__},
    )
