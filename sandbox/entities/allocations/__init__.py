"""Allocations (``ALLOCATIONS``): prisoners allocated to NOMIS activities (upstream-api-types §2.2).

A child of the activities migration: each allocation (about 12 per course activity, kept with
the activities in ``activities_family.py``) becomes a DPS allocation of the DPS activity its course
activity was migrated to. An allocation whose course activity has no activities mapping (or was
ignored, with null DPS ids) fails, so it is retried and then dead-lettered. The start estimate
counts allocations active on ``activityStartDate`` (default tomorrow).

The start, S2 ``POST /migrate/allocations``, takes ``{"prisonId", "courseActivityId"?,
"activityStartDate"?}``. Each course activity has 10-14 allocations (ids ``<courseActivityId>01``…,
e.g. 1100101); N2 ``GET /allocations/ids`` (a classic page, ``activeOnDate`` default tomorrow)
leaves out those of activities without schedule rules. The entity body is ``{"allocationId"}``; the
"migrated" count is P2 ``GET /mapping/allocations/migration/migration-id/{id}``. Run allocations of
a course activity before its activities run to fill the DLQ
(``activity-allocation-migration-entity-failed``); mapped ones are skipped ("Will not migrate the
allocationId=…"). A quick run: one ``courseActivityId`` (10-14 records).

Its own calls, which sandbox faults affect, include ``/allocations/ids``,
``/mapping/allocations/migration`` and on ``activitiesApi`` ``/migrate/allocation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.activities_family import (
    UnknownPrison,
    activities_data,
    optional_date,
    optional_long,
    required_prison,
    tomorrow,
)
from sandbox.entities.base import DownstreamError, Entity, RecordFailed, StartRequest
from sandbox.util import BadRequest, dumps, format_ts, now_local, read_json

if TYPE_CHECKING:
    from sandbox.entities.activities_family import Allocation
    from sandbox.lifecycle import Job
    from sandbox.state import State

FILTER_ORDER = ("prisonId", "courseActivityId", "activityStartDate")


@dataclass(slots=True)
class AllocationMapping:
    allocation_id: int
    activity_allocation_id: int
    activity_id: int
    label: str | None
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "nomisAllocationId": self.allocation_id,
            "activityAllocationId": self.activity_allocation_id,
            "activityId": self.activity_id,
            "label": self.label,
            "whenCreated": format_ts(self.when_created),
        }


@dataclass
class AllocationsData:
    """The mapping service's allocation mappings (NOMIS allocations live with the activities)."""

    mappings: dict[int, AllocationMapping] = field(default_factory=dict)
    by_label: dict[str, list[int]] = field(default_factory=dict)
    next_dps_id: int = 1

    def add(self, mapping: AllocationMapping) -> None:
        self.mappings[mapping.allocation_id] = mapping
        if mapping.label is not None:
            self.by_label.setdefault(mapping.label, []).append(mapping.allocation_id)


def allocations_data(state: State) -> AllocationsData:
    data: AllocationsData = state.stores["ALLOCATIONS"]
    return data


def _selected(job: Job, body: Any) -> list[Allocation]:
    """N2 with ``activeOnDate`` = the run's start date (the upstream's estimate and paging)."""
    job.downstream("nomisPrisonerApi", "/allocations/ids")
    flt = body if isinstance(body, dict) else {}
    prison_id = str(flt.get("prisonId"))
    start = flt.get("activityStartDate")
    active_on = date.fromisoformat(start) if start else tomorrow()
    data = activities_data(job.state)
    with job.lock:
        if not data.prisons.known(prison_id):
            raise BadRequest(f"Bad Request: {UnknownPrison(prison_id)}")
        return data.active_allocations(prison_id, flt.get("courseActivityId"), active_on)


class Allocations(Entity):
    migration_type = "ALLOCATIONS"
    slug = "allocations"
    event_prefix = "activity-allocation"
    queue_id = "migrationallocations"
    urls_module = "sandbox.entities.allocations.urls"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        state.stores[self.migration_type] = AllocationsData()

    def summary(self, state: State) -> dict[str, int]:
        return {
            "allocations": len(activities_data(state).allocations),
            "allocationMappings": len(allocations_data(state).mappings),
        }

    def migrated_count(self, state: State, migration_id: str) -> int:
        return len(allocations_data(state).by_label.get(migration_id, ()))

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        """S2: ``AllocationsMigrationFilter``, stored and echoed with nulls omitted."""
        data = read_json(raw)
        if not isinstance(data, dict):
            raise BadRequest("Validation failure: JSON parse error: expected an object")
        values = {
            "prisonId": required_prison(data),
            "courseActivityId": optional_long(data, "courseActivityId"),
            "activityStartDate": optional_date(data, "activityStartDate"),
        }
        body = {k: values[k] for k in FILTER_ORDER if values[k] is not None}
        return StartRequest(body=body, filter_json=dumps(body))

    def estimate(self, job: Job, body: Any) -> int:
        return len(_selected(job, body))

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        chosen = _selected(job, body)[page_number * size : (page_number + 1) * size]
        return [{"allocationId": a.allocation_id} for a in chosen]

    def migrate(self, job: Job, body: Any) -> None:
        try:
            allocation_id = int(body["allocationId"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordFailed(f"Malformed allocations message {body}") from exc
        data = allocations_data(job.state)
        job.downstream(
            "mappingApi", f"/mapping/allocations/migration/nomis-allocation-id/{allocation_id}"
        )
        with job.lock:
            existing = data.mappings.get(allocation_id)
        if existing is not None:
            job.log(
                "INFO",
                f"Will not migrate the allocationId={allocation_id} since it was migrated "
                f"already in migration {existing.label}",
            )
            return
        job.work()
        job.downstream("nomisPrisonerApi", f"/allocations/{allocation_id}")
        activities = activities_data(job.state)
        with job.lock:
            allocation = activities.allocations.get(allocation_id)
        if allocation is None:
            raise self._failed(job, allocation_id, "NOMIS allocation not found")
        course_id = allocation.course_activity_id
        job.downstream(
            "mappingApi", f"/mapping/activities/migration/nomis-course-activity-id/{course_id}"
        )
        with job.lock:
            activity_mapping = activities.mappings.get(course_id)
        if activity_mapping is None or activity_mapping.activity_id is None:
            raise self._failed(
                job, allocation_id, f"No DPS activity found for courseActivityId={course_id}"
            )
        # With a split regime the allocation goes to one of the two DPS activities.
        activity_id = activity_mapping.activity_id
        if activity_mapping.activity_id2 is not None and allocation_id % 2:
            activity_id = activity_mapping.activity_id2
        try:
            job.downstream("activitiesApi", "/migrate/allocation")
        except DownstreamError as exc:
            raise self._failed(job, allocation_id, str(exc)) from exc
        with job.lock:
            dps_id = data.next_dps_id
            data.next_dps_id += 1
        try:
            job.downstream("mappingApi", "/mapping/allocations/migration")
        except DownstreamError:
            job.send(
                "RETRY_MIGRATION_MAPPING",
                {
                    "nomisAllocationId": allocation_id,
                    "activityAllocationId": dps_id,
                    "activityId": activity_id,
                },
            )
            return
        if self._write_mapping(job, allocation_id, dps_id, activity_id):
            job.event(
                f"{self.event_prefix}-migration-entity-migrated",
                {
                    "migrationId": job.migration_id,
                    "prisonId": allocation.prison_id,
                    "nomisAllocationId": str(allocation_id),
                    "nomisCourseActivityId": str(course_id),
                    "activityAllocationId": str(dps_id),
                    "activityId": str(activity_id),
                },
            )

    def retry_mapping(self, job: Job, body: Any) -> None:
        job.downstream("mappingApi", "/mapping/allocations/migration")
        self._write_mapping(
            job,
            int(body["nomisAllocationId"]),
            int(body["activityAllocationId"]),
            int(body["activityId"]),
        )

    def _write_mapping(self, job: Job, allocation_id: int, dps_id: int, activity_id: int) -> bool:
        data = allocations_data(job.state)
        with job.lock:
            existing = data.mappings.get(allocation_id)
            if existing is None:
                data.add(
                    AllocationMapping(
                        allocation_id, dps_id, activity_id, job.migration_id, now_local()
                    )
                )
                return True
        job.event(
            f"{self.event_prefix}-nomis-migration-duplicate",
            {
                "migrationId": job.migration_id,
                "nomisAllocationId": str(allocation_id),
                "duplicateActivityAllocationId": str(dps_id),
                "existingActivityAllocationId": str(existing.activity_allocation_id),
            },
        )
        return False

    def _failed(self, job: Job, allocation_id: int, reason: str) -> RecordFailed:
        """Record ``-entity-failed`` (as upstream, before rethrowing); the caller raises."""
        job.event(
            f"{self.event_prefix}-migration-entity-failed",
            {
                "migrationId": job.migration_id,
                "nomisAllocationId": str(allocation_id),
                "reason": reason,
            },
        )
        return RecordFailed(f"Failed to migrate allocationId={allocation_id}: {reason}")


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = Allocations()
