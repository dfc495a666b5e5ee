"""What is particular to Allocations: pre-filled from an activities run, the start date protected
for the whole flow, and an estimate of the allocations active on that date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.utils import timezone

from migrations_ui.types import allocations
from migrations_ui.types.allocations.forms import AllocationsMigrationForm
from tests.factories import InProgressFactory
from tests.unit.conftest_visits import migration_url, nomis_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

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
        "Enter a prison ID.",
        "The Course Activity ID must be an integer.",
        "Enter a date.",
    ]
    today = timezone.localdate().isoformat()
    past = AllocationsMigrationForm(QueryDict(f"prisonId=MDI&activityStartDate={today}"))
    assert past.errors["activityStartDate"] == ["The activity start date must be after today."]


def test_a_plain_start_is_empty_and_the_date_editable(syscon) -> None:
    page = text(syscon.get("/allocations-migration/start"))
    assert "Enter the filter details for the Allocations entities you want to migrate" in page
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
        "The activity start date must be the Activities migration&#39;s start date, 2099-01-02."
        in page
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
    assert "start date, 2099-01-02." in text(again)

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
        ("Single course activity to migrate", ""),
        ("The date activities will start in DPS", FUTURE),
    ]
    assert not allocations.TYPE.has_failures_page
    assert syscon.get("/allocations-migration/failures/").status_code == 404
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert tomorrow > timezone.localdate().isoformat()
