"""Court Sentencing in Chromium as SENTENCING_USER: from the home tile to a COMPLETED migration,
with its failures, and axe finding no WCAG 2.2 AA violation on any page visited."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.walk import SERVICE, Walk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick(quick_polling: None) -> None:
    """The details page polls every second."""


def test_court_sentencing_from_the_home_tile_to_completed(
    page: Any, dashboard: Any, sandbox: Any, sandbox_settings: Any
) -> None:
    walk = Walk(page)
    sign_in(page, dashboard, "SENTENCING_USER")
    walk.check(SERVICE)
    # Only its own type: no visits or visit slots tile for this role.
    assert page.locator("[data-qa=tile] a").all_inner_texts() == ["Court sentencing migration"]
    page.click("a[href='/court-sentencing-migration/']")
    walk.check("Court sentencing migrations")

    # A malformed prisoner number is a GOV.UK error, and nothing is sent upstream.
    page.click("[data-qa=start-new-migration]")
    walk.check("Start a new court sentencing migration")
    page.fill("#offenderNo", "A1234BC, 12345")
    page.click("[data-qa=continue-button]")
    walk.check("Start a new court sentencing migration", error=True)
    assert (
        "Prisoner numbers must each be a letter, 4 numbers and 2 letters"
        in page.locator(".govuk-error-summary").inner_text()
    )

    # Three prisoners, two of whom the sandbox fails (numbers ending ZZ), held STARTED a moment.
    sandbox.update_settings(first_check_delay_s=4.0)
    known = requests.get(
        f"{sandbox.url}/nomis-prisoner-api/prisoners/ids/all",
        params={"size": 1},
        headers={"Authorization": f"Bearer {sandbox.system_token()}"},
        timeout=10,
    ).json()["content"][0]["offenderNo"]
    page.fill("#offenderNo", f"g2718zz {known.lower()}, A1404ZZ")
    page.click("[data-qa=continue-button]")
    walk.check("Start a new court sentencing migration - preview")
    assert walk.qa("estimate") == "Estimated number of prisoners to be migrated: 3"
    assert walk.qa("offenderNo") == f"G2718ZZ, {known}, A1404ZZ"
    page.click("[data-qa=start-migration-button]")
    page.wait_for_url("**/start/confirmation")
    walk.check("Court sentencing migration started")
    migration_id = walk.qa("migration-id")

    page.click("[data-qa=view-status-link]")
    walk.check("Court sentencing migration details")
    expect(page.locator("[data-qa=status]")).to_have_text("COMPLETED", timeout=60_000)
    assert walk.fragments, "the figures were not refreshed by migration-progress.js"
    assert walk.qa("failedCount") == "2"
    assert walk.qa("migratedCount") == "1"

    page.click("[data-qa=failures-link]")
    walk.check("Court sentencing migration failures")
    ids = page.locator("[data-qa=entity-id]").all_inner_texts()
    assert sorted(ids) == ["A1404ZZ", "G2718ZZ"]
    page.goto(f"{dashboard.url}/court-sentencing-migration/")
    walk.check("Court sentencing migrations")
    assert re.search(migration_id, page.locator("[data-qa=migrations]").inner_text())
