"""Official Visits (``OFFICIAL_VISITS``): one message per NOMIS official visit (§2.7, §5).

NOMIS has 1,500 official visits (ids 30001 to 31500) at MDI, LEI, BXI and HEI in turn, created
about every 17 hours from 2023-01-01 on (to late 2025). N7 ``GET /official-visits/ids`` is a
PagedModel: ``prisonIds`` repeated (blank entries ignored, others not trimmed) and
``fromDate``/``toDate`` on the creation date; N22 ``GET
/official-visits/ids/all-from-id?visitId&size`` answers ``{"ids": [{"visitId"}]}``. The start
``POST /migrate/official-visits`` takes ``{"prisonIds"?: ["HEI"], "fromDate"?, "toDate"?}``, stored
with ``prisonIds`` (default ``[]``) as sent; its estimate is N7's total. The entity body is
``{"visitId"}``; the "migrated" count is P7 ``GET /mapping/official-visits/migration-id/{id}``
(classic page). Mapped visits are skipped ("Will not migrate the nomis official visit id=30001
since …"). The real service pages by last id over 8 parallel ranges (N7 boundaries, N22); the
sandbox pages N7 by page number.

Failures: DPS rejects the five visits of ``FAILING_VISITS`` (30123 at BXI, created 2023-03-28,
30456, 30789, 31012, 31345): a full run ends with 1,495 migrated and 5 failed. A quick run: HEI
from 2024-01-01 to 2024-03-31 has 33 visits.

Its own calls, which sandbox faults affect, include ``/official-visits/ids``, per record
``/official-visits/{id}``, and the mapping write ``/mapping/official-visits`` (whose failure sends
``RETRY_MIGRATION_MAPPING``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import RecordFailed, StartRequest
from sandbox.entities.simple import (
    PRISONS,
    MappingStore,
    SimpleEntity,
    non_blank,
    parse_date,
)
from sandbox.util import BadRequest, dumps, read_json

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

VISIT_COUNT = 1500
FIRST_VISIT_ID = 30001
FIRST_CREATED = datetime(2023, 1, 1, 9, 0)
FAILING_VISITS = frozenset({30123, 30456, 30789, 31012, 31345})


@dataclass(frozen=True, slots=True)
class OfficialVisit:
    visit_id: int
    prison_id: str
    created: date


@dataclass
class OfficialVisitsData:
    """NOMIS official visits in id order, and their mappings."""

    visits: list[OfficialVisit]
    by_id: dict[int, OfficialVisit] = field(default_factory=dict)
    mapping_store: MappingStore = field(default_factory=MappingStore)

    def __post_init__(self) -> None:
        self.by_id = {v.visit_id: v for v in self.visits}

    def select(
        self, prison_ids: list[str], from_date: str | None, to_date: str | None
    ) -> list[int]:
        """N7's filter: ids of the visits at ``prison_ids`` (blank entries ignored; none = all)
        created between the dates (inclusive)."""
        prisons = set(non_blank(prison_ids))
        low = date.fromisoformat(from_date) if from_date else date.min
        high = date.fromisoformat(to_date) if to_date else date.max
        return [
            v.visit_id
            for v in self.visits
            if (not prisons or v.prison_id in prisons) and low <= v.created <= high
        ]


def visits_data(state: State) -> OfficialVisitsData:
    data: OfficialVisitsData = state.stores["OFFICIAL_VISITS"]
    return data


def official_visits(count: int) -> list[OfficialVisit]:
    return [
        OfficialVisit(
            FIRST_VISIT_ID + n,
            PRISONS[n % len(PRISONS)],
            (FIRST_CREATED + timedelta(hours=17 * n)).date(),
        )
        for n in range(count)
    ]


def _filter_args(body: Any) -> tuple[list[str], str | None, str | None]:
    body = body if isinstance(body, dict) else {}
    return list(body.get("prisonIds") or []), body.get("fromDate"), body.get("toDate")


class OfficialVisits(SimpleEntity):
    migration_type = "OFFICIAL_VISITS"
    slug = "official-visits"
    event_prefix = "officialvisits"
    queue_id = "migrationofficialvisits"
    urls_module = "sandbox.entities.official_visits.urls"
    skip_log = "Will not migrate the nomis official visit id={key} since it is migrated already"
    duplicate_event = "officialvisits-nomis-migration-duplicate"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        visits = [] if scenario == "empty" else official_visits(VISIT_COUNT)
        state.stores[self.migration_type] = OfficialVisitsData(visits)

    def summary(self, state: State) -> dict[str, int]:
        data = visits_data(state)
        return {
            "officialVisits": len(data.visits),
            "officialVisitMappings": len(data.mapping_store.mappings),
        }

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        """S7 ``OfficialVisitsMigrationFilter``: ``prisonIds`` defaults to ``[]``, nulls omitted."""
        data = read_json(raw)
        if not isinstance(data, dict):
            raise BadRequest("Validation failure: JSON parse error: expected an object")
        prison_ids = data.get("prisonIds")
        if prison_ids is None:
            prison_ids = []
        if not isinstance(prison_ids, list) or not all(isinstance(p, str) for p in prison_ids):
            raise BadRequest("Validation failure: prisonIds must be a list of strings")
        values = {
            "prisonIds": prison_ids,
            "fromDate": parse_date(data.get("fromDate"), "fromDate"),
            "toDate": parse_date(data.get("toDate"), "toDate"),
        }
        body = {k: v for k, v in values.items() if v is not None}
        return StartRequest(body=body, filter_json=dumps(body))

    def estimate(self, job: Job, body: Any) -> int:
        job.downstream("nomisPrisonerApi", "/official-visits/ids")
        return len(visits_data(job.state).select(*_filter_args(body)))

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        job.downstream("nomisPrisonerApi", "/official-visits/ids")
        ids = visits_data(job.state).select(*_filter_args(body))
        return [{"visitId": i} for i in ids[page_number * size : (page_number + 1) * size]]

    # -- Record hooks

    def record_key(self, body: Any) -> Any:
        try:
            return int(body["visitId"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordFailed(f"Malformed official visit message {body}") from exc

    def describe(self, key: Any) -> dict[str, Any]:
        return {"nomisVisitId": key}

    def mapping_check_path(self, key: Any) -> str:
        return f"/mapping/official-visits/nomis-id/{key}"

    def nomis_path(self, key: Any) -> str:
        return f"/official-visits/{key}"

    def mapping_write_path(self, key: Any) -> str:
        return "/mapping/official-visits"

    def check(self, job: Job, key: Any) -> None:
        if key not in visits_data(job.state).by_id:
            raise RecordFailed(f"NOMIS official visit {key} not found")
        if key in FAILING_VISITS:
            raise RecordFailed(f"DPS rejected official visit {key}")


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = OfficialVisits()
