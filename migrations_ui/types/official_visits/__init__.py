"""Official Visits (`OFFICIAL_VISITS`): upstream-api-types.md §2.7, with its quirks fixed.

Prison codes are trimmed and checked and a blank filter sends nothing (§6.9); the stored filter
shows on the list and details (§6.10). Visits are filtered on the date they were created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.base import Line, MigrationType, entity_field, text_list
from migrations_ui.types.official_visits.forms import OfficialVisitsMigrationForm


def _date(filter: Mapping[str, Any], key: str) -> str | None:
    value = filter.get(key)
    return value if isinstance(value, str) and value else None


def date_text(value: str | None) -> str:
    """A stored `2020-03-23` as "23 March 2020"; an odd value as it is, never an error."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """N7 `GET /official-visits/ids?size=1`: `page.totalElements` (PagedModel), for the same
    prisons (repeated; none: every prison) and creation dates (only when given) as the service.
    """
    params = {
        "prisonIds": list(filter.get("prisonIds") or []),
        "fromDate": _date(filter, "fromDate"),
        "toDate": _date(filter, "toDate"),
        "page": 0,
    }
    return NomisPrisonerApiClient(username=username).total(
        "/official-visits/ids", params, what="official visit count", paged_model=True
    )


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line(
            "prisonIds",
            "Prison codes",
            text_list(filter.get("prisonIds")) or "All prisons",
            "prison-codes",
        ),
        Line(
            "fromDate",
            "Earliest creation date",
            date_text(_date(filter, "fromDate")),
            "created-from",
        ),
        Line(
            "toDate",
            "Latest creation date",
            date_text(_date(filter, "toDate")),
            "created-to",
        ),
    ]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("prisons", "Prisons", text_list(filter.get("prisonIds")) or "All"),
        Line("from", "Created from", date_text(_date(filter, "fromDate"))),
        Line("to", "Created to", date_text(_date(filter, "toDate"))),
    ]


TYPE = MigrationType(
    slug="official_visits",
    upstream_type="OFFICIAL_VISITS",
    url_prefix="officialvisits-migration",
    description="Official visits, of every prison or some, from NOMIS to DPS.",
    start_path="official-visits",
    name="Official visits",
    records="official visits",
    sample_form=lambda tomorrow: {
        "prisonIds": "HEI",
        "fromDate": "2024-01-01",
        "toDate": "2024-03-31",
    },
    roles=(),
    form=OfficialVisitsMigrationForm,
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Visit ID",
    entity_id=entity_field("visitId"),
    already_migrated_log="Will not migrate the nomis official visit id=",
)
