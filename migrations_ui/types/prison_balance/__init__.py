"""Prison Balance (`PRISON_BALANCE`): upstream-api-types.md §2.8, with its quirks fixed.

One prison's balances, or every caseload NOMIS holds balances for (N8). The entity body is the
bare prison code, so failures show it (not the old dashboard's blank "Offebder ID"), and the
already-migrated link searches for the line the service really logs (§5, §6.6-§6.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.balance_family import balance_form, filter_lines, prison_of, summary
from migrations_ui.types.base import MigrationType


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """1 for one prison, as the service counts it (no call); else N8's ids, one per prison."""
    if prison_of(filter):
        return 1
    # N8 `GET /finance/prison/ids`: a bare array of the caseloads that have balances.
    client = NomisPrisonerApiClient(username=username)
    return len(client.strings("/finance/prison/ids", what="prison balance ids"))


def entity_id(body: Any) -> str:
    """A failed message's entity body is the bare prison code, `"MDI"`."""
    return body if isinstance(body, str) else ""


TYPE = MigrationType(
    slug="prison_balance",
    upstream_type="PRISON_BALANCE",
    url_prefix="prison-balance-migration",
    description="Prisons' account balances, of one prison or every one, to DPS.",
    start_path="prison-balance",
    name="Prison balance",
    records="prison balances",
    sample_form=lambda tomorrow: {},
    roles=(),
    form=balance_form(
        "PrisonBalanceMigrationForm",
        question="Which prison's balances should be migrated?",
        every="the balances of every prison in NOMIS",
    ),
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Prison",
    entity_id=entity_id,
    already_migrated_log="Will not migrate the nomis id=",
)
