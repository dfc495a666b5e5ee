"""Prisoner Balance (`PRISONER_BALANCE`): upstream-api-types.md §2.9, with its quirks fixed.

The estimate asks N9 only for the prison given (the old dashboard sent its whole session form as
the query, `prisonId=` included). The entity body is a bare root offender id, so failures show
it, and the already-migrated link searches for the line the service really logs (§5, §6.6-§6.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.balance_family import balance_form, filter_lines, prison_of, summary
from migrations_ui.types.base import MigrationType


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """N9 `GET /finance/prisoners/ids?size=1`: `page.totalElements` (PagedModel), prisoners
    with a balance in the prison given or in all (`prisonId` only when given: a blank value
    would reach NOMIS as `prisonId=`).
    """
    params = {"prisonId": prison_of(filter) or None, "page": 0}
    return NomisPrisonerApiClient(username=username).total(
        "/finance/prisoners/ids", params, what="prisoner balance count", paged_model=True
    )


def entity_id(body: Any) -> str:
    """A failed message's entity body is the bare root offender id, `1234567`."""
    return str(body) if isinstance(body, int) and not isinstance(body, bool) else ""


TYPE = MigrationType(
    slug="prisoner_balance",
    upstream_type="PRISONER_BALANCE",
    url_prefix="prisoner-balance-migration",
    description="Prisoners' account balances, of one prison or every one, to DPS.",
    start_path="prisoner-balance",
    name="Prisoner balance",
    records="prisoner balances",
    sample_form=lambda tomorrow: {"prisonId": "LEI"},
    roles=(),
    form=balance_form(
        "PrisonerBalanceMigrationForm",
        question="Which prison's prisoner balances should be migrated?",
        every="the balances of every prisoner in NOMIS",
    ),
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Root offender ID",
    entity_id=entity_id,
    already_migrated_log="Will not migrate the nomis root offender id=",
)
