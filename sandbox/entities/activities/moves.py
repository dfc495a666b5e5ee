"""S11 and S12: end a run's NOMIS activities and move its start date (upstream-api-types §4.1).

Both work on the course activities the run mapped (ignored ones included) and rewrite the run's
stored filter, which is where the dashboard reads ``nomisActivityEndDate`` from.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sandbox import lifecycle
from sandbox.engine import Engine
from sandbox.entities.activities import end_date_for, ordered_filter
from sandbox.entities.activities_family import MDI_EDITED_IN_DPS, activities_data
from sandbox.state import Migration
from sandbox.util import BadRequest, dumps, now_local, read_json


class NoMappings(Exception):
    """404 "Not Found: No migrations found for <id>": the run mapped no activity."""


class MoveFailed(Exception):
    """The DPS or NOMIS call of S12 failed: the upstream answers 500 with a body saying 400."""


def _run(engine: Engine, migration_id: str) -> tuple[Migration, list[int]]:
    """The run and the course activities it mapped (caller holds the lock)."""
    migration = engine.state.by_id.get(migration_id)
    ids = list(activities_data(engine.state).by_label.get(migration_id, ()))
    if migration is None or not ids:
        raise NoMappings(migration_id)
    return migration, ids


def _rewrite_filter(migration: Migration, **changes: str) -> None:
    migration.filter = ordered_filter({**migration.filter, **changes})
    migration.filter_json = dumps(migration.filter)


def end_activities(engine: Engine, migration_id: str) -> None:
    """S11: end every mapped NOMIS activity (N18) the day before the start date."""
    with engine.lock:
        migration, ids = _run(engine, migration_id)
        end = end_date_for(migration.filter)
        data = activities_data(engine.state)
    lifecycle.downstream(engine, "nomisPrisonerApi", "/activities/end")
    with engine.lock:
        for course_id in ids:
            if course_id in data.activities:
                data.activities[course_id].end_date = end
        _rewrite_filter(migration, nomisActivityEndDate=end.isoformat())


def _new_start_date(raw: bytes) -> date:
    """``{"newActivityStartDate"}``: bean validation (``@Future``) before anything else."""
    body = read_json(raw)
    value = body.get("newActivityStartDate") if isinstance(body, dict) else None
    if value is None:
        raise BadRequest("Validation failure: newActivityStartDate: must not be null")
    try:
        new = date.fromisoformat(str(value))
    except ValueError as exc:
        raise BadRequest(
            f"Validation failure: newActivityStartDate must be a date like 2026-06-01, "
            f"was {value!r}"
        ) from exc
    if new <= now_local().date():
        raise BadRequest("Validation failure: newActivityStartDate: must be a future date")
    return new


def move_start_dates(engine: Engine, migration_id: str, raw: bytes) -> list[str]:
    """S12: move the NOMIS end dates (N19) and the DPS start dates; returns DPS's warnings."""
    new = _new_start_date(raw)
    with engine.lock:
        migration, ids = _run(engine, migration_id)
        flt: dict[str, Any] = dict(migration.filter)
        data = activities_data(engine.state)
    if not flt.get("nomisActivityEndDate"):
        raise BadRequest(
            "Bad Request: Can only move start dates if the NOMIS activities have been ended"
        )
    current = (
        date.fromisoformat(flt["activityStartDate"])
        if flt.get("activityStartDate")
        else date.fromisoformat(flt["nomisActivityEndDate"]) + timedelta(days=1)
    )
    if new <= current:
        raise BadRequest(
            f"Bad Request: The new start date must be after the current start date {current}"
        )
    prison = str(flt.get("prisonId"))
    try:
        lifecycle.downstream(engine, "nomisPrisonerApi", "/activities/move-end-date")
        lifecycle.downstream(
            engine, "activitiesApi", f"/migrate/{prison}/move-activity-start-dates"
        )
    except lifecycle.DownstreamError as exc:
        raise MoveFailed(str(exc)) from exc
    warnings: list[str] = []
    with engine.lock:
        for course_id in ids:
            mapping = data.mappings.get(course_id)
            activity = data.activities.get(course_id)
            if activity is None or mapping is None:
                continue
            activity.end_date = new - timedelta(days=1)
            if course_id in MDI_EDITED_IN_DPS:
                # DPS refuses to move an activity someone changed since the migration.
                warnings += [
                    f"Activity {dps_id} ({activity.description}) was not moved to {new}: "
                    "it has been edited in DPS since the migration"
                    for dps_id in (mapping.activity_id, mapping.activity_id2)
                    if dps_id is not None
                ]
        _rewrite_filter(
            migration,
            activityStartDate=new.isoformat(),
            nomisActivityEndDate=(new - timedelta(days=1)).isoformat(),
        )
    return warnings
