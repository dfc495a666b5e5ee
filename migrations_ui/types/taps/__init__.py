"""Temporary Absence repair (`EXTERNAL_MOVEMENTS`): upstream-api-types.md §2.10, quirks fixed.

Replays every NOMIS temporary absence of a prisoner (or of every prisoner) through DPS's repair
endpoint. The service never skips a prisoner, so there is no already-migrated link, and, like
the old dashboard, there is no failures page: each history row links to the run's events in
App Insights, and to its failures when it has any. Its stored filter shows on the list and the
details page (§6.10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.base import Line, MigrationType, entity_field, event_links
from migrations_ui.types.taps.forms import TapsMigrationForm


def _prisoner(filter: Mapping[str, Any]) -> str:
    value = filter.get("prisonerNumber")
    return value if isinstance(value, str) else ""


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """1 for one prisoner, as the service counts it (no call); else every NOMIS prisoner (N5)."""
    if _prisoner(filter):
        return 1
    return NomisPrisonerApiClient(username=username).prisoner_count()


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line(
            "prisonerNumber",
            "Prisoner number",
            _prisoner(filter) or "All prisoners",
            "prisoner-number",
        )
    ]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [Line("prisoner", "Prisoner", _prisoner(filter) or "All")]


TYPE = MigrationType(
    slug="taps",
    upstream_type="EXTERNAL_MOVEMENTS",
    url_prefix="taps-migration",
    description="Replays prisoners' temporary absences through DPS's repair endpoint.",
    start_path="taps",
    name="Temporary absence repair",
    records="prisoners",
    sample_form=lambda tomorrow: {},
    roles=(),
    form=TapsMigrationForm,
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Prisoner number",
    entity_id=entity_field("offenderNo"),
    already_migrated_log=None,
    templates={"_history_help.html": "migrations_ui/taps/_history_help.html"},
    has_failures_page=False,
    row_links=event_links("temporary-absences"),
)
