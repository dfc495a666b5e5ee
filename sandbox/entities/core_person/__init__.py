"""Core Person (``CORE_PERSON``): one message per NOMIS prisoner (upstream-api-types §2.5, §5, §8).

The prisoners are court sentencing's (N5); core person pages them by root offender id ranges: N20
``GET /prisoners/id-ranges?size=1000`` cuts every prisoner into ranges of a page's size
(``[{"fromRootOffenderId", "toRootOffenderId"}]``) and N21 ``GET
/prisoners/ids-in-range?fromRootOffenderId&toRootOffenderId`` lists one range's prisoners
(``[{"rootOffenderId", "prisonNumber"}]``, both bounds inclusive), so the lifecycle's page ``n`` is
the ``n``-th range. The start ``POST /migrate/core-person`` has no body; its ``body`` and stored
filter are ``""`` and its estimate is N5's total. The entity body is ``{"rootOffenderId",
"prisonNumber"}``; the "migrated" count is P5 ``GET
/mapping/core-person-religion/migration-id/{id}`` (classic page). A prisoner already mapped is
skipped ("Will not migrate the prisoner=A1234AA since it is migrated already"). The old
``CORE_PERSON_RELIGION`` type is refused (400) and its start path
``/migrate/core-person/religion`` is not found (404), as upstream now answers (§7, §8).

Failures: CPR rejects the religions of every prisoner whose number ends in ``ZZ`` (the five of
court sentencing's ``FAILING_PRISONERS`` in the default data): a full run ends with 1,995 migrated
and 5 failed. A run always takes every prisoner (2,000: about a second with the fast test settings
and ``page_size`` of 500 or more).

Its own calls, which sandbox faults affect, include ``/prisoners/ids/all``,
``/prisoners/id-ranges``, ``/prisoners/ids-in-range``, per record ``/core-person/{prisonNumber}``,
and the mapping write ``/mapping/core-person-religion`` (whose failure sends
``RETRY_MIGRATION_MAPPING``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import RecordFailed, StartRequest
from sandbox.entities.court_sentencing import FAILING_SUFFIX, CourtData, court_data
from sandbox.entities.simple import MappingStore, SimpleEntity

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

PrisonerKey = tuple[int, str]  # (rootOffenderId, prisonNumber)


@dataclass
class CorePersonData:
    mapping_store: MappingStore = field(default_factory=MappingStore)


def id_ranges(court: CourtData, size: int) -> list[dict[str, int]]:
    """N20: consecutive root offender id ranges of ``size`` prisoners each, inclusive."""
    ids = court.root_ids
    return [
        {"fromRootOffenderId": ids[start], "toRootOffenderId": ids[min(start + size, len(ids)) - 1]}
        for start in range(0, len(ids), max(1, size))
    ]


def ids_in_range(court: CourtData, first: int, last: int) -> list[dict[str, Any]]:
    """N21: the prisoners whose root offender id is in ``first..last`` (inclusive)."""
    low, high = bisect_left(court.root_ids, first), bisect_right(court.root_ids, last)
    return [
        {"rootOffenderId": court.root_ids[i], "prisonNumber": court.prisoners[i]}
        for i in range(low, high)
    ]


class CorePerson(SimpleEntity):
    migration_type = "CORE_PERSON"
    slug = "core-person"
    event_prefix = "coreperson"
    queue_id = "migrationcoreperson"
    urls_module = "sandbox.entities.core_person.urls"
    skip_log = "Will not migrate the prisoner={key} since it is migrated already"
    duplicate_event = "coreperson-nomis-migration-duplicate"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        # The prisoners themselves are court sentencing's, read when a run needs them.
        state.stores[self.migration_type] = CorePersonData()

    def summary(self, state: State) -> dict[str, int]:
        return {"corePersonMappings": len(self.mapping_store(state).mappings)}

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        # No body (anything sent is ignored); the context body and stored filter are "".
        return StartRequest(body="", filter_json='""')

    def estimate(self, job: Job, body: Any) -> int:
        job.downstream("nomisPrisonerApi", "/prisoners/ids/all")
        return len(court_data(job.state).prisoners)

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        job.downstream("nomisPrisonerApi", "/prisoners/id-ranges")
        court = court_data(job.state)
        ranges = id_ranges(court, size)
        if page_number >= len(ranges):
            return []
        chosen = ranges[page_number]
        job.downstream("nomisPrisonerApi", "/prisoners/ids-in-range")
        return ids_in_range(court, chosen["fromRootOffenderId"], chosen["toRootOffenderId"])

    # -- Record hooks

    def record_key(self, body: Any) -> Any:
        try:
            return (int(body["rootOffenderId"]), str(body["prisonNumber"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordFailed(f"Malformed core person message {body}") from exc

    def key_text(self, key: Any) -> str:
        return str(key[1])

    def describe(self, key: Any) -> dict[str, Any]:
        root, number = key
        return {"nomisPrisonNumber": number, "nomisRootOffenderId": root}

    def mapping_check_path(self, key: Any) -> str:
        return f"/mapping/core-person-religion/prisoner/{self.key_text(key)}"

    def nomis_path(self, key: Any) -> str:
        return f"/core-person/{self.key_text(key)}"

    def mapping_write_path(self, key: Any) -> str:
        return "/mapping/core-person-religion"

    def check(self, job: Job, key: Any) -> None:
        number = self.key_text(key)
        if number not in court_data(job.state).known:
            raise RecordFailed(f"NOMIS prisoner {number} not found")
        if number.endswith(FAILING_SUFFIX):
            raise RecordFailed(f"CPR rejected the religions of {number}")


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = CorePerson()
