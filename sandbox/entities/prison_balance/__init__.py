"""Prison balance (``PRISON_BALANCE``): one message per caseload with balances (§2.8, §5).

NOMIS has balances for six caseloads, N8 ``GET /finance/prison/ids`` ``["BXI", "CADM", "HEI",
"LEI", "MDI", "TRN"]``: the four prisons and two non-prison caseloads. The start ``POST
/migrate/prison-balance`` takes ``{"prisonId"?}`` (other fields ignored; stored as ``{"prisonId":
"MDI"}``, ``{"prisonId": ""}`` or ``{}``). A run for one ``prisonId`` has the estimate 1 without
asking NOMIS; blank or absent means every id from N8, all on one page. The entity body is the bare
caseload id (``"MDI"``); the "migrated" count is P8 ``GET
/mapping/prison-balance/migration-id/{id}`` (a PagedModel). Mapped ones are skipped ("Will not
migrate the nomis id=MDI since …"). A full run migrates 6; a quick one, one prison (1).

Failures: a ``prisonId`` NOMIS has no balances for (e.g. ``XYZ``) fails its one record.

Its own calls, which sandbox faults affect, include ``/finance/prison/ids``, per record
``/finance/prison/{id}/balance``, and the mapping write ``/mapping/prison-balance`` (whose failure
sends ``RETRY_MIGRATION_MAPPING``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import RecordFailed, StartRequest
from sandbox.entities.simple import (
    PRISONS,
    MappingStore,
    SimpleEntity,
    chosen_prison,
    prison_filter,
)
from sandbox.util import dumps

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

CASELOADS = tuple(sorted((*PRISONS, "TRN", "CADM")))


@dataclass
class PrisonBalanceData:
    caseloads: list[str]
    mapping_store: MappingStore = field(default_factory=MappingStore)


def balance_data(state: State) -> PrisonBalanceData:
    data: PrisonBalanceData = state.stores["PRISON_BALANCE"]
    return data


class PrisonBalance(SimpleEntity):
    migration_type = "PRISON_BALANCE"
    slug = "prison-balance"
    event_prefix = "prisonbalance"
    queue_id = "migrationprisonbalance"
    urls_module = "sandbox.entities.prison_balance.urls"
    skip_log = "Will not migrate the nomis id={key} since it is migrated already"
    duplicate_event = "prisonbalance-migration-duplicate"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        caseloads = [] if scenario == "empty" else list(CASELOADS)
        state.stores[self.migration_type] = PrisonBalanceData(caseloads)

    def summary(self, state: State) -> dict[str, int]:
        data = balance_data(state)
        return {
            "prisonBalances": len(data.caseloads),
            "prisonBalanceMappings": len(data.mapping_store.mappings),
        }

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        body = prison_filter(raw)
        return StartRequest(body=body, filter_json=dumps(body))

    def estimate(self, job: Job, body: Any) -> int:
        if chosen_prison(body) is not None:
            return 1  # the single-id shortcut: no NOMIS call
        job.downstream("nomisPrisonerApi", "/finance/prison/ids")
        return len(balance_data(job.state).caseloads)

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        prison = chosen_prison(body)
        if prison is not None:
            ids = [prison]
        else:
            job.downstream("nomisPrisonerApi", "/finance/prison/ids")
            ids = balance_data(job.state).caseloads
        return list(ids[page_number * size : (page_number + 1) * size])

    # -- Record hooks

    def record_key(self, body: Any) -> Any:
        if not isinstance(body, str) or not body:
            raise RecordFailed(f"Malformed prison balance message {body!r}")
        return body

    def describe(self, key: Any) -> dict[str, Any]:
        return {"nomisId": key}

    def dps_id(self, job: Job, key: Any) -> str:
        return str(key)  # DPS finance keys a prison's balances by the prison id

    def mapping_check_path(self, key: Any) -> str:
        return f"/mapping/prison-balance/nomis-id/{key}"

    def nomis_path(self, key: Any) -> str:
        return f"/finance/prison/{key}/balance"

    def mapping_write_path(self, key: Any) -> str:
        return "/mapping/prison-balance"

    def check(self, job: Job, key: Any) -> None:
        if key not in balance_data(job.state).caseloads:
            raise RecordFailed(f"NOMIS has no balances for prison {key}")


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = PrisonBalance()
