"""Visit Slots (`VISIT_SLOTS`): upstream-api-types.md §2.6. No filter: every NOMIS time slot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.forms import NoFilterForm
from migrations_ui.types.base import Line, MigrationType


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """N6 `GET /visits/configuration/time-slots/ids?size=1`: `page.totalElements` (PagedModel)."""
    return NomisPrisonerApiClient(username=username).total(
        "/visits/configuration/time-slots/ids",
        {"page": 0},
        what="time slot count",
        paged_model=True,
    )


def no_lines(filter: Mapping[str, Any]) -> list[Line]:
    return []


def time_slot(body: Any) -> str:
    """A failed slot's entity body `{prisonId, dayOfWeek, timeSlotSequence}` as "MDI MON 1"."""
    if not isinstance(body, Mapping):
        return ""
    parts = (body.get("prisonId"), body.get("dayOfWeek"), body.get("timeSlotSequence"))
    return " ".join(str(part) for part in parts if part is not None)


TYPE = MigrationType(
    slug="visit_slots",
    upstream_type="VISIT_SLOTS",
    url_prefix="visitslots-migration",
    description="Every prison's official visit time slots, from NOMIS to DPS.",
    start_path="visitslots",
    name="Visit slots",
    records="visit time slots",
    sample_form=lambda tomorrow: {},
    roles=(),
    form=NoFilterForm,
    estimate=estimate,
    summary=no_lines,
    filter_lines=no_lines,
    entity_id_label="Time slot",
    entity_id=time_slot,
    already_migrated_log="Will not migrate the nomis visit time slot",
    has_filter=False,
)
