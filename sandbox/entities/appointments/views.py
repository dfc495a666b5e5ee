"""Appointments endpoints: NOMIS N3, N4 and the mapping service's P3 (upstream-api-types §4)."""

from __future__ import annotations

from collections import Counter

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.activities_family import query_date, tomorrow
from sandbox.entities.appointments import Appointment, appointments_data
from sandbox.util import BadRequest, error_response, json_response
from sandbox.views.common import mappings_of_migration, page_json, paging, require_role

NOMIS_ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"
SYNC_ROLE = "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW"


def _selected(request: HttpRequest) -> list[Appointment]:
    """The query's prisons (repeated or comma-separated ``prisonIds``, required) and dates."""
    prison_ids = [p.strip() for value in request.GET.getlist("prisonIds") for p in value.split(",")]
    prison_ids = [p for p in prison_ids if p]
    if not prison_ids:
        raise BadRequest(
            "Validation failure: Required request parameter 'prisonIds' for method parameter "
            "type List is not present"
        )
    from_date, to_date = query_date(request, "fromDate"), query_date(request, "toDate")
    engine = get_engine()
    with engine.lock:
        return appointments_data(engine.state).select(prison_ids, from_date, to_date)


@require_role(NOMIS_ROLE)
def appointment_ids(request: HttpRequest) -> HttpResponse:
    """N3 ``GET /appointments/ids``: classic page of ``{eventId}``."""
    page, size = paging(request)
    chosen = _selected(request)
    content = [{"eventId": a.event_id} for a in chosen[page * size : (page + 1) * size]]
    return json_response(page_json(content, page=page, size=size, total=len(chosen)))


@require_role(NOMIS_ROLE)
def appointment_counts(request: HttpRequest) -> HttpResponse:
    """N4 ``GET /appointments/counts``: per prison, sub-type and future (tomorrow on)."""
    first_future = tomorrow()
    counts = Counter(
        (a.prison_id, a.sub_type, a.event_date >= first_future) for a in _selected(request)
    )
    return json_response(
        [
            {"prisonId": prison, "eventSubType": sub_type, "future": future, "count": count}
            for (prison, sub_type, future), count in sorted(counts.items())
        ]
    )


@require_role(SYNC_ROLE)
def appointment_mapping(request: HttpRequest, event_id: int) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        mapping = appointments_data(engine.state).mappings.get(event_id)
        body = mapping.as_json() if mapping else None
    if body is None:
        return error_response(404, f"Not Found: No appointment mapping for NOMIS event {event_id}")
    return json_response(body)


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P3 ``GET /mapping/appointments/migration-id/{id}``: classic page."""
    return mappings_of_migration(request, migration_id, appointments_data)
