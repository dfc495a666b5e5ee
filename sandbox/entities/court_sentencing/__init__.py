"""Court Sentencing (``COURT_SENTENCING``): one message per prisoner (upstream-api-types §2.4, §5).

NOMIS has about 2,000 prisoners (N5 ``GET /prisoners/ids/all``, a classic page of default size 10);
they are every type's NOMIS prisoners. The start ``POST /migrate/court-sentencing`` takes
``{"offenderNo"?: "A1234AA,B2345BB", "deleteExisting"?, "fromDate"?, "toDate"?}``: only
``offenderNo`` (a comma-separated list) filters a run; the dates are accepted and ignored, like
upstream; ``properties`` is ``{"deleteExisting"}``. The entity body is ``{"offenderNo"}``; the
"migrated" count is P4 ``GET /mapping/court-sentencing/prisoner/migration-id/{id}``. A prisoner is
never skipped: a second run meets the existing mapping and records a
``court-sentencing-nomis-migration-duplicate`` event instead.

Failures: DPS rejects the court cases of every prisoner whose number ends in ``ZZ`` (the default
data has the five of ``FAILING_PRISONERS``: A1404ZZ, G2718ZZ, B3141ZZ, H5772ZZ, A6931ZZ), and a
listed ``offenderNo`` unknown to NOMIS fails too. Both are retried and then dead-lettered like any
failed record, so a full run ends with 1,995 migrated and 5 on its DLQ.

Its own calls, which sandbox faults affect, include ``/prisoners/ids/all``, per record
``/prisoners/{offenderNo}/sentencing/court-cases`` and
``/mapping/court-sentencing/prisoner/{offenderNo}/court-cases``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import DownstreamError, Entity, RecordFailed, StartRequest
from sandbox.util import BadRequest, dumps, format_ts, now_local, read_json

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

PRISONER_COUNT = 2000
# Prisoners whose court cases DPS rejects (their numbers end in ZZ, which no other has), at
# fixed places in NOMIS order so a full run dead-letters the same five every time.
FAILING_PRISONERS = {
    100: "A1404ZZ",
    500: "G2718ZZ",
    900: "B3141ZZ",
    1300: "H5772ZZ",
    1700: "A6931ZZ",
}
FAILING_SUFFIX = "ZZ"
BODY_ORDER = ("offenderNo", "deleteExisting", "fromDate", "toDate")


def prisoner_numbers(count: int, seed: int) -> list[str]:
    """Plausible, unique NOMIS prisoner numbers (letter, four digits, two letters) in id order."""
    rng = random.Random(seed)  # noqa: S311 - deterministic scenario data, not secrets
    letters = "ABCDEFGHJKLMNPQRSTUVWXY"  # no Z: "ZZ" marks the failing prisoners
    seen: set[str] = set(FAILING_PRISONERS.values())
    out: list[str] = []
    for index in range(count):
        if index in FAILING_PRISONERS:
            out.append(FAILING_PRISONERS[index])
            continue
        while True:
            number = (
                f"{rng.choice('ABGH')}{rng.randrange(1000, 10000)}"
                f"{rng.choice(letters)}{rng.choice(letters)}"
            )
            if number not in seen:
                break
        seen.add(number)
        out.append(number)
    return out


def court_case_count(offender_no: str) -> int:
    """How many NOMIS court cases a prisoner has (1 to 3, derived from the number)."""
    return 1 + sum(int(c) for c in offender_no if c.isdigit()) % 3


@dataclass(slots=True)
class PrisonerMapping:
    """The mapping service's per-prisoner summary row (what P4 counts)."""

    offender_no: str
    court_cases: int
    label: str | None
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "offenderNo": self.offender_no,
            "courtCaseCount": self.court_cases,
            "label": self.label,
            "mappingType": "MIGRATED",
            "whenCreated": format_ts(self.when_created),
        }


def root_offender_ids(count: int) -> list[int]:
    """Ascending root offender ids with small gaps (NOMIS ids are not contiguous)."""
    out: list[int] = []
    current = 1000
    for index in range(count):
        current += 1 + (index * 7) % 3
        out.append(current)
    return out


@dataclass
class CourtData:
    """NOMIS prisoners in root offender id order, and the per-prisoner mappings.

    The prisoners are every type's NOMIS prisoners (N5); core person, prisoner balance and TAPs
    read them here rather than keep their own. ``root_ids[i]`` is ``prisoners[i]``'s root
    offender id.
    """

    prisoners: list[str]
    known: set[str] = field(default_factory=set)
    mappings: dict[str, PrisonerMapping] = field(default_factory=dict)
    by_label: dict[str, list[str]] = field(default_factory=dict)
    root_ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.known = set(self.prisoners)
        self.root_ids = root_offender_ids(len(self.prisoners))

    def add(self, mapping: PrisonerMapping) -> None:
        self.mappings[mapping.offender_no] = mapping
        if mapping.label is not None:
            self.by_label.setdefault(mapping.label, []).append(mapping.offender_no)


def court_data(state: State) -> CourtData:
    data: CourtData = state.stores["COURT_SENTENCING"]
    return data


def offender_list(body: Any) -> list[str] | None:
    """The prisoner numbers a run is limited to, or None for every NOMIS prisoner."""
    text = body.get("offenderNo") if isinstance(body, dict) else None
    if not text or not str(text).strip():
        return None
    return [n.strip() for n in str(text).split(",") if n.strip()]


def _date(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    # Jackson turns "" into null for a LocalDate, and the dashboard sends "" for a blank field.
    if value is None or value == "":
        return None
    message = f"Validation failure: {name} must be a date like 2020-03-23, was {value!r}"
    if not isinstance(value, str):
        raise BadRequest(message)
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise BadRequest(message) from exc


class CourtSentencing(Entity):
    migration_type = "COURT_SENTENCING"
    slug = "court-sentencing"
    event_prefix = "court-sentencing"
    queue_id = "migrationcourtsentencing"
    urls_module = "sandbox.entities.court_sentencing.urls"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        prisoners = [] if scenario == "empty" else prisoner_numbers(PRISONER_COUNT, seed=2024)
        state.stores[self.migration_type] = CourtData(prisoners)

    def summary(self, state: State) -> dict[str, int]:
        data = court_data(state)
        return {"prisoners": len(data.prisoners), "courtSentencingMappings": len(data.mappings)}

    def migrated_count(self, state: State, migration_id: str) -> int:
        return len(court_data(state).by_label.get(migration_id, ()))

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        """S4: ``CourtSentencingMigrationFilter``; stored and echoed with nulls omitted."""
        data = read_json(raw)
        if not isinstance(data, dict):
            raise BadRequest("Validation failure: JSON parse error: expected an object")
        offender_no = data.get("offenderNo")
        if offender_no is not None and not isinstance(offender_no, str):
            raise BadRequest("Validation failure: offenderNo must be a string")
        delete_existing = data.get("deleteExisting")
        if delete_existing is None:
            delete_existing = False
        if not isinstance(delete_existing, bool):
            raise BadRequest("Validation failure: deleteExisting must be a boolean")
        values = {
            "offenderNo": offender_no,
            "deleteExisting": delete_existing,
            "fromDate": _date(data, "fromDate"),
            "toDate": _date(data, "toDate"),
        }
        body = {k: values[k] for k in BODY_ORDER if values[k] is not None}
        return StartRequest(
            body=body, filter_json=dumps(body), properties={"deleteExisting": delete_existing}
        )

    def estimate(self, job: Job, body: Any) -> int:
        listed = offender_list(body)
        if listed is not None:
            return len(listed)  # the single-id shortcut: no NOMIS call
        job.downstream("nomisPrisonerApi", "/prisoners/ids/all")
        return len(court_data(job.state).prisoners)

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        listed = offender_list(body)
        if listed is None:
            job.downstream("nomisPrisonerApi", "/prisoners/ids/all")
            listed = court_data(job.state).prisoners
        return [{"offenderNo": n} for n in listed[page_number * size : (page_number + 1) * size]]

    def migrate(self, job: Job, body: Any) -> None:
        offender_no = body.get("offenderNo") if isinstance(body, dict) else None
        if not isinstance(offender_no, str) or not offender_no:
            raise RecordFailed(f"Malformed court sentencing message {body}")
        data = court_data(job.state)
        job.work()
        job.downstream("nomisPrisonerApi", f"/prisoners/{offender_no}/sentencing/court-cases")
        if offender_no not in data.known:
            raise RecordFailed(f"NOMIS prisoner {offender_no} not found")
        if offender_no.endswith(FAILING_SUFFIX):
            raise RecordFailed(f"DPS rejected the court cases of {offender_no}")
        try:
            job.downstream(
                "mappingApi", f"/mapping/court-sentencing/prisoner/{offender_no}/court-cases"
            )
        except DownstreamError:
            # The DPS cases exist now: only the mapping is retried.
            job.send("RETRY_MIGRATION_MAPPING", {"offenderNo": offender_no})
            return
        self._create_mapping(job, offender_no)

    def retry_mapping(self, job: Job, body: Any) -> None:
        offender_no = str(body.get("offenderNo"))
        job.downstream(
            "mappingApi", f"/mapping/court-sentencing/prisoner/{offender_no}/court-cases"
        )
        self._create_mapping(job, offender_no)

    def _create_mapping(self, job: Job, offender_no: str) -> None:
        data = court_data(job.state)
        cases = court_case_count(offender_no)
        with job.lock:
            existing = data.mappings.get(offender_no)
            if existing is not None:
                # Never skipped beforehand, so a second run meets the mapping service's 409.
                job.event(
                    f"{self.event_prefix}-nomis-migration-duplicate",
                    {
                        "migrationId": job.migration_id,
                        "offenderNo": offender_no,
                        "existingMigrationId": existing.label or "",
                    },
                )
                return
            data.add(PrisonerMapping(offender_no, cases, job.migration_id, now_local()))
        job.event(
            f"{self.event_prefix}-migration-entity-migrated",
            {
                "migrationId": job.migration_id,
                "offenderNo": offender_no,
                "courtCasesCount": str(cases),
            },
        )


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = CourtSentencing()
