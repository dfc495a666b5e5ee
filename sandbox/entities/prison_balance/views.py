"""Prison balance endpoints: NOMIS N8 and the mapping service's P8 (upstream-api-types §4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.prison_balance import balance_data
from sandbox.entities.simple_views import NOMIS_ROLE, SYNC_ROLE, migration_mappings
from sandbox.util import json_response
from sandbox.views.common import require_role


@require_role(NOMIS_ROLE)
def prison_ids(request: HttpRequest) -> HttpResponse:
    """N8 ``GET /finance/prison/ids``: a bare array of caseload ids, prisons and others."""
    return json_response(list(balance_data(get_engine().state).caseloads))


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P8 ``GET /mapping/prison-balance/migration-id/{id}``: a PagedModel."""
    return migration_mappings(
        request,
        migration_id,
        lambda state: balance_data(state).mapping_store,
        paged_model=True,
    )
