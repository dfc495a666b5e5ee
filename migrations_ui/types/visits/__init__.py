"""Visits (`VISITS`): the first type, reference-dashboard.md §4 and upstream-api.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from kernel.formatting import datetime_display
from migrations_ui.clients.migration_api import MigrationApiClient, RoomUsage
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.base import Line, MigrationType, entity_field, text_list
from migrations_ui.types.visits.forms import VISIT_TYPE_CHOICES, VisitsMigrationForm


def _query_of(filter: Mapping[str, Any]) -> dict[str, Any]:
    """A start filter as query parameters (lists repeat; `ignoreMissingRoom` is not a filter)."""
    return {key: value for key, value in filter.items() if key != "ignoreMissingRoom"}


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """NOMIS `/visits/ids?size=1` for the filter, with the estimate's own timeout and no retry.

    The count is a heavy query (upstream-api.md §6.1): the user is told to try again rather than
    being kept waiting through retries.
    """
    connect, _read = settings.UPSTREAM_TIMEOUTS["nomisPrisonerApi"]
    client = NomisPrisonerApiClient(
        username=username, timeout=(connect, settings.HEAVY_ESTIMATE_TIMEOUT_SECONDS)
    )
    client.retries = 0
    # `GET /visits/ids?size=1` (upstream-api.md §6.1): `totalElements` of the classic page.
    query = {**_query_of(filter), "page": 0}
    return client.total("/visits/ids", query, what="visit count", paged_model=False)


def unmapped_rooms(username: str | None, filter: Mapping[str, Any]) -> list[RoomUsage]:
    """M2: rooms of future visits that have no DPS room mapping (their visits would fail)."""
    rooms = MigrationApiClient(username=username).visit_rooms_usage(_query_of(filter))
    return [room for room in rooms if not room.vsip_room]


# NOMIS visit type codes by the names the start form offers them under ("SCON" -> "Social visits").
VISIT_TYPE_NAMES = dict(VISIT_TYPE_CHOICES)


def visit_types(value: Any) -> str:
    """Stored visit type codes by name, "Social visits, Official visits"; an unknown code as is."""
    codes = value if isinstance(value, list) else [c for c in str(value or "").split(",") if c]
    return text_list([VISIT_TYPE_NAMES.get(str(code).strip(), str(code).strip()) for code in codes])


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("visitTypes", "Visit types", visit_types(filter.get("visitTypes")), "visit-types"),
        Line("prisonIds", "Prison codes", text_list(filter.get("prisonIds")), "prison-codes"),
        Line(
            "fromDateTime",
            "Earliest creation date",
            datetime_display(filter.get("fromDateTime")),
            "created-after",
        ),
        Line(
            "toDateTime",
            "Latest creation date",
            datetime_display(filter.get("toDateTime")),
            "created-before",
        ),
    ]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    def when(key: str) -> str:
        value = filter.get(key)
        if not isinstance(value, str) or not value:
            return ""
        try:
            return datetime_display(value)
        except ValueError:
            return value  # an odd stored value is shown as it is, not allowed to break the list

    return [
        Line("prisons", "Prisons", text_list(filter.get("prisonIds"))),
        Line("visit-types", "Visit types", visit_types(filter.get("visitTypes"))),
        Line("from", "Created from", when("fromDateTime")),
        Line("to", "Created to", when("toDateTime")),
    ]


TYPE = MigrationType(
    slug="visits",
    upstream_type="VISITS",
    url_prefix="visits-migration",
    description="Social and official visits, from NOMIS to Visit someone in prison.",
    start_path="visits",
    name="Visits",
    records="visits",
    sample_form=lambda tomorrow: {"prisonIds": "HEI", "visitTypes": "SCON"},
    roles=("MIGRATE_VISITS",),
    form=VisitsMigrationForm,
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Visit ID",
    entity_id=entity_field("visitId"),
    already_migrated_log="Will not migrate visit since it is migrated already,",
    extra_checks={"unmapped_rooms": unmapped_rooms},
    check_names={"unmapped_rooms": "Room mappings"},
    templates={
        "_preview_checks.html": "migrations_ui/visits/_preview_checks.html",
    },
)
