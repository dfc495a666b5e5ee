"""Prisoner balance endpoints: NOMIS N9 and the mapping service's P9 (upstream-api-types §4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.prisoner_balance import balance_data
from sandbox.entities.simple_views import NOMIS_ROLE, SYNC_ROLE, migration_mappings
from sandbox.util import json_response
from sandbox.views.common import paged_model_json, paging, require_role


@require_role(NOMIS_ROLE)
def prisoner_ids(request: HttpRequest) -> HttpResponse:
    """N9 ``GET /finance/prisoners/ids``: PagedModel of bare root offender ids.

    ``prisonId`` may repeat; blank values are ignored (none left = every prison).
    """
    page, size = paging(request)
    ids = balance_data(get_engine().state).select(request.GET.getlist("prisonId"))
    chosen = ids[page * size : (page + 1) * size]
    return json_response(paged_model_json(chosen, page=page, size=size, total=len(ids)))


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P9 ``GET /mapping/prisoner-balance/migration-id/{id}``: a PagedModel."""
    return migration_mappings(
        request,
        migration_id,
        lambda state: balance_data(state).mapping_store,
        paged_model=True,
    )
