"""Activities endpoints (upstream-api-types §4): NOMIS N1, N10-N12, N15, N16; mapping P1; S11, S12.

The Allocations plug-in's NOMIS views reuse :func:`nomis_prison_check` and :func:`query_date`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox import lifecycle
from sandbox.engine import get_engine
from sandbox.entities.activities import migrated_activities, moves
from sandbox.entities.activities_family import (
    LEVEL_NAMES,
    MDI_UNKNOWN_INCENTIVE_RATES,
    activities_data,
    nomis_prison_check,
    query_date,
)
from sandbox.util import (
    empty_response,
    error_response,
    json_response,
    parse_bool,
    parse_int,
)
from sandbox.views.common import mappings_of_migration, page_json, paging, require_role

NOMIS_ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"
SYNC_ROLE = "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW"
MIGRATION_ROLE = "ROLE_PRISONER_FROM_NOMIS__MIGRATION__RW"


def _course_activity_id(request: HttpRequest) -> int | None:
    value = request.GET.get("courseActivityId")
    return parse_int(value, "courseActivityId", 0) if value else None


# -- NOMIS


@require_role(NOMIS_ROLE)
@nomis_prison_check
def activity_ids(request: HttpRequest) -> HttpResponse:
    """N1 ``GET /activities/ids``: classic page of ``{courseActivityId, hasScheduleRules}``."""
    page, size = paging(request)
    engine = get_engine()
    with engine.lock:
        data = activities_data(engine.state)
        prison = data.require_prison(request.GET.get("prisonId"))
        chosen = data.course_activities(prison, _course_activity_id(request))
        content = [a.id_json() for a in chosen[page * size : (page + 1) * size]]
    return json_response(page_json(content, page=page, size=size, total=len(chosen)))


@require_role(NOMIS_ROLE)
def incentive_levels(request: HttpRequest, prison_id: str) -> HttpResponse:
    """N10 ``GET /prisons/{prisonId}/incentive-levels``: the prison's active levels."""
    engine = get_engine()
    with engine.lock:
        levels = activities_data(engine.state).prisons.incentive_levels.get(prison_id)
    if levels is None:
        return error_response(404, f"Not Found: Prison with id={prison_id} does not exist")
    return json_response([{"code": c, "description": LEVEL_NAMES[c]} for c in levels])


@require_role(NOMIS_ROLE)
def switch_status(request: HttpRequest, service_code: str, agency_id: str) -> HttpResponse:
    """N11: 204 when the service is on for the agency (or for ``*ALL*``), else 404."""
    engine = get_engine()
    with engine.lock:
        on = activities_data(engine.state).prisons.switches.get(service_code)
        if on is None:
            return error_response(404, f"Not Found: Service {service_code} does not exist")
        if agency_id not in on and "*ALL*" not in on:
            return error_response(
                404, f"Not Found: Service {service_code} not turned on for agency {agency_id}"
            )
    return empty_response(204)


@require_role(NOMIS_ROLE)
def switch_on(request: HttpRequest, service_code: str, agency_id: str) -> HttpResponse:
    """N12: turn the service on for the agency; 201 again when it already is."""
    engine = get_engine()
    with engine.lock:
        prisons = activities_data(engine.state).prisons
        on = prisons.switches.get(service_code)
        if on is None:
            return error_response(404, f"Not Found: Service {service_code} does not exist")
        if not prisons.known(agency_id):
            return error_response(404, f"Not Found: Agency {agency_id} does not exist")
        on.add(agency_id)
    return empty_response(201)


@require_role(NOMIS_ROLE)
@nomis_prison_check
def rates_with_unknown_incentives(request: HttpRequest) -> HttpResponse:
    """N15: pay rates whose incentive level is not active in the prison (MDI has two)."""
    engine = get_engine()
    with engine.lock:
        data = activities_data(engine.state)
        prison = data.require_prison(request.GET.get("prisonId"))
        wanted = {a.course_activity_id: a for a in data.course_activities(prison)}
        only = _course_activity_id(request)
        rows = [
            {
                "courseActivityDescription": wanted[course_id].description,
                "courseActivityId": course_id,
                "payBandCode": band,
                "incentiveLevelCode": level,
            }
            for course_id, band, level in MDI_UNKNOWN_INCENTIVE_RATES
            if course_id in wanted and only in (None, course_id)
        ]
    return json_response(rows)


@require_role(NOMIS_ROLE)
@nomis_prison_check
def without_schedule_rules(request: HttpRequest) -> HttpResponse:
    """N16: the prison's activities without schedule rules (never migrated)."""
    query_date(request, "activeOnDate")  # accepted, as upstream, but every activity is active
    engine = get_engine()
    with engine.lock:
        data = activities_data(engine.state)
        prison = data.require_prison(request.GET.get("prisonId"))
        rows = [
            {"courseActivityId": a.course_activity_id, "courseActivityDescription": a.description}
            for a in data.course_activities(prison, _course_activity_id(request))
            if not a.has_schedule_rules
        ]
    return json_response(rows)


# -- Mapping service


@require_role(SYNC_ROLE)
def migration_count(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P1: a bare number; ``includeIgnored=false`` (the default) skips null-id rows."""
    include = parse_bool(request.GET.get("includeIgnored"), "includeIgnored", False)
    engine = get_engine()
    with engine.lock:
        count = migrated_activities(
            activities_data(engine.state), migration_id, include_ignored=include
        )
    return json_response(count)


@require_role(SYNC_ROLE)
def activity_mapping(request: HttpRequest, course_activity_id: int) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        mapping = activities_data(engine.state).mappings.get(course_activity_id)
        body = mapping.as_json() if mapping else None
    if body is None:
        return error_response(
            404, f"Not Found: No activity mapping for courseActivityId={course_activity_id}"
        )
    return json_response(body)


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """A classic page of a run's activity mappings, ignored ones included."""
    return mappings_of_migration(request, migration_id, activities_data)


# -- Migration service


def _not_found(migration_id: str) -> HttpResponse:
    return error_response(404, f"Not Found: No migrations found for {migration_id}")


@require_role(MIGRATION_ROLE)
def end_activities(request: HttpRequest, migration_id: str) -> HttpResponse:
    """S11 ``PUT /migrate/activities/{id}/end``: 200 with an empty body."""
    try:
        moves.end_activities(get_engine(), migration_id)
    except moves.NoMappings:
        return _not_found(migration_id)
    except lifecycle.DownstreamError as exc:
        return error_response(500, f"Unexpected error: {exc}")
    return empty_response(200)


@require_role(MIGRATION_ROLE)
def move_start_dates(request: HttpRequest, migration_id: str) -> HttpResponse:
    """S12 ``PUT /migrate/activities/{id}/move-start-dates``: 200 with DPS's warnings."""
    try:
        warnings = moves.move_start_dates(get_engine(), migration_id, request.body)
    except moves.NoMappings:
        return _not_found(migration_id)
    except moves.MoveFailed as exc:
        # The upstream's quirk: HTTP 500 whose body claims 400 (upstream-api-types §6.5).
        return json_response(
            {
                "status": 400,
                "userMessage": "Internal error: Failed to move activity start dates",
                "developerMessage": f"Failed to move activity start dates: {exc}",
            },
            500,
        )
    return json_response(warnings)
