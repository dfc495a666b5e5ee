"""Temporary Absence repair endpoints: the mapping service's P10 (upstream-api-types §4.4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.entities.simple_views import SYNC_ROLE, migration_mappings
from sandbox.entities.taps import taps_data
from sandbox.views.common import require_role


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """P10 ``GET /mapping/taps/migration-id/{id}``: classic page, one row per prisoner."""
    return migration_mappings(request, migration_id, lambda state: taps_data(state).mapping_store)
