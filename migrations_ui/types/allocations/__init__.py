"""Allocations (`ALLOCATIONS`): upstream-api-types.md §2.2, with §6.2 and §6.12 fixed.

The step after an activities run: prisoners' allocations to the activities it migrated. The
estimate counts allocations active on the chosen start date, as the service itself does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.types.allocations.forms import AllocationsMigrationForm
from migrations_ui.types.base import Line, MigrationType, entity_field, event_links


def _text(filter: Mapping[str, Any], key: str) -> str:
    value = filter.get(key)
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """N2's `totalElements` with `activeOnDate` = the start date (not NOMIS's default, tomorrow)."""
    course = filter.get("courseActivityId")
    params = {
        "prisonId": str(filter["prisonId"]),
        "courseActivityId": course if isinstance(course, int) else None,
        "activeOnDate": filter.get("activityStartDate"),
    }
    # N2 `GET /allocations/ids?size=1`: allocations active on `activeOnDate` (classic page).
    return NomisPrisonerApiClient(username=username).total(
        "/allocations/ids", params, what="allocation count", paged_model=False
    )


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("prisonId", "Prison code", _text(filter, "prisonId"), "prison-code"),
        Line(
            "courseActivityId",
            "Course activity ID",
            _text(filter, "courseActivityId"),
        ),
        Line(
            "activityStartDate",
            "Activity start date",
            _text(filter, "activityStartDate"),
        ),
    ]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("prison", "Prison", _text(filter, "prisonId")),
        Line("course", "Course activity ID", _text(filter, "courseActivityId")),
        Line("start", "Course activity start date", _text(filter, "activityStartDate")),
    ]


def extra_urls(migration_type: MigrationType) -> list[Any]:
    from django.urls import path

    from migrations_ui.types.allocations import views

    return [
        # Before the generic "start" and "amend": these keep the protected start date.
        path(
            "start",
            views.AllocationsStartView.as_view(migration_type=migration_type),
            name="start",
        ),
        path(
            "amend",
            views.AllocationsAmendView.as_view(migration_type=migration_type),
            name="amend",
        ),
    ]


TYPE = MigrationType(
    slug="allocations",
    upstream_type="ALLOCATIONS",
    url_prefix="allocations-migration",
    description="Prisoners' allocations to one prison's migrated activities.",
    start_path="allocations",
    name="Allocations",
    records="allocations",
    sample_form=lambda tomorrow: {"prisonId": "LEI", "activityStartDate": tomorrow},
    roles=("MIGRATE_ACTIVITIES",),
    form=AllocationsMigrationForm,
    estimate=estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Allocation ID",
    entity_id=entity_field("allocationId"),
    already_migrated_log="Will not migrate the allocationId=",
    templates={"_history_help.html": "migrations_ui/allocations/_history_help.html"},
    has_failures_page=False,
    row_links=event_links("activity-allocation"),
    extra_urls=extra_urls,
)
