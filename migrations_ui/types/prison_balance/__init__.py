"""Prison Balance (`PRISON_BALANCE`): upstream-api-types.md §2.8, with its quirks fixed.

One prison's balances, or every caseload NOMIS holds balances for (N8). The entity body is the
bare prison code, so failures show it (not the old dashboard's blank "Offebder ID"), and the
already-migrated link searches for the line the service really logs (§5, §6.6-§6.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.base import Line, MigrationType
from migrations_ui.types.prison_balance.forms import PrisonBalanceMigrationForm


def prison_of(filter: Mapping[str, Any]) -> str:
    """The filter's prison code; the old dashboard stored `""` for every prison."""
    value = filter.get("prisonId")
    return value if isinstance(value, str) else ""


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """1 for one prison, as the service counts it (no call); else N8's ids, one per prison."""
    if prison_of(filter):
        return 1
    return len(NomisPrisonerApiClient(username=username).prison_balance_ids())


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [Line("prisonId", "Prison code", prison_of(filter) or "All prisons", "prison-id")]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [Line("prison", "Prison", prison_of(filter) or "All")]


def entity_id(body: Any) -> str:
    """A failed message's entity body is the bare prison code, `"MDI"`."""
    return body if isinstance(body, str) else ""


TYPE = MigrationType(
    slug="prison_balance",
    upstream_type="PRISON_BALANCE",
    url_prefix="prison-balance-migration",
    start_path="prison-balance",
    name="Prison Balance",
    records="prison balances",
    sample_form=lambda tomorrow: {},
    roles=(),
    form=PrisonBalanceMigrationForm,
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Prison",
    entity_id=entity_id,
    already_migrated_log="Will not migrate the nomis id=",
    templates={"_start_fields.html": "migrations_ui/prison_balance/_start_fields.html"},
)
