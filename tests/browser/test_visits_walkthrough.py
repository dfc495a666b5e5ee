"""The seed's walk-through in Chromium as VISITS_USER: from the home tile to a completed migration
and to a cancelled one, with axe finding no WCAG 2.2 AA violation on any page visited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_axe_violations
from tests.browser.walk import SERVICE, Walk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def plain_static_names(settings: Any) -> None:
    """Serve static files under their plain names (the live server's handler uses the finders)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _quick(quick_polling: None) -> None:
    """The details page polls every second."""


def start(walk: Walk, *, prisons: str, social: bool, official: bool, before: str = "") -> str:
    """From the history list through the start form and preview to the confirmation."""
    page = walk.page
    page.click("[data-qa=start-new-migration]")
    walk.check("Start a new visits migration")
    if social:
        page.check("input[name=visitTypes][value=SCON]")
    if official:
        page.check("input[name=visitTypes][value=OFFI]")
    page.fill("#prisonIds", prisons)
    if before:
        page.fill("#toDateTime", before)
    page.click("[data-qa=continue-button]")
    walk.check("Start a new visits migration - preview")
    page.click("[data-qa=start-migration-button]")
    page.wait_for_url("**/start/confirmation")
    walk.check("Visits migration started")
    assert "Visits migration has successfully started" in page.locator(".govuk-panel").inner_text()
    return walk.qa("migration-id")


def test_the_seed_walk_through_to_a_completed_and_a_cancelled_migration(
    page: Any, dashboard: Any, sandbox: Any, sandbox_settings: Any
) -> None:
    walk = Walk(page)
    sign_in(page, dashboard)
    walk.check(SERVICE)

    # The home tile leads to the (empty) history list.
    sandbox.reset("empty")
    page.click("a[href='/visits-migration/']")
    walk.check("Visits migrations")
    assert walk.qa("no-migrations") == "No migration records found"
    sandbox.reset("default")

    # An empty start form explains what is missing, in a GOV.UK error summary.
    page.click("[data-qa=start-new-migration]")
    page.click("[data-qa=continue-button]")
    walk.check("Start a new visits migration", error=True)
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter the prison codes" in summary
    assert "Select the visit types" in summary

    # A preview with an unmapped room, then "Change" back to the form with the values kept.
    page.check("input[name=visitTypes][value=SCON]")
    page.fill("#prisonIds", "mdi")
    page.click("[data-qa=continue-button]")
    walk.check("Start a new visits migration - preview")
    assert "MDI-VISITS-FAMILY ROOM" in walk.qa("unmapped-rooms")
    assert re.match(r"Estimated number of visits to be migrated: [\d,]+$", walk.qa("estimate"))
    page.click("a[href='/visits-migration/amend#prisonIds']")
    assert page.input_value("#prisonIds") == "mdi"
    assert page.is_checked("input[name=visitTypes][value=SCON]")
    page.goto(f"{dashboard.url}/visits-migration/")

    # Start -> confirmation -> details, which update by themselves until COMPLETED. Completion
    # is held back a few seconds so the details page is seen while the migration runs.
    sandbox.update_settings(first_check_delay_s=4.0)
    completed_id = start(walk, prisons="HEI", social=True, official=False, before="2022-01-01")
    page.click("[data-qa=view-status-link]")
    walk.check("Visits migration details")
    # Polled by migration-progress.js: no reload happens here.
    expect(page.locator("[data-qa=status]")).to_have_text("COMPLETED", timeout=30_000)
    assert walk.fragments, "the figures were not refreshed by migration-progress.js"
    assert page.url.endswith(f"/visits-migration/{completed_id}/")
    assert walk.qa("migratedCount") == walk.qa("estimatedCount")
    assert walk.qa("ended") != "-"
    assert page.locator("[data-qa=cancel-migration-button]").count() == 0
    assert page.locator("[data-qa=refresh-counts-button]").count() == 1
    assert_no_axe_violations(page)
    page.click("text=What do all the numbers mean?")
    assert "dead letter queue" in page.locator(".govuk-details__text").first.inner_text()

    page.click("text=Back to visits migrations")
    walk.check("Visits migrations")
    assert completed_id in page.locator("[data-qa=migrations]").inner_text()

    # A slower run, cancelled after confirmation; the page follows it to CANCELLED by itself.
    # Cancelling is held at CANCELLED_REQUESTED for a few seconds, as it is upstream for minutes.
    sandbox.update_settings(visit_delay_ms=20.0, cancel_purge_total_s=3.0)
    walk.fragments.clear()
    cancelled_id = start(walk, prisons="MDI, BXI", social=True, official=True)
    page.click("[data-qa=view-status-link]")
    walk.check("Visits migration details")
    assert walk.qa("status") == "STARTED"
    page.click("[data-qa=cancel-migration-button]")
    walk.check("Are you sure you want to cancel this visits migration?")
    page.click("[data-qa=confirm-cancel-button]")
    page.wait_for_url(f"**/visits-migration/{cancelled_id}/")
    walk.check("Visits migration details")
    assert "Cancellation requested" in walk.qa("flash")
    # Polled by migration-progress.js: no reload happens here.
    expect(page.locator("[data-qa=status]")).to_have_text("CANCELLED", timeout=30_000)
    assert walk.fragments, "the figures were not refreshed by migration-progress.js"
    assert walk.qa("ended") != "-"
    assert page.locator("[data-qa=cancel-migration-button]").count() == 0
    assert_no_axe_violations(page)

    # Failures (the unmapped-room leftovers of the scenario, if any) and the purge confirmation.
    page.goto(f"{dashboard.url}/visits-migration/failures/")
    walk.check("Visits migration failures")
    page.goto(f"{dashboard.url}/visits-migration/failures/delete?from=failures")
    walk.check("Are you sure you want to delete the visits failure messages?")
    page.click("[data-qa=confirm-delete-failures-button]")
    page.wait_for_url("**/visits-migration/failures/")
    walk.check("Visits migration failures")

    history = page.goto(f"{dashboard.url}/visits-migration/")
    assert history.status == 200
    rows = page.locator("[data-qa=migrations]").inner_text()
    assert completed_id in rows and cancelled_id in rows
    # Every page visited had its own title.
    assert len(set(walk.titles)) >= 9
