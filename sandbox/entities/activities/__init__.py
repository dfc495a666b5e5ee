"""Activities (``ACTIVITIES``): NOMIS course activities of one prison (upstream-api-types §2.1, §5).

Each prison has 40 course activities (``activities_family.py``), 4 of them without schedule
rules. A run is for one prison, optionally one ``courseActivityId``; each activity is one
``MIGRATE_ENTITY`` ``{"courseActivityId", "activityStartDate", "hasScheduleRules"}``:

- already mapped: skipped ("Will not migrate the courseActivityId=…", ``-entity-ignored``);
- with schedule rules: 1 or 2 DPS activities and a mapping with their ids;
- without: a mapping with null ids and ``-entity-ignored`` (P1 does not count it).

A failed activity also sends ``activity-migration-entity-failed``. After a run, S11 ends the
NOMIS activities and S12 moves the start date (``moves.py``).

The start, S1 ``POST /migrate/activities``, takes ``{"prisonId", "courseActivityId"?,
"activityStartDate"?}`` (an unknown prison: 400 "Bad Request: Bad request: Prison with id=XYZ does
not exist"). Course activities are numbered by prison (MDI 11001-11040, LEI 12001…, BXI 13001…, HEI
14001…); those at positions 7, 17, 27 and 37 have no schedule rules, so a whole-prison run ends
with 36 migrated of 40. N1 ``GET /activities/ids`` is a classic page. Course activities whose
number is a multiple of 8 (11008, 11016, …) become two DPS activities. The "migrated" count is P1
``GET /mapping/activities/migration-count/migration-id/{id}`` (a bare number;
``includeIgnored=true`` adds the null-id rows). Quick runs: one ``courseActivityId``, or a whole
prison (40 records).

S11 ``PUT /migrate/activities/{id}/end`` ends the run's mapped activities (ignored ones included)
on the stored start date - 1 (today without one) and adds ``nomisActivityEndDate`` to the stored
filter; 404 "Not Found: No migrations found for <id>" when the run mapped nothing. S12 ``PUT
/migrate/activities/{id}/move-start-dates`` answers 400 "Validation failure: …" for a date not in
the future, 400 "Bad Request: Can only move start dates if the NOMIS activities have been ended",
400 "Bad Request: The new start date must be after the current start date <d>"; on success it
rewrites ``activityStartDate`` and ``nomisActivityEndDate`` and returns DPS's warnings: one per DPS
activity of MDI's 11005 and 11012 ("Activity <DPS id> (Gardens 1) was not moved to <date>: it has
been edited in DPS since the migration"), so a whole-MDI run gets two. A fault on ``activitiesApi``
``/migrate/MDI/move-activity-start-dates`` (or on ``nomisPrisonerApi``
``/activities/move-end-date``) makes S12 answer HTTP 500 with ``"status": 400`` and userMessage
"Internal error: Failed to move activity start dates".

The prison settings the dashboard's pre-flight checks read (N10-N12, D1-D3, N13-N16) are tabulated
in ``sandbox/README.md``.

Its own calls, which sandbox faults affect, include ``/activities/ids``,
``/mapping/activities/migration`` and on ``activitiesApi`` ``/migrate/activity``; S11 calls
``nomisPrisonerApi`` ``/activities/end``, S12 ``/activities/move-end-date`` and ``activitiesApi``
``/migrate/{prisonId}/move-activity-start-dates``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.entities.activities_family import (
    ActivitiesData,
    ActivityMapping,
    UnknownPrison,
    activities_data,
    build,
    optional_date,
    optional_long,
    required_prison,
    tomorrow,
)
from sandbox.entities.base import DownstreamError, Entity, RecordFailed, StartRequest
from sandbox.util import BadRequest, dumps, now_local, read_json

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

FILTER_ORDER = ("prisonId", "courseActivityId", "activityStartDate", "nomisActivityEndDate")


def ordered_filter(values: dict[str, Any]) -> dict[str, Any]:
    """``ActivitiesMigrationFilter`` as stored and echoed: declaration order, nulls omitted."""
    return {k: values[k] for k in FILTER_ORDER if values.get(k) is not None}


def _selected(job: Job, body: Any) -> list[Any]:
    """N1 for a run's filter (the migration service's estimate and paging call)."""
    job.downstream("nomisPrisonerApi", "/activities/ids")
    data = activities_data(job.state)
    flt = body if isinstance(body, dict) else {}
    prison_id = str(flt.get("prisonId"))
    with job.lock:
        if not data.prisons.known(prison_id):
            # The NOMIS 400, rewrapped by the migration service's exception handler.
            raise BadRequest(f"Bad Request: {UnknownPrison(prison_id)}")
        return data.course_activities(prison_id, flt.get("courseActivityId"))


class Activities(Entity):
    migration_type = "ACTIVITIES"
    slug = "activities"
    event_prefix = "activity"
    queue_id = "migrationactivities"
    urls_module = "sandbox.entities.activities.urls"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        state.stores[self.migration_type] = build(scenario, now.date())

    def summary(self, state: State) -> dict[str, int]:
        data = activities_data(state)
        return {"courseActivities": len(data.activities), "activityMappings": len(data.mappings)}

    def migrated_count(self, state: State, migration_id: str) -> int:
        return migrated_activities(activities_data(state), migration_id, include_ignored=False)

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        """S1: ``ActivitiesMigrationFilter``; ``activityStartDate`` null means tomorrow later."""
        data = read_json(raw)
        if not isinstance(data, dict):
            raise BadRequest("Validation failure: JSON parse error: expected an object")
        body = ordered_filter(
            {
                "prisonId": required_prison(data),
                "courseActivityId": optional_long(data, "courseActivityId"),
                "activityStartDate": optional_date(data, "activityStartDate"),
            }
        )
        return StartRequest(body=body, filter_json=dumps(body))

    def estimate(self, job: Job, body: Any) -> int:
        return len(_selected(job, body))

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        chosen = _selected(job, body)[page_number * size : (page_number + 1) * size]
        start = body.get("activityStartDate") or tomorrow().isoformat()
        return [{**a.id_json(), "activityStartDate": start} for a in chosen]

    def entity_body(self, payload: Any) -> Any:
        # Field order of the upstream's ActivitiesMigrateEntity.
        return {
            "courseActivityId": payload["courseActivityId"],
            "activityStartDate": payload["activityStartDate"],
            "hasScheduleRules": payload["hasScheduleRules"],
        }

    def migrate(self, job: Job, body: Any) -> None:
        try:
            course_id = int(body["courseActivityId"])
            start = date.fromisoformat(str(body["activityStartDate"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordFailed(f"Malformed activities message {body}") from exc
        data = activities_data(job.state)
        job.downstream(
            "mappingApi", f"/mapping/activities/migration/nomis-course-activity-id/{course_id}"
        )
        with job.lock:
            existing = data.mappings.get(course_id)
        if existing is not None:
            job.log(
                "INFO",
                f"Will not migrate the courseActivityId={course_id} since it was migrated "
                f"already in migration {existing.label}",
            )
            self._ignored(job, course_id, "Activity already migrated")
            return
        job.work()
        job.downstream("nomisPrisonerApi", f"/activities/{course_id}")
        with job.lock:
            activity = data.activities.get(course_id)
        if activity is None:
            raise self._failed(job, course_id, "NOMIS course activity not found")
        if not activity.has_schedule_rules:
            self._write_mapping(job, course_id, None, None)
            self._ignored(job, course_id, "Activity has no schedule rules")
            return
        try:
            job.downstream("activitiesApi", "/migrate/activity")
        except DownstreamError as exc:
            raise self._failed(job, course_id, str(exc)) from exc
        with job.lock:
            first = data.next_dps_id
            data.next_dps_id += activity.dps_count
        second = first + 1 if activity.dps_count == 2 else None
        try:
            job.downstream("mappingApi", "/mapping/activities/migration")
        except DownstreamError:
            # The DPS activities exist now: only the mapping is retried.
            job.send(
                "RETRY_MIGRATION_MAPPING",
                {"nomisCourseActivityId": course_id, "activityId": first, "activityId2": second},
            )
            return
        if self._write_mapping(job, course_id, first, second):
            job.event(
                f"{self.event_prefix}-migration-entity-migrated",
                {
                    "migrationId": job.migration_id,
                    "prisonId": activity.prison_id,
                    "nomisCourseActivityId": str(course_id),
                    "dpsActivityId": str(first),
                    "dpsActivityId2": str(second),
                    "activityStartDate": max(start, activity.start_date).isoformat(),
                },
            )

    def retry_mapping(self, job: Job, body: Any) -> None:
        job.downstream("mappingApi", "/mapping/activities/migration")
        self._write_mapping(
            job, int(body["nomisCourseActivityId"]), body.get("activityId"), body.get("activityId2")
        )

    def _write_mapping(
        self, job: Job, course_id: int, first: int | None, second: int | None
    ) -> bool:
        data = activities_data(job.state)
        with job.lock:
            existing = data.mappings.get(course_id)
            if existing is None:
                data.add(ActivityMapping(course_id, first, second, job.migration_id, now_local()))
                return True
        job.event(
            f"{self.event_prefix}-nomis-migration-duplicate",
            {
                "migrationId": job.migration_id,
                "nomisCourseActivityId": str(course_id),
                "duplicateActivityId": str(first),
                "existingActivityId": str(existing.activity_id),
            },
        )
        return False

    def _ignored(self, job: Job, course_id: int, reason: str) -> None:
        job.event(
            f"{self.event_prefix}-migration-entity-ignored",
            {
                "migrationId": job.migration_id,
                "nomisCourseActivityId": str(course_id),
                "reason": reason,
            },
        )

    def _failed(self, job: Job, course_id: int, reason: str) -> RecordFailed:
        """Record ``-entity-failed`` (as upstream, before rethrowing); the caller raises."""
        job.event(
            f"{self.event_prefix}-migration-entity-failed",
            {
                "migrationId": job.migration_id,
                "nomisCourseActivityId": str(course_id),
                "reason": reason,
            },
        )
        return RecordFailed(f"Failed to migrate courseActivityId={course_id}: {reason}")


def migrated_activities(data: ActivitiesData, migration_id: str, *, include_ignored: bool) -> int:
    """P1: a run's activity mappings; ``includeIgnored=false`` leaves out null-id rows."""
    ids = data.by_label.get(migration_id, ())
    if include_ignored:
        return len(ids)
    return sum(1 for i in ids if data.mappings[i].activity_id is not None)


def end_date_for(flt: dict[str, Any]) -> date:
    """S11's NOMIS end date: the day before the stored start date (today without one)."""
    start = flt.get("activityStartDate")
    return date.fromisoformat(start) - timedelta(days=1) if start else now_local().date()


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = Activities()
