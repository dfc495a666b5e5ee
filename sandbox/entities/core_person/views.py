"""Core Person endpoints: NOMIS N20, N21 and the mapping service's P5 (upstream-api-types §4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities import core_person
from sandbox.entities.court_sentencing import court_data
from sandbox.entities.simple_views import NOMIS_ROLE, SYNC_ROLE, migration_mappings
from sandbox.util import BadRequest, json_response, parse_int
from sandbox.views.common import require_role


@require_role(NOMIS_ROLE)
def id_ranges(request: HttpRequest) -> HttpResponse:
    """N20 ``GET /prisoners/id-ranges?size=``: root offender id ranges of ``size`` prisoners."""
    size = parse_int(request.GET.get("size"), "size", 1000)
    if size < 1:
        raise BadRequest("Validation failure: size must be positive")
    return json_response(core_person.id_ranges(court_data(get_engine().state), size))


@require_role(NOMIS_ROLE)
def ids_in_range(request: HttpRequest) -> HttpResponse:
    """N21 ``GET /prisoners/ids-in-range``: both bounds required and inclusive."""
    values = []
    for name in ("fromRootOffenderId", "toRootOffenderId"):
        raw = request.GET.get(name)
        if not raw:
            raise BadRequest(f"Validation failure: {name} is required")
        values.append(parse_int(raw, name, 0))
    court = court_data(get_engine().state)
    return json_response(core_person.ids_in_range(court, values[0], values[1]))


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P5 ``GET /mapping/core-person-religion/migration-id/{id}``: classic page."""
    return migration_mappings(
        request, migration_id, lambda state: state.stores["CORE_PERSON"].mapping_store
    )
