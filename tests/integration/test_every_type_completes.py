"""Every migration type the dashboard offers, started through its pages against the sandbox and
followed to COMPLETED, as a user holding its role would (visits has its own walk-through)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from migrations_ui import types
from migrations_ui.models import AuditEvent
from tests.integration.conftest_visits import qa

pytest_plugins = ["tests.integration.conftest_visits"]
pytestmark = [pytest.mark.django_db(transaction=True)]

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Run:
    user: str
    form: dict[str, Any] = field(default_factory=dict)
    # What the sandbox's data gives for that filter (sandbox/README.md).
    migrated: int = 0
    failed: int = 0


RUNS = {
    "visit_slots": Run("SYSCON_USER", {}, migrated=84),
    "court_sentencing": Run("SENTENCING_USER", {"offenderNo": "B7718YJ, A1404ZZ"}, 1, 1),
    "core_person": Run("SYSCON_USER", {}, migrated=1995, failed=5),
    "official_visits": Run(
        "SYSCON_USER", {"prisonIds": "hei", "fromDate": "2024-01-01", "toDate": "2024-03-31"}, 33
    ),
    "prison_balance": Run("SYSCON_USER", {"prisonId": "mdi"}, migrated=1),
    "prisoner_balance": Run("SYSCON_USER", {"prisonId": "LEI"}, migrated=300),
    "taps": Run("SYSCON_USER", {"prisonerNumber": "b7718yj"}, migrated=1),
    "activities": Run(
        "ACTIVITIES_USER",
        {"prisonId": "lei", "activityStartDate": TOMORROW, "courseActivityId": "12001"},
        migrated=1,
    ),
    "appointments": Run(
        "APPOINTMENTS_USER", {"prisonIds": "LEI", "fromDate": TOMORROW}, migrated=447, failed=1
    ),
}
# Allocations need an activities run first: test_allocations_follow_their_activities_run.
TYPES = [t for t in types.REGISTERED if t.slug in RUNS]


def test_every_type_but_visits_and_allocations_has_a_run_here() -> None:
    assert {t.slug for t in types.REGISTERED} - set(RUNS) <= {"visits", "allocations"}


def run_to_completion(browser: Any, sandbox: Any, prefix: str, name: str, form: dict) -> str:
    preview = browser.start_preview(prefix, **form)
    assert preview.url.endswith(f"{prefix}/start/preview"), preview.text[:800]
    confirmation = browser.start(preview, prefix)
    assert f"{name} migration has successfully started" in confirmation.text, confirmation.text[
        :800
    ]
    migration_id = qa(confirmation.text, "migration-id")
    sandbox.wait_for_status(migration_id, "COMPLETED", timeout=60)
    return migration_id


@pytest.mark.parametrize("t", TYPES, ids=lambda t: t.slug)
def test_each_type_runs_from_its_start_form_to_completed(browser_as, sandbox, t) -> None:
    run = RUNS[t.slug]
    browser = browser_as(run.user)
    prefix = f"/{t.url_prefix}"
    assert f'href="{prefix}/"' in browser.get("/").text
    migration_id = run_to_completion(browser, sandbox, prefix, t.name, run.form)
    details = browser.get(f"{prefix}/{migration_id}/").text
    assert qa(details, "status") == "COMPLETED"
    assert (qa(details, "migratedCount"), qa(details, "failedCount")) == (
        f"{run.migrated:,}",
        f"{run.failed:,}",
    )
    assert migration_id in browser.get(f"{prefix}/").text
    assert AuditEvent.objects.filter(
        action="START_MIGRATION",
        outcome="SUCCEEDED",
        subject_id=f"{t.upstream_type} {migration_id}",
    ).exists()


def test_allocations_follow_their_activities_run(browser_as, sandbox) -> None:
    browser = browser_as("ACTIVITIES_USER")
    activities = run_to_completion(
        browser, sandbox, "/activities-migration", "Activities", RUNS["activities"].form
    )
    history = browser.get("/activities-migration/").text
    link = re.search(r'href="(/allocations-migration/start\?[^"]+)"', history)
    assert link, "no Migrate allocations link"
    form = browser.get(link.group(1).replace("&amp;", "&"))
    assert f'value="{TOMORROW}"' in form.text
    allocations = run_to_completion(
        browser,
        sandbox,
        "/allocations-migration",
        "Allocations",
        {"prisonId": "LEI", "courseActivityId": "12001", "activityStartDate": TOMORROW},
    )
    details = browser.get(f"/allocations-migration/{allocations}/").text
    migrated = int(qa(details, "migratedCount").replace(",", ""))
    assert migrated == int(qa(details, "estimatedCount").replace(",", "")) > 0
    assert activities != allocations
