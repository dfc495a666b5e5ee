"""The activities preview's checks (upstream-api-types.md §2.1): the estimate and nine more.

They all run side by side with the dead letter count and "already running" (selectors.preview);
each failure is shown as its own line while the others still show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from migrations_ui.clients.activities_api import ActivitiesApiClient
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient, number_of, text_of
from migrations_ui.types.base import Check
from upstream import path_segment

# The NOMIS agency switch that hands a prison's activities over to DPS (N11, N12).
SWITCH_SERVICE = "ACTIVITY"


def _nomis(username: str | None) -> NomisPrisonerApiClient:
    return NomisPrisonerApiClient(username=username)


def _dps(username: str | None) -> ActivitiesApiClient:
    return ActivitiesApiClient(username=username)


def _prison(filter: Mapping[str, Any]) -> str:
    return str(filter["prisonId"])


def _course(filter: Mapping[str, Any]) -> int | None:
    value = filter.get("courseActivityId")
    return value if isinstance(value, int) else None


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """N1 `GET /activities/ids?size=1`'s `totalElements`: the activities the service will read
    (those without schedule rules included, though they are never migrated: see the N16 check).
    """
    params = {"prisonId": _prison(filter), "courseActivityId": _course(filter)}
    return _nomis(username).total(
        "/activities/ids", params, what="activity count", paged_model=False
    )


@dataclass(frozen=True)
class ActivityIssue:
    """A row of N13-N16: an activity (and a prisoner's allocation to it) that needs attention."""

    description: str
    course_activity_id: int | None
    offender_no: str = ""
    incentive_level: str = ""
    pay_band_code: str = ""


def activity_issues(
    username: str | None, path: str, filter: Mapping[str, Any], *, on_start_date: bool, what: str
) -> list[ActivityIssue]:
    """N13-N16 for the filter's prison and course activity (and its start date, for N13-N14)."""
    params: dict[str, Any] = {"prisonId": _prison(filter), "courseActivityId": _course(filter)}
    if on_start_date and filter.get("activityStartDate"):
        params["activeOnDate"] = filter["activityStartDate"]
    return [
        ActivityIssue(
            description=text_of(row, "courseActivityDescription"),
            course_activity_id=number_of(row, "courseActivityId"),
            offender_no=text_of(row, "offenderNo"),
            incentive_level=text_of(row, "incentiveLevel") or text_of(row, "incentiveLevelCode"),
            pay_band_code=text_of(row, "payBandCode"),
        )
        for row in _nomis(username).rows(path, params, what=what)
    ]


def incentive_levels(username: str | None, filter: Mapping[str, Any]) -> list[str]:
    """N10 `GET /prisons/{prisonId}/incentive-levels`: the active levels' codes."""
    path = f"/prisons/{path_segment(_prison(filter))}/incentive-levels"
    rows = _nomis(username).rows(path, None, what="incentive level list")
    return [text_of(row, "code") for row in rows]


def csv_text(header: str, lines: Iterable[str]) -> str:
    """The existing dashboard's copyable block: its header, then the rows' lines sorted."""
    return "\n".join([header, *sorted(lines)])


def _block(header: str, issues: list[ActivityIssue], *columns: str) -> str:
    """ "" when there is nothing to report, else the CSV text (each value then a comma)."""
    if not issues:
        return ""
    return csv_text(
        header, ("".join(f"{getattr(i, c) or ''}, " for c in columns).rstrip() for i in issues)
    )


def suspended_allocations(username: str | None, filter: Mapping[str, Any]) -> str:
    # N13 `GET /allocations/suspended`.
    issues = activity_issues(
        username, "/allocations/suspended", filter, on_start_date=True, what="suspended allocations"
    )
    return _block(
        "Activity Description, Activity ID, Prisoner Number,",
        issues,
        "description",
        "course_activity_id",
        "offender_no",
    )


def allocations_missing_pay_bands(username: str | None, filter: Mapping[str, Any]) -> str:
    # N14 `GET /allocations/missing-pay-bands`.
    issues = activity_issues(
        username,
        "/allocations/missing-pay-bands",
        filter,
        on_start_date=True,
        what="allocations missing pay bands",
    )
    return _block(
        "Activity Description, Activity ID, Prisoner Number, Incentive Level,",
        issues,
        "description",
        "course_activity_id",
        "offender_no",
        "incentive_level",
    )


def pay_rates_unknown_incentive(username: str | None, filter: Mapping[str, Any]) -> str:
    # N15 `GET /activities/rates-with-unknown-incentives`.
    issues = activity_issues(
        username,
        "/activities/rates-with-unknown-incentives",
        filter,
        on_start_date=False,
        what="pay rates with unknown incentive",
    )
    return _block(
        "Activity Description, Activity ID, Pay Band Code, Incentive Level,",
        issues,
        "description",
        "course_activity_id",
        "pay_band_code",
        "incentive_level",
    )


def activities_without_schedule_rules(username: str | None, filter: Mapping[str, Any]) -> str:
    # N16 `GET /activities/without-schedule-rules`.
    issues = activity_issues(
        username,
        "/activities/without-schedule-rules",
        filter,
        on_start_date=False,
        what="activities without schedule rules",
    )
    return _block("Activity Description, Activity ID,", issues, "description", "course_activity_id")


CHECKS: dict[str, Check] = {
    "incentive_levels": incentive_levels,
    "nomis_switch": lambda u, f: _nomis(u).agency_switch_on(SWITCH_SERVICE, _prison(f)),
    "dps_rollout": lambda u, f: _dps(u).activities_rolled_out(_prison(f)),
    "dps_pay_bands": lambda u, f: _dps(u).has_pay_bands(_prison(f)),
    "dps_regime": lambda u, f: _dps(u).has_regime(_prison(f)),
    "suspended_allocations": suspended_allocations,
    "allocations_missing_pay_bands": allocations_missing_pay_bands,
    "pay_rates_unknown_incentive": pay_rates_unknown_incentive,
    "activities_without_schedule_rules": activities_without_schedule_rules,
}

# The checks whose answers are the preview's copyable CSV blocks, each also a download.
CSV_CHECKS = (
    "suspended_allocations",
    "allocations_missing_pay_bands",
    "pay_rates_unknown_incentive",
    "activities_without_schedule_rules",
)
