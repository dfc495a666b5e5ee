"""Core Person (`CORE_PERSON`): upstream-api-types.md §2.5 as changed by §8, with its quirks fixed.

The religion migration was generalised upstream: the type is now `CORE_PERSON`, started by
`POST /migrate/core-person` with no body. It has no filter and moves every NOMIS prisoner (N5).
Its entity body is `{rootOffenderId, prisonNumber}`, so failures show the prison number (not the
old dashboard's blank "Visit ID"), and the already-migrated link searches for the line the
service really logs, "Will not migrate the prisoner=" (§5, §6.6, §6.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.forms import NoFilterForm
from migrations_ui.types.base import Line, MigrationType, entity_field


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """Every NOMIS prisoner: N5's `totalElements`, as the service itself counts them."""
    return NomisPrisonerApiClient(username=username).prisoner_count()


def no_lines(filter: Mapping[str, Any]) -> list[Line]:
    return []


TYPE = MigrationType(
    slug="core_person",
    upstream_type="CORE_PERSON",
    # The existing dashboard's prefix, kept for bookmarks, though it is no longer religion only.
    url_prefix="coreperson-religion-migration",
    description="Every prisoner's core person details, from NOMIS to DPS.",
    start_path="core-person",
    name="Core person",
    records="prisoners",
    sample_form=lambda tomorrow: {},
    roles=(),
    form=NoFilterForm,
    estimate=estimate,
    summary=no_lines,
    filter_lines=no_lines,
    entity_id_label="Prisoner number",
    entity_id=entity_field("prisonNumber"),
    already_migrated_log="Will not migrate the prisoner=",
    has_filter=False,
)
