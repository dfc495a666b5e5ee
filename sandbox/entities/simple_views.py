"""View helpers shared by the simple types' endpoints (both P-count page shapes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.util import json_response
from sandbox.views.common import page_json, paged_model_json, paging

NOMIS_ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"
SYNC_ROLE = "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW"


def migration_mappings(
    request: HttpRequest,
    migration_id: str,
    store_of: Callable[[Any], Any],
    *,
    paged_model: bool = False,
) -> HttpResponse:
    """One migration's mappings as a classic page, or a PagedModel (P8, P9)."""
    page, size = paging(request)
    engine = get_engine()
    with engine.lock:
        store = store_of(engine.state)
        keys = store.by_label.get(migration_id, [])
        chosen = [store.mappings[k].as_json() for k in keys[page * size : (page + 1) * size]]
        total = len(keys)
    shape = paged_model_json if paged_model else page_json
    return json_response(shape(chosen, page=page, size=size, total=total))
