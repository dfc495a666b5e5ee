"""Visit Slots endpoints: NOMIS N6 and the mapping service's P6 (upstream-api-types §4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.visit_slots import slot_json, slots_data
from sandbox.util import error_response, json_response
from sandbox.views.common import (
    mappings_of_migration,
    paged_model_json,
    paging,
    require_role,
)

NOMIS_ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"
SYNC_ROLE = "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW"


@require_role(NOMIS_ROLE)
def time_slot_ids(request: HttpRequest) -> HttpResponse:
    """N6 ``GET /visits/configuration/time-slots/ids``: a PagedModel; ``size=1`` counts."""
    page, size = paging(request)
    slots = slots_data(get_engine().state).slots
    chosen = slots[page * size : (page + 1) * size]
    return json_response(
        paged_model_json([slot_json(k) for k in chosen], page=page, size=size, total=len(slots))
    )


@require_role(SYNC_ROLE)
def slot_mapping(request: HttpRequest, prison_id: str, day: str, sequence: int) -> HttpResponse:
    """The mapping of one NOMIS time slot (the migration service's already-migrated check)."""
    engine = get_engine()
    with engine.lock:
        mapping = slots_data(engine.state).mappings.get((prison_id, day, sequence))
        body = mapping.as_json() if mapping else None
    if body is None:
        return error_response(
            404, f"Not Found: No time slot mapping for {prison_id}/{day}/{sequence}"
        )
    return json_response(body)


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P6 ``GET /mapping/visit-slots/migration-id/{id}``: classic Page, ``totalElements``."""
    return mappings_of_migration(request, migration_id, slots_data)
