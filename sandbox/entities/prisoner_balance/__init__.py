"""Prisoner balance (``PRISONER_BALANCE``): one message per prisoner with a balance (§2.9, §5).

1,200 of court sentencing's prisoners (three in five) have a trust balance, 300 in each of MDI,
LEI, BXI and HEI; N9 ``GET /finance/prisoners/ids`` is a PagedModel of their bare root offender ids
(``prisonId`` repeatable, blank values ignored). The start ``POST /migrate/prisoner-balance`` takes
``{"prisonId"?}``, limiting a run to one prison (blank = all); its estimate is N9's total. The
sandbox pages N9 by page number (upstream switched to id ranges in August 2026, §8). The entity
body is the bare root offender id (``1234``); the "migrated" count is P9 ``GET
/mapping/prisoner-balance/migration-id/{id}`` (a PagedModel). Mapped ones are skipped ("Will not
migrate the nomis root offender id=1234 since …").

Failures: DPS rejects the balances of the prisoners whose number ends in ``ZZ`` (five, all at MDI
in the default data; their root offender ids are in ``PrisonerBalanceData.failing``): a full run
ends with 1,195 migrated and 5 failed, MDI alone 295 and 5. A quick run: one prison (300).

Its own calls, which sandbox faults affect, include ``/finance/prisoners/ids``, per record
``/finance/prisoners/{rootOffenderId}/balance``, and the mapping write
``/mapping/prisoner-balance`` (whose failure sends ``RETRY_MIGRATION_MAPPING``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import RecordFailed, StartRequest
from sandbox.entities.court_sentencing import FAILING_SUFFIX, court_data
from sandbox.entities.simple import (
    PRISONS,
    MappingStore,
    SimpleEntity,
    chosen_prison,
    non_blank,
    prison_filter,
)
from sandbox.util import dumps

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State


@dataclass(frozen=True, slots=True)
class Balance:
    root_offender_id: int
    prison_id: str
    offender_no: str


@dataclass
class PrisonerBalanceData:
    """NOMIS prisoner balances in root offender id order, and their mappings."""

    balances: list[Balance]
    by_root: dict[int, Balance] = field(default_factory=dict)
    failing: set[int] = field(default_factory=set)
    mapping_store: MappingStore = field(default_factory=MappingStore)

    def __post_init__(self) -> None:
        self.by_root = {b.root_offender_id: b for b in self.balances}
        self.failing = {
            b.root_offender_id for b in self.balances if b.offender_no.endswith(FAILING_SUFFIX)
        }

    def select(self, prison_ids: list[str]) -> list[int]:
        """N9's filter: blank ids are ignored, none left = every prison."""
        prisons = set(non_blank(prison_ids))
        return [b.root_offender_id for b in self.balances if not prisons or b.prison_id in prisons]


def balance_data(state: State) -> PrisonerBalanceData:
    data: PrisonerBalanceData = state.stores["PRISONER_BALANCE"]
    return data


def _prisons(body: Any) -> list[str]:
    prison = chosen_prison(body)
    return [] if prison is None else [prison]


class PrisonerBalance(SimpleEntity):
    migration_type = "PRISONER_BALANCE"
    slug = "prisoner-balance"
    event_prefix = "prisonerbalance"
    queue_id = "migrationprisonerbalance"
    urls_module = "sandbox.entities.prisoner_balance.urls"
    # Its data is drawn from court sentencing's prisoners, so theirs is built first.
    depends_on = ("COURT_SENTENCING",)
    skip_log = "Will not migrate the nomis root offender id={key} since it is migrated already"
    duplicate_event = "prisonerbalance-migration-duplicate"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        # Three in five of court sentencing's prisoners (built first: depends_on).
        court = court_data(state)
        balances = [
            Balance(root, PRISONS[index % len(PRISONS)], number)
            for index, (root, number) in enumerate(
                zip(court.root_ids, court.prisoners, strict=True)
            )
            if index % 5 < 3
        ]
        state.stores[self.migration_type] = PrisonerBalanceData(balances)

    def summary(self, state: State) -> dict[str, int]:
        data = balance_data(state)
        return {
            "prisonerBalances": len(data.balances),
            "prisonerBalanceMappings": len(data.mapping_store.mappings),
        }

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        body = prison_filter(raw)
        return StartRequest(body=body, filter_json=dumps(body))

    def estimate(self, job: Job, body: Any) -> int:
        job.downstream("nomisPrisonerApi", "/finance/prisoners/ids")
        return len(balance_data(job.state).select(_prisons(body)))

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        job.downstream("nomisPrisonerApi", "/finance/prisoners/ids")
        ids = balance_data(job.state).select(_prisons(body))
        return ids[page_number * size : (page_number + 1) * size]

    # -- Record hooks

    def record_key(self, body: Any) -> Any:
        if isinstance(body, bool) or not isinstance(body, int):
            raise RecordFailed(f"Malformed prisoner balance message {body!r}")
        return body

    def describe(self, key: Any) -> dict[str, Any]:
        return {"nomisRootOffenderId": key}

    def dps_id(self, job: Job, key: Any) -> str:
        # DPS finance keys a prisoner's balance by the prison number.
        return balance_data(job.state).by_root[key].offender_no

    def mapping_check_path(self, key: Any) -> str:
        return f"/mapping/prisoner-balance/nomis-id/{key}"

    def nomis_path(self, key: Any) -> str:
        return f"/finance/prisoners/{key}/balance"

    def mapping_write_path(self, key: Any) -> str:
        return "/mapping/prisoner-balance"

    def check(self, job: Job, key: Any) -> None:
        data = balance_data(job.state)
        if key not in data.by_root:
            raise RecordFailed(f"NOMIS has no balance for root offender id {key}")
        if key in data.failing:
            raise RecordFailed(f"DPS rejected the balance of root offender id {key}")


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = PrisonerBalance()
