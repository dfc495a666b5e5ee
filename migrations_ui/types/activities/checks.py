"""The activities preview's checks (upstream-api-types.md §2.1): the estimate and nine more.

They all run side by side with the dead letter count and "already running" (selectors.preview);
each failure is shown as its own line while the others still show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from migrations_ui.clients.activities_api import ActivitiesApiClient
from migrations_ui.clients.nomis_prisoner_api import ActivityIssue, NomisPrisonerApiClient
from migrations_ui.types.base import Check

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
    """N1's `totalElements`: the activities the service will read (those without schedule
    rules included, though they are never migrated: see the N16 check).
    """
    return _nomis(username).activity_count(_prison(filter), _course(filter))


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
    issues = _nomis(username).suspended_allocations(
        _prison(filter), _course(filter), filter.get("activityStartDate")
    )
    return _block(
        "Activity Description, Activity ID, Prisoner Number,",
        issues,
        "description",
        "course_activity_id",
        "offender_no",
    )


def allocations_missing_pay_bands(username: str | None, filter: Mapping[str, Any]) -> str:
    issues = _nomis(username).allocations_missing_pay_bands(
        _prison(filter), _course(filter), filter.get("activityStartDate")
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
    issues = _nomis(username).pay_rates_with_unknown_incentive(_prison(filter), _course(filter))
    return _block(
        "Activity Description, Activity ID, Pay Band Code, Incentive Level,",
        issues,
        "description",
        "course_activity_id",
        "pay_band_code",
        "incentive_level",
    )


def activities_without_schedule_rules(username: str | None, filter: Mapping[str, Any]) -> str:
    issues = _nomis(username).activities_without_schedule_rules(_prison(filter), _course(filter))
    return _block("Activity Description, Activity ID,", issues, "description", "course_activity_id")


CHECKS: dict[str, Check] = {
    "incentive_levels": lambda u, f: _nomis(u).incentive_levels(_prison(f)),
    "nomis_switch": lambda u, f: _nomis(u).agency_switch_on(SWITCH_SERVICE, _prison(f)),
    "dps_rollout": lambda u, f: _dps(u).activities_rolled_out(_prison(f)),
    "dps_pay_bands": lambda u, f: _dps(u).has_pay_bands(_prison(f)),
    "dps_regime": lambda u, f: _dps(u).has_regime(_prison(f)),
    "suspended_allocations": suspended_allocations,
    "allocations_missing_pay_bands": allocations_missing_pay_bands,
    "pay_rates_unknown_incentive": pay_rates_unknown_incentive,
    "activities_without_schedule_rules": activities_without_schedule_rules,
}
