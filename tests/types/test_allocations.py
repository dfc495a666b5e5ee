"""What is particular to Allocations, in the dashboard and in the sandbox.

The dashboard: its form (the activities rules), the pre-fill from an activities run and its
protected date, its estimate (N2) and words. The sandbox: N2 and runs after (or before) their
activities (sandbox/entities/allocations/). The pages it shares with every type are covered by
tests/unit/test_type_pages.py with EXAMPLE; its run from the start form to COMPLETED follows an
activities run: test_allocations_follow_their_activities_run, below.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.utils import timezone

from migrations_ui.types import allocations
from migrations_ui.types.allocations.forms import AllocationsMigrationForm
from tests.factories import InProgressFactory
from tests.integration.conftest_visits import qa, run_to_completion
from tests.sandbox.calls import (
    API,
    MAPPING,
    NOMIS,
    day,
    events,
    get,
    history,
    start,
)
from tests.types import Example, classic_total, run_of
from tests.types.test_activities import run_activities
from tests.unit.conftest_visits import migration_url, nomis_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits", "tests.integration.conftest_visits"]
pytestmark = pytest.mark.django_db


def _mock_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/allocations/ids"), json=classic_total(estimate))


EXAMPLE = Example(
    form={"prisonId": "mdi", "courseActivityId": "", "activityStartDate": "2099-01-02"},
    mock_checks=_mock_checks,
    start_body={"prisonId": "MDI", "activityStartDate": "2099-01-02"},
    stored_filter={
        "prisonId": "MDI",
        "courseActivityId": 12,
        "activityStartDate": "2099-01-02",
    },
    filter_text="Course activity ID: 12",
    entity={"allocationId": 98765},
    entity_id="98765",
)
# Allocations need an activities run first: test_allocations_follow_their_activities_run, below.
RUN = None


# -- The dashboard


FUTURE = "2099-01-02"
START = f"/allocations-migration/start?prisonId=MDI&activityStartDate={FUTURE}&courseActivityId=12"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def syscon(client, tokens, syscon_user) -> Any:
    return sign_in(client, syscon_user)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def date_input(page: str) -> str:
    return re.search(r"<input[^>]*name=\"activityStartDate\"[^>]*>", page).group(0)


def mock_preview(requests_mock: Any, estimate: int = 40) -> Any:
    count = requests_mock.get(
        nomis_url("/allocations/ids"),
        json={"content": [], "totalElements": estimate, "size": 1, "number": 0},
    )
    requests_mock.get(migration_url("/migrate/dead-letter-queue/ALLOCATIONS/count"), json=0)
    requests_mock.get(
        migration_url("/migrate/history/active/ALLOCATIONS"),
        json=InProgressFactory(migrationType="ALLOCATIONS", status="COMPLETED"),
    )
    return count


def test_the_form_has_the_activities_rules_and_sends_numbers() -> None:
    form = AllocationsMigrationForm(
        QueryDict(f"prisonId=mdi&courseActivityId=+12+&activityStartDate={FUTURE}")
    )
    assert form.is_valid()
    assert form.upstream_filter() == {
        "prisonId": "MDI",
        "activityStartDate": FUTURE,
        "courseActivityId": 12,
    }
    bad = AllocationsMigrationForm(QueryDict("prisonId=&courseActivityId=x&activityStartDate="))
    assert not bad.is_valid()
    assert [e["text"] for e in bad.error_list()] == [
        "Enter the prison code",
        "Course activity ID must be a whole number, like 12345",
        "Enter the activity start date",
    ]
    today = timezone.localdate().isoformat()
    past = AllocationsMigrationForm(QueryDict(f"prisonId=MDI&activityStartDate={today}"))
    assert past.errors["activityStartDate"] == ["Activity start date must be after today"]


def test_a_plain_start_is_empty_and_the_date_editable(syscon) -> None:
    page = text(syscon.get("/allocations-migration/start"))
    assert "Which allocations should be migrated?" in page
    assert "readonly" not in date_input(page)
    assert 'value=""' in date_input(page) or "value" not in date_input(page)


def test_migrate_allocations_prefills_the_form_and_protects_the_date(syscon) -> None:
    page = text(syscon.get(START))
    assert re.search(r'<input[^>]*name="prisonId"[^>]*value="MDI"', page)
    assert re.search(r'<input[^>]*name="courseActivityId"[^>]*value="12"', page)
    field = date_input(page)
    assert f'value="{FUTURE}"' in field and "readonly" in field
    assert "cannot be changed here" in page


@pytest.mark.parametrize("query_date", ["2020-01-01", "rubbish"])
def test_a_date_the_form_would_refuse_is_not_protected(syscon, query_date) -> None:
    page = text(
        syscon.get(f"/allocations-migration/start?prisonId=MDI&activityStartDate={query_date}")
    )
    assert "readonly" not in date_input(page)


def test_a_tampered_date_is_refused_at_every_step_and_the_protection_survives_change(
    syscon, requests_mock
) -> None:
    syscon.get(START)
    tampered = syscon.post(
        "/allocations-migration/start",
        {"prisonId": "MDI", "courseActivityId": "12", "activityStartDate": "2099-06-01"},
    )
    assert tampered.status_code == 200
    page = text(tampered)
    assert (
        "Activity start date must be the activities migration&#39;s start date, 2099-01-02" in page
    )
    assert f'value="{FUTURE}"' in date_input(page)
    assert requests_mock.call_count == 0

    sent = syscon.post(
        "/allocations-migration/start",
        {"prisonId": "MDI", "courseActivityId": "", "activityStartDate": FUTURE},
    )
    assert sent["Location"] == "/allocations-migration/start/preview"

    # "Change": the date is still read-only, and still refused if changed.
    amend = text(syscon.get("/allocations-migration/amend"))
    assert "readonly" in date_input(amend) and f'value="{FUTURE}"' in date_input(amend)
    again = syscon.post(
        "/allocations-migration/start",
        {"prisonId": "LEI", "courseActivityId": "", "activityStartDate": "2099-01-03"},
    )
    assert again.status_code == 200
    assert "start date, 2099-01-02" in text(again)

    # The preview and the start use the protected date.
    syscon.post(
        "/allocations-migration/start",
        {"prisonId": "LEI", "courseActivityId": "", "activityStartDate": FUTURE},
    )
    count = mock_preview(requests_mock)
    preview = text(syscon.get("/allocations-migration/start/preview"))
    assert "Estimated number of allocations to be migrated: 40" in preview
    assert count.last_request.qs["activeondate"] == [FUTURE]
    token = re.search(r'name="preview_token" value="([^"]+)"', preview).group(1)
    start = requests_mock.post(
        migration_url("/migrate/allocations"),
        status_code=202,
        json={"migrationId": "2099-01-01T10:00:00", "estimatedCount": 40, "body": {}},
    )
    syscon.post("/allocations-migration/start/preview", {"preview_token": token})
    assert json.loads(start.last_request.body) == {"prisonId": "LEI", "activityStartDate": FUTURE}


def test_a_fresh_start_drops_the_protection(syscon) -> None:
    syscon.get(START)
    syscon.get("/allocations-migration/start")
    response = syscon.post(
        "/allocations-migration/start",
        {"prisonId": "MDI", "courseActivityId": "", "activityStartDate": "2099-06-01"},
    )
    assert response.status_code == 302


def test_the_estimate_counts_allocations_active_on_the_start_date(tokens, requests_mock) -> None:
    count = requests_mock.get(nomis_url("/allocations/ids"), json={"totalElements": 7})
    filter = {"prisonId": "MDI", "courseActivityId": 12, "activityStartDate": FUTURE}
    assert allocations.estimate("SYSCON_USER", filter) == 7
    assert count.last_request.qs == {
        "prisonid": ["mdi"],
        "courseactivityid": ["12"],
        "activeondate": [FUTURE],
        "size": ["1"],
    }


def test_the_preview_and_list_words(syscon, requests_mock) -> None:
    lines = allocations.TYPE.summary({"prisonId": "MDI", "activityStartDate": FUTURE})
    assert [(line.label, line.value) for line in lines] == [
        ("Prison code", "MDI"),
        ("Course activity ID", ""),
        ("Activity start date", FUTURE),
    ]
    assert not allocations.TYPE.has_failures_page
    assert syscon.get("/allocations-migration/failures/").status_code == 404
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert tomorrow > timezone.localdate().isoformat()


# -- The sandbox


def test_allocation_ids_are_active_on_a_day_and_filtered_by_activity(sb, system):
    url = f"{NOMIS}/allocations/ids"
    counted = get(sb, url, system, prisonId="MDI", size=1).json()
    assert counted["size"] == 1 and len(counted["content"]) == 1
    # 36 activities with schedule rules, 10 to 14 allocations each (12 on average).
    assert 36 * 10 <= counted["totalElements"] <= 36 * 14
    one = get(sb, url, system, prisonId="MDI", courseActivityId=11001, size=100).json()
    assert [a["allocationId"] for a in one["content"]] == [1100100 + k for k in range(1, 12)]
    # One allocation of 11003 ends in 30 days; the default activeOnDate is tomorrow.
    assert (
        get(sb, url, system, prisonId="MDI", courseActivityId=11003).json()["totalElements"] == 13
    )
    later = get(sb, url, system, prisonId="MDI", courseActivityId=11003, activeOnDate=day(60))
    assert later.json()["totalElements"] == 12
    # Activities without schedule rules never reach DPS, so NOMIS leaves out their allocations.
    assert get(sb, url, system, prisonId="MDI", courseActivityId=11007).json()["totalElements"] == 0
    unknown = get(sb, url, system, prisonId="XYZ")
    assert unknown.status_code == 400
    assert unknown.json()["userMessage"] == "Bad request: Prison with id=XYZ does not exist"


def test_allocations_of_a_migrated_activity_complete(sb, system):
    run_activities(sb, system, courseActivityId=11001, activityStartDate=day(2))
    response = start(
        sb,
        system,
        "allocations",
        {"prisonId": "MDI", "courseActivityId": "11001", "activityStartDate": day(2)},
    )
    assert response.status_code == 202, response.text
    context = response.json()
    assert context["type"] == "ALLOCATIONS" and context["estimatedCount"] == 11
    assert context["body"] == {
        "prisonId": "MDI",
        "courseActivityId": 11001,
        "activityStartDate": day(2),
    }
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == 11 and row["recordsFailed"] == 0
    page = get(
        sb,
        f"{MAPPING}/mapping/allocations/migration/migration-id/{quote(migration_id)}",
        system,
        size=1,
    ).json()
    assert page["totalElements"] == 11
    assert set(page["content"][0]) >= {"nomisAllocationId", "activityAllocationId", "activityId"}
    assert len(events(sb, "activity-allocation-migration-entity-migrated")) == 11
    # The start estimate uses activeOnDate = activityStartDate.
    later = start(
        sb,
        system,
        "allocations",
        {"prisonId": "MDI", "courseActivityId": 11003, "activityStartDate": day(60)},
    )
    assert later.json()["estimatedCount"] == 12
    sb.wait_for_status(later.json()["migrationId"], "COMPLETED")
    # A run again over 11001 skips what is mapped.
    again = start(sb, system, "allocations", {"prisonId": "MDI", "courseActivityId": 11001})
    sb.wait_for_status(again.json()["migrationId"], "COMPLETED")
    skipped = [
        line
        for line in sb.telemetry()["logs"]
        if line["message"].startswith("Will not migrate the allocationId=11001")
    ]
    assert len(skipped) == 11


def test_allocations_of_an_unmigrated_activity_are_dead_lettered(sb, system):
    context = start(sb, system, "allocations", {"prisonId": "MDI", "courseActivityId": 11002})
    assert context.status_code == 202
    migration_id = context.json()["migrationId"]
    assert context.json()["estimatedCount"] == 12
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == 0 and row["recordsFailed"] == 12
    dlq = get(sb, f"{API}/migrate/dead-letter-queue/ALLOCATIONS", system).json()
    assert dlq["messagesFoundCount"] == 12
    bodies = [m["body"]["context"]["body"] for m in dlq["messages"]]
    assert sorted(b["allocationId"] for b in bodies) == [1100200 + k for k in range(1, 13)]
    assert {m["body"]["context"]["type"] for m in dlq["messages"]} == {"ALLOCATIONS"}
    failed = events(sb, "activity-allocation-migration-entity-failed")
    assert failed and "No DPS activity" in failed[0]["properties"]["reason"]
    sent = events(sb, "prisoner-from-nomis-migration-allocations-sent-to-dlq")
    assert len(sent) == 12 and sent[0]["properties"]["dlqName"] == "migration_allocations_dlq"
    assert get(sb, f"{API}/migrate/dead-letter-queue/ACTIVITIES/count", system).json() == 0
    bad = start(sb, system, "allocations", {"prisonId": "XYZ"})
    assert bad.status_code == 400
    assert bad.json()["userMessage"].startswith("Bad Request: Bad request: Prison with id=XYZ")


def test_the_empty_scenario_has_no_allocations(sb):
    # Split from test_the_three_types_have_queues_summaries_and_no_data_in_empty.
    assert 1500 <= sb.control("GET", "state")["allocations"] <= 2200
    assert sb.reset("empty")["allocations"] == 0


# -- The dashboard and the sandbox, through the pages


@pytest.mark.django_db(transaction=True)
def test_allocations_follow_their_activities_run(browser_as, sandbox) -> None:
    browser = browser_as("ACTIVITIES_USER")
    activities_form = run_of("activities").form
    start_date = activities_form["activityStartDate"]
    activities = run_to_completion(
        browser, sandbox, "/activities-migration", "Activities", activities_form
    )
    history = browser.get("/activities-migration/").text
    link = re.search(r'href="(/allocations-migration/start\?[^"]+)"', history)
    assert link, "no Migrate allocations link"
    form = browser.get(link.group(1).replace("&amp;", "&"))
    assert f'value="{start_date}"' in form.text
    allocations = run_to_completion(
        browser,
        sandbox,
        "/allocations-migration",
        "Allocations",
        {"prisonId": "LEI", "courseActivityId": "12001", "activityStartDate": start_date},
    )
    details = browser.get(f"/allocations-migration/{allocations}/").text
    migrated = int(qa(details, "migratedCount").replace(",", ""))
    assert migrated == int(qa(details, "estimatedCount").replace(",", "")) > 0
    assert activities != allocations
