"""Appointments in Chromium as APPOINTMENTS_USER: a preview of two prisons, one with its NOMIS
switch off and "Activate prison", the counts CSV block, a run to COMPLETED and its failures, with
axe finding no WCAG 2.2 AA violation on any page visited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.walk import SERVICE, Walk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREVIEW = "Start a new appointments migration - preview"
START = "Start a new appointments migration"


@pytest.fixture(autouse=True)
def _quick(quick_polling: None) -> None:
    """The details page polls every second."""


def test_appointments_from_activating_a_prison_to_completed_with_failures(
    page: Any, dashboard: Any, sandbox: Any, sandbox_settings: Any
) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    walk = Walk(page)
    sign_in(page, dashboard, "APPOINTMENTS_USER")
    walk.check(SERVICE)
    # Only its own type: no activities, allocations or visits tile for this role.
    assert page.locator("[data-qa=tile] a").all_inner_texts() == ["Appointments migration"]
    page.click("a[href='/appointments-migration/']")
    walk.check("Appointments migrations")
    assert page.locator("[data-qa=no-migrations]").count() == 1

    # A malformed prison code is a GOV.UK error, and nothing is previewed.
    page.click("[data-qa=start-new-migration]")
    walk.check(START)
    page.fill("#prisonIds", "BXI, L1")
    page.fill("#fromDate", tomorrow)
    page.click("[data-qa=continue-button]")
    walk.check(START, error=True)
    assert (
        "Prison codes must be 3 letters each, like HEI, WWI"
        in page.locator(".govuk-error-summary").inner_text()
    )

    # BXI's APPOINTMENTS switch is off in NOMIS, LEI's on: one line and one button, for BXI.
    page.fill("#prisonIds", "bxi, LEI")
    page.click("[data-qa=continue-button]")
    walk.check(PREVIEW)
    assert walk.qa("estimate") == "Estimated number of appointments to be migrated: 900"
    assert walk.qa("prison-codes") == "BXI, LEI"
    assert walk.qa("fromDate") == tomorrow
    assert page.locator(".govuk-error-summary").count() == 0
    assert walk.qa("nomis-switch-off-BXI") == "NOMIS feature switch not turned on for BXI."
    assert page.locator("[data-qa=nomis-switch-off-LEI]").count() == 0
    assert page.locator("[data-qa=activate-prison-button-LEI]").count() == 0
    assert page.locator("label[for=nomisAppointmentCounts]").inner_text() == (
        "Summarised appointment counts for prisons BXI, LEI."
    )
    counts = page.input_value("[data-qa=nomisAppointmentCounts]").splitlines()
    assert counts[0] == "Prison, Event Sub Type, Future appointment?, Count,"
    assert {line.split(", ")[0] for line in counts[1:]} == {"BXI", "LEI"}

    page.click("[data-qa=activate-prison-button-BXI]")
    page.wait_for_url("**/appointments-migration/start/preview")
    walk.check(PREVIEW)
    assert "NOMIS feature switch turned on for BXI." in walk.qa("flash")
    assert page.locator("[data-qa=prison-checks]").count() == 0
    assert page.locator("[data-qa=activate-prison-button-BXI]").count() == 0
    assert walk.qa("estimate") == "Estimated number of appointments to be migrated: 900"

    # 900 appointments, two of which DPS rejects (event 702 of each prison), held STARTED a
    # moment so the details page polls its figures.
    sandbox.update_settings(first_check_delay_s=3.0)
    page.click("[data-qa=start-migration-button]")
    page.wait_for_url("**/start/confirmation")
    walk.check("Appointments migration started")
    assert (
        "Appointments migration has successfully started"
        in page.locator(".govuk-panel").inner_text()
    )
    assert walk.qa("estimatedCount") == "900"
    migration_id = walk.qa("migration-id")

    page.click("[data-qa=view-status-link]")
    page.wait_for_url(f"**/appointments-migration/{migration_id}/")
    walk.check("Appointments migration details")
    assert walk.qa("status") == "STARTED"
    expect(page.locator("[data-qa=status]")).to_have_text("COMPLETED", timeout=45_000)
    assert walk.fragments, "the figures were not refreshed by migration-progress.js"
    assert walk.qa("migratedCount") == "894"
    assert walk.qa("failedCount") == "2"

    page.click("[data-qa=failures-link]")
    page.wait_for_url("**/appointments-migration/failures/?migrationId=*")
    walk.check("Appointments migration failures")
    assert migration_id in walk.qa("migration-filter")
    assert page.locator("[data-qa=failures] th").nth(1).inner_text() == "Event ID"
    ids = page.locator("[data-qa=entity-id]").all_inner_texts()
    assert sorted(ids) == ["510702", "520702"]

    page.click("text=Back to appointments migrations")
    page.wait_for_url("**/appointments-migration/")
    walk.check("Appointments migrations")
    row = page.locator("[data-qa=migration-row]", has_text=migration_id)
    assert row.locator("[data-qa=status]").inner_text() == "COMPLETED"
