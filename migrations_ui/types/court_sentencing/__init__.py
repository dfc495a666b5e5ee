"""Court Sentencing (`COURT_SENTENCING`): upstream-api-types.md §2.4, with its quirks fixed.

The service migrates prisoners (each with all their court cases), so the records are prisoners;
it never skips an already migrated prisoner, so there is no "already migrated" link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.base import Line, MigrationType, entity_field
from migrations_ui.types.court_sentencing.forms import CourtSentencingMigrationForm


def _numbers(filter: Mapping[str, Any]) -> list[str]:
    text = filter.get("offenderNo")
    return [part for part in str(text).split(",") if part.strip()] if text else []


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """The prisoners named, else every NOMIS prisoner (N5), as the service itself counts them."""
    numbers = _numbers(filter)
    if numbers:
        return len(numbers)
    return NomisPrisonerApiClient(username=username).prisoner_count()


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [Line("offenderNo", "Prisoner numbers", ", ".join(_numbers(filter)) or "All prisoners")]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [Line("prisoners", "Prisoners", ", ".join(_numbers(filter)) or "All")]


TYPE = MigrationType(
    slug="court_sentencing",
    upstream_type="COURT_SENTENCING",
    url_prefix="court-sentencing-migration",
    description="Prisoners' court cases, charges and sentences, from NOMIS to DPS.",
    start_path="court-sentencing",
    name="Court sentencing",
    records="prisoners",
    sample_form=lambda tomorrow: {},
    roles=("MIGRATE_SENTENCING",),
    form=CourtSentencingMigrationForm,
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Prisoner number",
    entity_id=entity_field("offenderNo"),
    already_migrated_log=None,
)
