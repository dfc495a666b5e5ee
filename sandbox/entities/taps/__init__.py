"""Temporary Absence repair (``EXTERNAL_MOVEMENTS``): one message per prisoner (§2.10, §5).

The prisoners are court sentencing's (N5). About 15% of them have temporary absences (TAPs; 286 in
the default data, ``prisonersWithTaps`` in the state): their applications, schedules and movements
are resynced to DPS and the prisoner's mappings replaced (``PUT /mapping/taps/migrate``), so a
prisoner is never skipped and a rerun's mappings count for the newer run. A prisoner without TAPs
is "ignored": ``temporary-absences-migration-entity-ignored``, neither migrated nor failed. The
start ``POST /migrate/taps`` takes ``{"prisonerNumber"?}`` (blank = everyone, estimate N5's total);
a single ``prisonerNumber`` is trusted (estimate 1, no NOMIS call), and NOMIS then fails it if
unknown. The entity body is ``{"offenderNo"}``; the "migrated" count is P10 ``GET
/mapping/taps/migration-id/{id}`` (classic page, one row per prisoner). Quick runs: ``B7718YJ`` has
TAPs, ``H3977UK`` has none.

Failures: DPS rejects the TAPs of every prisoner whose number ends in ``ZZ`` (the five of court
sentencing's ``FAILING_PRISONERS``); each failure also sends ``-entity-failed`` with a reason. A
full run ends with 286 migrated, 5 failed and 1,709 ignored.

Its own calls, which sandbox faults affect, include ``/prisoners/ids/all``, per record
``/movements/{offenderNo}/temporary-absences``, and the mapping write ``/mapping/taps/migrate``
(whose failure sends ``RETRY_MIGRATION_MAPPING``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import RecordFailed, StartRequest
from sandbox.entities.court_sentencing import FAILING_SUFFIX, court_data
from sandbox.entities.simple import Ignored, MappingStore, SimpleEntity, optional_string
from sandbox.util import BadRequest, dumps, read_json

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

TAPS_PERCENT = 15


def has_taps(offender_no: str) -> bool:
    """Whether NOMIS holds temporary absences for the prisoner (about 15%, fixed per number)."""
    return zlib.crc32(offender_no.encode()) % 100 < TAPS_PERCENT


@dataclass
class TapsData:
    with_taps: set[str]
    mapping_store: MappingStore = field(default_factory=MappingStore)


def taps_data(state: State) -> TapsData:
    data: TapsData = state.stores["EXTERNAL_MOVEMENTS"]
    return data


def chosen_prisoner(body: Any) -> str | None:
    value = body.get("prisonerNumber") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value.strip() else None


class Taps(SimpleEntity):
    migration_type = "EXTERNAL_MOVEMENTS"
    slug = "taps"
    event_prefix = "temporary-absences"
    queue_id = "migrationexternalmovements"
    urls_module = "sandbox.entities.taps.urls"
    # Its data is drawn from court sentencing's prisoners, so theirs is built first.
    depends_on = ("COURT_SENTENCING",)
    skip_log = None  # never skips: the mapping write replaces the prisoner's mappings
    replaces = True
    failed_event = True

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        # The prisoners are court sentencing's (built first: depends_on).
        prisoners = court_data(state).prisoners
        state.stores[self.migration_type] = TapsData({n for n in prisoners if has_taps(n)})

    def summary(self, state: State) -> dict[str, int]:
        data = taps_data(state)
        return {
            "prisonersWithTaps": len(data.with_taps),
            "tapsMappings": len(data.mapping_store.mappings),
        }

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        """S10 ``TapMigrationFilter``; the rest of the dashboard's session form is ignored."""
        data = read_json(raw)
        if not isinstance(data, dict):
            raise BadRequest("Validation failure: JSON parse error: expected an object")
        number = optional_string(data, "prisonerNumber")
        body = {} if number is None else {"prisonerNumber": number}
        return StartRequest(body=body, filter_json=dumps(body))

    def estimate(self, job: Job, body: Any) -> int:
        if chosen_prisoner(body) is not None:
            return 1  # trusted without asking NOMIS
        job.downstream("nomisPrisonerApi", "/prisoners/ids/all")
        return len(court_data(job.state).prisoners)

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        number = chosen_prisoner(body)
        if number is not None:
            listed = [number]
        else:
            job.downstream("nomisPrisonerApi", "/prisoners/ids/all")
            listed = court_data(job.state).prisoners
        return [{"offenderNo": n} for n in listed[page_number * size : (page_number + 1) * size]]

    # -- Record hooks

    def record_key(self, body: Any) -> Any:
        number = body.get("offenderNo") if isinstance(body, dict) else None
        if not isinstance(number, str) or not number:
            raise RecordFailed(f"Malformed temporary absences message {body}")
        return number

    def describe(self, key: Any) -> dict[str, Any]:
        return {"prisonerNumber": key}

    def _props(self, key: Any) -> dict[str, str]:
        return {"offenderNo": str(key)}

    def nomis_path(self, key: Any) -> str:
        return f"/movements/{key}/temporary-absences"

    def mapping_write_path(self, key: Any) -> str:
        return "/mapping/taps/migrate"

    def check(self, job: Job, key: Any) -> None:
        if key not in court_data(job.state).known:
            raise RecordFailed(f"NOMIS prisoner {key} not found")
        if key.endswith(FAILING_SUFFIX):
            raise RecordFailed(f"DPS rejected the temporary absences of {key}")
        if key not in taps_data(job.state).with_taps:
            raise Ignored(key)


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = Taps()
