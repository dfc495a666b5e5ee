"""Activities (`ACTIVITIES`): upstream-api-types.md §2.1, with the quirks of §6 fixed.

One prison's activities (or one course activity) move to DPS. The preview runs the estimate and
nine checks side by side, each failure its own error line; a completed run's NOMIS activities are
then ended, and an ended run's start date can be moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from migrations_ui import insights
from migrations_ui.types.activities import checks
from migrations_ui.types.activities.forms import ActivitiesMigrationForm
from migrations_ui.types.base import Line, Link, MigrationType, entity_field, event_links

EVENT_PREFIX = "activity"


def _text(filter: Mapping[str, Any], key: str) -> str:
    value = filter.get(key)
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("prisonId", "Prison code", _text(filter, "prisonId"), "prison-code"),
        Line("activityStartDate", "Activity start date", _text(filter, "activityStartDate")),
        Line(
            "courseActivityId",
            "Course activity ID",
            _text(filter, "courseActivityId"),
        ),
    ]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("prison", "Prison", _text(filter, "prisonId")),
        Line("start", "Activity start date", _text(filter, "activityStartDate")),
        Line("end", "NOMIS activity end date", _text(filter, "nomisActivityEndDate")),
        Line("course", "Course activity ID", _text(filter, "courseActivityId")),
    ]


def ignored_activities_query(migration: Any) -> str:
    """Query C for the run's ignored activities (no schedule rules, or already migrated), each
    with the course activity id and the reason the service logged.
    """
    base = insights.migration_events_query(
        EVENT_PREFIX, migration.migration_id, migration.when_started, migration.when_ended
    )
    return "\n".join(
        [
            base,
            "| where Name endswith 'ignored'",
            "| join kind=leftouter (AppTraces"
            " | where Message startswith 'Will not migrate'"
            " | project OperationId, reason = Message) on OperationId",
            "| project TimeGenerated, Name,"
            " crs_acty_id = tostring(Properties.nomisCourseActivityId), reason",
        ]
    )


def row_links(migration: Any) -> list[Link]:
    links = event_links(EVENT_PREFIX)(migration)
    unaccounted = (
        migration.records_migrated + migration.records_failed < migration.estimated_record_count
    )
    if migration.when_ended and unaccounted:
        links.append(
            Link(
                "ignored",
                "View ignored activities in App Insights",
                insights.log_analytics_url(ignored_activities_query(migration)),
            )
        )
    return links


def row_actions(migration: Any) -> list[Link]:
    """A run's follow-up steps (upstream-api-types.md §2.1), for users who may start activities.

    "Migrate allocations" opens the allocations start form filled with the run's filter. "End
    NOMIS activities" and "Move start date" open a page that asks first; the pages check the
    same rules again before anything is sent.
    """
    # Imported here: kernel.jinja2 sets up the process caches from settings, and the types'
    # registry is imported without settings (the benchmark's plan of pages).
    from kernel.jinja2 import url

    f = migration.filter
    course = f.get("courseActivityId")
    allocations_query = {
        "prisonId": f.get("prisonId") or "",
        "activityStartDate": f.get("activityStartDate") or "",
        "courseActivityId": course if course is not None else "",
    }
    actions = [
        Link(
            "migrate-allocations",
            "Migrate allocations",
            f"{url('allocations:start')}?{urlencode(allocations_query)}",
            external=False,
        )
    ]
    ended = f.get("nomisActivityEndDate")
    # The follow-up page's name is also its link's data-qa key.
    if migration.status == "COMPLETED" and not ended:
        page, text = "end-activities", "End NOMIS activities"
    elif (
        ended
        and course in (None, "")
        # Not started yet: an ISO date on or after tomorrow.
        and str(f.get("activityStartDate") or "") >= ActivitiesMigrationForm.earliest_start_date()
    ):
        page, text = "move-start-date", "Move start date"
    else:
        return actions
    address = url(f"{TYPE.namespace}:{page}", migration.migration_id)
    return [*actions, Link(page, text, address, external=False)]


def extra_urls(migration_type: MigrationType) -> list[Any]:
    from django.urls import path

    from migrations_ui.types.activities import views
    from migrations_ui.types.activities_family.views import ActivatePrisonView, csv_download_path

    return [
        csv_download_path(migration_type, checks.CSV_CHECKS),
        path(
            "start/activate-prison",
            ActivatePrisonView.as_view(
                migration_type=migration_type, service_code=checks.SWITCH_SERVICE
            ),
            name="activate-prison",
        ),
        path(
            "<str:migration_id>/end-activities",
            views.EndActivitiesView.as_view(migration_type=migration_type),
            name="end-activities",
        ),
        path(
            "<str:migration_id>/move-start-date",
            views.MoveStartDateView.as_view(migration_type=migration_type),
            name="move-start-date",
        ),
    ]


TYPE = MigrationType(
    slug="activities",
    upstream_type="ACTIVITIES",
    url_prefix="activities-migration",
    description="One prison's activities, or one course activity, from NOMIS to DPS.",
    start_path="activities",
    name="Activities",
    records="activities",
    sample_form=lambda tomorrow: {"prisonId": "LEI", "activityStartDate": tomorrow},
    roles=("MIGRATE_ACTIVITIES",),
    form=ActivitiesMigrationForm,
    estimate=checks.estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Course activity ID",
    entity_id=entity_field("courseActivityId"),
    already_migrated_log="Will not migrate the courseActivityId=",
    extra_checks=checks.CHECKS,
    templates={
        "_preview_checks.html": "migrations_ui/activities/_preview_checks.html",
        "preview.html": "migrations_ui/activities/preview.html",
        "_history_help.html": "migrations_ui/activities/_history_help.html",
    },
    has_failures_page=False,
    row_links=row_links,
    row_actions=row_actions,
    extra_urls=extra_urls,
)
