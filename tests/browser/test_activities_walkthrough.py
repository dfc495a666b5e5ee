"""Activities in Chromium as ACTIVITIES_USER: the preview's checks and CSV blocks, "Activate
prison", a run to COMPLETED and "End NOMIS activities", with axe finding no WCAG 2.2 AA violation
on any page visited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.walk import SERVICE, Walk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREVIEW = "Start a new activities migration - preview"
START = "Start a new activities migration"


@pytest.fixture(autouse=True)
def _quick(quick_polling: None) -> None:
    """The details page polls every second."""


def test_activities_from_the_preview_checks_to_ended_nomis_activities(
    page: Any, dashboard: Any, sandbox: Any, sandbox_settings: Any
) -> None:
    today = timezone.localdate()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    walk = Walk(page)
    sign_in(page, dashboard, "ACTIVITIES_USER")
    walk.check(SERVICE)
    # Activities and allocations only: no appointments, visits or other tiles for this role.
    assert page.locator("[data-qa=tile] a").all_inner_texts() == [
        "Activities migration",
        "Allocations migration",
    ]
    page.click("a[href='/activities-migration/']")
    walk.check("Activities migrations")
    assert page.locator("[data-qa=no-migrations]").count() == 1

    # The start form starts the activities tomorrow; a bad prison code is a GOV.UK error.
    page.click("[data-qa=start-new-migration]")
    walk.check(START)
    assert page.input_value("#activityStartDate") == tomorrow
    page.fill("#prisonId", "M1")
    page.click("[data-qa=continue-button]")
    walk.check(START, error=True)
    summary = page.locator(".govuk-error-summary")
    assert "Prison code must be 3 letters, like MDI" in summary.inner_text()
    assert page.input_value("#prisonId") == "M1"

    # MDI: its ACTIVITY switch is off in NOMIS, DPS is not rolled out there, and three checks
    # find rows, each shown as a copyable CSV block.
    page.fill("#prisonId", "mdi")
    page.click("[data-qa=continue-button]")
    walk.check(PREVIEW)
    assert walk.qa("estimate") == "Estimated number of activities to be migrated: 40"
    assert walk.qa("prison-code") == "MDI"
    assert page.locator("[data-qa=check-errors]").count() == 0
    assert walk.qa("nomis-switch-off") == "NOMIS feature switch not turned on for MDI."
    assert walk.qa("dps-switch-off") == "DPS feature switch not turned on for MDI."
    assert walk.qa("incentive-levels") == "Active incentive levels for MDI: BAS, STD, ENH."
    blocks = {
        "nomisSuspendedAllocations": "Activity Description, Activity ID, Prisoner Number,",
        "nomisAllocationsMissingPayBands": (
            "Activity Description, Activity ID, Prisoner Number, Incentive Level,"
        ),
        "nomisPayRatesUnknownIncentive": (
            "Activity Description, Activity ID, Pay Band Code, Incentive Level,"
        ),
        "nomisActivitiesWithoutScheduleRules": "Activity Description, Activity ID,",
    }
    for block, header in blocks.items():
        lines = page.input_value(f"[data-qa={block}]").splitlines()
        assert lines[0] == header, block
        assert len(lines) > 1, block
    assert len(page.input_value("[data-qa=nomisSuspendedAllocations]").splitlines()) == 4
    assert page.locator("label[for=nomisSuspendedAllocations]").inner_text() == (
        "Found suspended allocations in NOMIS for prison MDI."
    )

    # "Activate prison" turns the NOMIS switch on; the preview's checks run again without it.
    page.click("[data-qa=activate-prison-button]")
    page.wait_for_url("**/activities-migration/start/preview")
    walk.check(PREVIEW)
    assert "NOMIS feature switch turned on for MDI." in walk.qa("flash")
    assert page.locator("[data-qa=nomis-switch-off]").count() == 0
    assert page.locator("[data-qa=activate-prison-button]").count() == 0
    assert walk.qa("dps-switch-off") == "DPS feature switch not turned on for MDI."
    assert page.locator("[data-qa=nomisSuspendedAllocations]").count() == 1

    # The whole of MDI (40 course activities, 4 without schedule rules, so 36 migrated), held
    # STARTED a moment so the details page polls its figures.
    sandbox.update_settings(first_check_delay_s=3.0)
    page.click("[data-qa=start-migration-button]")
    page.wait_for_url("**/start/confirmation")
    walk.check("Activities migration started")
    assert (
        "Activities migration has successfully started" in page.locator(".govuk-panel").inner_text()
    )
    assert walk.qa("estimatedCount") == "40"
    migration_id = walk.qa("migration-id")

    page.click("[data-qa=view-status-link]")
    page.wait_for_url(f"**/activities-migration/{migration_id}/")
    walk.check("Activities migration details")
    assert walk.qa("status") == "STARTED"
    expect(page.locator("[data-qa=status]")).to_have_text("COMPLETED", timeout=45_000)
    assert walk.fragments, "the figures were not refreshed by migration-progress.js"
    assert walk.qa("migratedCount") == "36"
    assert walk.qa("failedCount") == "0"
    assert f"Activity start date: {tomorrow}" in walk.qa("filter")

    # Back on the list: the completed run offers "End NOMIS activities", which asks first.
    page.click("text=Back to activities migrations")
    page.wait_for_url("**/activities-migration/")
    walk.check("Activities migrations")
    row = page.locator("[data-qa=migration-row]", has_text=migration_id)
    assert row.locator("[data-qa=status]").inner_text() == "COMPLETED"
    assert row.locator("[data-qa=move-start-date-link]").count() == 0
    row.locator("[data-qa=end-activities-link]").click()
    page.wait_for_url(f"**/{migration_id}/end-activities")
    walk.check("End the NOMIS activities of this migration?")
    assert walk.qa("migration-id") == migration_id
    assert f"({today.isoformat()})" in walk.qa("end-date")
    page.click("[data-qa=confirm-end-activities-button]")
    page.wait_for_url("**/activities-migration/")
    walk.check("Activities migrations")
    assert (
        f"OK: the NOMIS activities of migration {migration_id} end on {today:%-d %B %Y}."
        in walk.qa("flash")
    )
    row = page.locator("[data-qa=migration-row]", has_text=migration_id)
    assert row.locator("[data-qa=end-activities-link]").count() == 0
    # A whole prison starting tomorrow, now ended in NOMIS: its start date may be moved.
    assert row.locator("[data-qa=move-start-date-link]").count() == 1
    assert row.locator("[data-qa=migrate-allocations-link]").count() == 1

    row.locator("[data-qa=move-start-date-link]").click()
    page.wait_for_url(f"**/{migration_id}/move-start-date")
    walk.check("Move activity start date")
    assert f"NOMIS activity end date: {today.isoformat()}" in page.locator("main").inner_text()
    assert page.locator("[data-qa=move-start-date-button]").count() == 1
