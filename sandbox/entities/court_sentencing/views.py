"""Court Sentencing endpoints: NOMIS N5 and the mapping service's P4 (upstream-api-types §4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.court_sentencing import court_data
from sandbox.util import error_response, json_response
from sandbox.views.common import mappings_of_migration, page_json, paging, require_role

NOMIS_ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"
SYNC_ROLE = "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW"


@require_role(NOMIS_ROLE)
def prisoner_ids(request: HttpRequest) -> HttpResponse:
    """N5 ``GET /prisoners/ids/all``: classic Page in root offender id order (``sort`` ignored)."""
    page, size = paging(request, default_size=10)
    prisoners = court_data(get_engine().state).prisoners
    chosen = prisoners[page * size : (page + 1) * size]
    return json_response(
        page_json([{"offenderNo": n} for n in chosen], page=page, size=size, total=len(prisoners))
    )


@require_role(SYNC_ROLE)
def prisoner_mapping(request: HttpRequest, offender_no: str) -> HttpResponse:
    """One prisoner's court-case summary mapping."""
    engine = get_engine()
    with engine.lock:
        mapping = court_data(engine.state).mappings.get(offender_no)
        body = mapping.as_json() if mapping else None
    if body is None:
        return error_response(404, f"Not Found: No court sentencing mapping for {offender_no}")
    return json_response(body)


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P4 ``GET /mapping/court-sentencing/prisoner/migration-id/{id}``: one row per prisoner."""
    return mappings_of_migration(request, migration_id, court_data)
