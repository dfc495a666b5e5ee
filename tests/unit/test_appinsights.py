"""Log Analytics links: the documented URL form, and a query that decodes back exactly."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from urllib.parse import unquote

import pytest

from migrations_ui import insights
from migrations_ui.types.visits import TYPE as VISITS

PREFIX = (
    "https://portal.azure.com/#blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView"
    "/resourceId/%2Fsubscriptions%2Fsub-123%2Fresourcegroups%2Fnomisapi-t3-rg%2Fproviders"
    "%2Fmicrosoft.operationalinsights%2Fworkspaces%2Fnomisapi-t3"
    "/source/LogsBlade.AnalyticsShareLinkToQuery/q/"
)


@pytest.fixture(autouse=True)
def _workspace(settings) -> None:
    settings.APPINSIGHTS_PORTAL_URL = "https://portal.azure.com"
    settings.APPINSIGHTS_SUBSCRIPTION_ID = "sub-123"
    settings.APPINSIGHTS_COMPONENT = "nomisapi-t3"
    settings.APPINSIGHTS_RESOURCE_GROUP = "nomisapi-t3-rg"


def decode(url: str, suffix: str) -> str:
    assert url.startswith(PREFIX)
    assert url.endswith(suffix)
    packed = url[len(PREFIX) : -len(suffix)]
    # Fully percent-encoded: base64's +, / and = never appear raw.
    assert not set("+/=") & set(packed)
    return gzip.decompress(base64.b64decode(unquote(packed))).decode("utf-8")


def test_already_migrated_link_decodes_to_query_a_in_utc_with_milliseconds() -> None:
    url = insights.already_migrated_url(
        VISITS.already_migrated_log or "",
        dt.datetime(2025, 2, 3, 1, 2, 3, 456789),
        dt.datetime(2025, 7, 1, 10, 0, 0),
    )
    assert decode(url, "/limit/1000") == (
        "AppTraces\n"
        "| where AppRoleName == 'hmpps-prisoner-from-nomis-migration'\n"
        "| where Message contains 'Will not migrate visit since it is migrated already,'\n"
        # February is GMT; July is BST, so 10:00 local is 09:00Z.
        "| where TimeGenerated between (datetime(2025-02-03T01:02:03.456Z) .. "
        "datetime(2025-07-01T09:00:00.000Z))\n"
        "| summarize dcount(Message)"
    )
    assert "/timespan/" not in url


def test_a_migration_not_yet_ended_is_queried_up_to_now(monkeypatch) -> None:
    fixed = dt.datetime(2025, 2, 3, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("migrations_ui.insights.timezone.now", lambda: fixed)
    query = decode(
        insights.already_migrated_url("Will not migrate", dt.datetime(2025, 2, 3, 1, 0), None),
        "/limit/1000",
    )
    assert "datetime(2025-02-03T12:00:00.000Z))" in query


def test_dead_letter_link_decodes_to_query_b_with_a_day_timespan() -> None:
    url = insights.dead_letter_url("0c0e4a3f-8f61-4b4e-9c1f-5b0d5a1c2e77")
    assert decode(url, "/timespan/P1D/limit/1000") == (
        "AppExceptions\n"
        "| where AppRoleName == 'hmpps-prisoner-from-nomis-migration'\n"
        '| where Properties.["Logger Message"] == '
        '"MessageID:0c0e4a3f-8f61-4b4e-9c1f-5b0d5a1c2e77"\n'
        "| order by TimeGenerated desc"
    )


def test_the_same_query_always_gives_the_same_link() -> None:
    assert insights.dead_letter_url("m1") == insights.dead_letter_url("m1")


def test_a_quote_in_a_message_id_cannot_end_the_query_string() -> None:
    query = decode(insights.dead_letter_url('m1" or true or "'), "/timespan/P1D/limit/1000")
    assert '"MessageID:m1 or true or "' in query


def test_the_log_line_searched_for_is_the_types_and_cannot_end_the_kql_string() -> None:
    query = decode(
        insights.already_migrated_url("Will not migrate the nomis visit time slot'|x", None, None),
        "/limit/1000",
    )
    assert "| where Message contains 'Will not migrate the nomis visit time slot|x'\n" in query


def test_all_events_of_a_running_migration_are_queried_up_to_now() -> None:
    query = decode(
        insights.migration_events_url(
            "temporary-absences", "2025-02-03T01:00:00", dt.datetime(2025, 2, 3, 1, 0), None
        ),
        "/limit/1000",
    )
    assert query == (
        "AppEvents\n"
        "| where AppRoleName == 'hmpps-prisoner-from-nomis-migration'\n"
        "| where TimeGenerated between (datetime(2025-02-03T01:00:00.000Z) .. now())\n"
        "| where Properties.migrationId startswith '2025-02-03T01:00:00'\n"
        "| where Name startswith 'temporary-absences-migration'"
    )


def test_failure_events_of_an_ended_migration_are_the_failed_or_error_ones() -> None:
    query = decode(
        insights.migration_events_url(
            "activity",
            "2025-07-01T10:00:00",
            dt.datetime(2025, 7, 1, 10, 0),
            dt.datetime(2025, 7, 1, 11, 0),
            failures_only=True,
        ),
        "/limit/1000",
    )
    assert "datetime(2025-07-01T09:00:00.000Z) .. datetime(2025-07-01T10:00:00.000Z))" in query
    assert query.endswith('| where (Name endswith "failed" or Name endswith "error")')
