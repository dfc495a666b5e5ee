"""Allocations endpoints: NOMIS N2, N13, N14 and the mapping service P2 (upstream-api-types §4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.activities_family import (
    activities_data,
    nomis_prison_check,
    query_date,
    tomorrow,
)
from sandbox.entities.allocations import allocations_data
from sandbox.util import error_response, json_response, parse_int
from sandbox.views.common import mappings_of_migration, page_json, paging, require_role

NOMIS_ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"
SYNC_ROLE = "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW"


def _active(request: HttpRequest) -> list[Any]:
    """The allocations active on ``activeOnDate`` (default tomorrow) of the query's prison and
    optional course activity (caller holds the lock)."""
    data = activities_data(get_engine().state)
    prison = data.require_prison(request.GET.get("prisonId"))
    value = request.GET.get("courseActivityId")
    course_id = parse_int(value, "courseActivityId", 0) if value else None
    active_on = query_date(request, "activeOnDate") or tomorrow()
    return data.active_allocations(prison, course_id, active_on)


def _description(course_activity_id: int) -> str:
    return activities_data(get_engine().state).activities[course_activity_id].description


@require_role(NOMIS_ROLE)
@nomis_prison_check
def allocation_ids(request: HttpRequest) -> HttpResponse:
    """N2 ``GET /allocations/ids``: classic page of ``{allocationId}``."""
    page, size = paging(request)
    with get_engine().lock:
        chosen = _active(request)
    content = [{"allocationId": a.allocation_id} for a in chosen[page * size : (page + 1) * size]]
    return json_response(page_json(content, page=page, size=size, total=len(chosen)))


@require_role(NOMIS_ROLE)
@nomis_prison_check
def suspended(request: HttpRequest) -> HttpResponse:
    """N13: suspended allocations (three in MDI)."""
    with get_engine().lock:
        rows = [
            {
                "offenderNo": a.offender_no,
                "courseActivityId": a.course_activity_id,
                "courseActivityDescription": _description(a.course_activity_id),
            }
            for a in _active(request)
            if a.suspended
        ]
    return json_response(rows)


@require_role(NOMIS_ROLE)
@nomis_prison_check
def missing_pay_bands(request: HttpRequest) -> HttpResponse:
    """N14: allocations without a pay band (two in MDI)."""
    with get_engine().lock:
        rows = [
            {
                "offenderNo": a.offender_no,
                "incentiveLevel": a.incentive_level,
                "courseActivityId": a.course_activity_id,
                "courseActivityDescription": _description(a.course_activity_id),
            }
            for a in _active(request)
            if a.pay_band is None
        ]
    return json_response(rows)


@require_role(SYNC_ROLE)
def allocation_mapping(request: HttpRequest, allocation_id: int) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        mapping = allocations_data(engine.state).mappings.get(allocation_id)
        body = mapping.as_json() if mapping else None
    if body is None:
        return error_response(404, f"Not Found: No allocation mapping for {allocation_id}")
    return json_response(body)


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P2 ``GET /mapping/allocations/migration/migration-id/{id}``: classic page."""
    return mappings_of_migration(request, migration_id, allocations_data)
