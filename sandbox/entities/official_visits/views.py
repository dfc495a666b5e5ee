"""Official Visits endpoints: NOMIS N7, N22 and the mapping service's P7 (upstream-api-types §4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.official_visits import visits_data
from sandbox.entities.simple import parse_date
from sandbox.entities.simple_views import NOMIS_ROLE, SYNC_ROLE, migration_mappings
from sandbox.util import json_response, parse_int
from sandbox.views.common import paged_model_json, paging, require_role


def _selected(request: HttpRequest) -> list[int]:
    get = request.GET
    return visits_data(get_engine().state).select(
        get.getlist("prisonIds"),
        parse_date(get.get("fromDate"), "fromDate"),
        parse_date(get.get("toDate"), "toDate"),
    )


@require_role(NOMIS_ROLE)
def visit_ids(request: HttpRequest) -> HttpResponse:
    """N7 ``GET /official-visits/ids``: PagedModel of ``{"visitId"}`` in id order."""
    page, size = paging(request)
    ids = _selected(request)
    chosen = [{"visitId": i} for i in ids[page * size : (page + 1) * size]]
    return json_response(paged_model_json(chosen, page=page, size=size, total=len(ids)))


@require_role(NOMIS_ROLE)
def visit_ids_from_id(request: HttpRequest) -> HttpResponse:
    """N22 ``GET /official-visits/ids/all-from-id``: the next ``size`` ids after ``visitId``."""
    after = parse_int(request.GET.get("visitId"), "visitId", 0)
    size = max(1, parse_int(request.GET.get("size"), "size", 10))
    ids = [i for i in _selected(request) if i > after][:size]
    return json_response({"ids": [{"visitId": i} for i in ids]})


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P7 ``GET /mapping/official-visits/migration-id/{id}``: classic page."""
    return migration_mappings(request, migration_id, lambda state: visits_data(state).mapping_store)
