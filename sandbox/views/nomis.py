"""NOMIS prisoner API (``/nomis-prisoner-api``): visits endpoints of upstream-api §6."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.util import BadRequest, error_response, json_response, parse_bool
from sandbox.views.common import page_json, paging, require_role, visit_filter

ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"


@require_role(ROLE)
def visit_ids(request: HttpRequest) -> HttpResponse:
    """``GET /visits/ids``: creation order ascending; ``size=1`` is the counting idiom."""
    flt = visit_filter(request)
    page, size = paging(request)
    ids, total = get_engine().state.visits.page_ids(flt, page, size)
    return json_response(
        page_json([{"visitId": i} for i in ids], page=page, size=size, total=total)
    )


@require_role(ROLE)
def rooms_usage_count(request: HttpRequest) -> HttpResponse:
    """``GET /visits/rooms/usage-count``: future visits only unless ``futureVisitsOnly=false``."""
    flt = visit_filter(request)
    future_only = parse_bool(request.GET.get("futureVisitsOnly"), "futureVisitsOnly", True)
    rows = get_engine().state.visits.room_usage(flt, today=date.today(), future_only=future_only)
    return json_response(rows)


@require_role(ROLE)
def visit(request: HttpRequest, visit_id: str) -> HttpResponse:
    """``GET /visits/{visitId}``."""
    try:
        number = int(visit_id)
    except ValueError as exc:
        raise BadRequest(f"Bad Request: visitId must be a number, was {visit_id}") from exc
    body = get_engine().state.visits.visit(number, today=date.today())
    if body is None:
        return error_response(404, f"Not Found: visit id {number}")
    return json_response(body)
