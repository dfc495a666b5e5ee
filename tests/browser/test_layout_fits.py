"""Admin pages fit the screen, in Chromium (issue 28, item 3): at 320 px nothing scrolls the page
sideways (WCAG 1.4.10): a wide table scrolls in its own focusable region instead; and at
1280 px the audit log shows every column. axe finds no WCAG 2.2 AA violation on any of them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import assert_no_axe_violations
from tests.browser.walk import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def started_with_failures(page: Any, dashboard: Any, sandbox: Any) -> str:
    """A visits run of MDI, whose unmapped room sends visits to the dead letter queue."""
    page.goto(f"{dashboard.url}/visits-migration/start")
    page.check("input[name=visitTypes][value=SCON]")
    page.fill("#prisonIds", "MDI")
    page.click("[data-qa=continue-button]")
    page.click("[data-qa=start-migration-button]")
    page.wait_for_url("**/start/confirmation")
    migration_id = page.locator("[data-qa=migration-id]").inner_text().strip()
    sandbox.wait_for_status(migration_id, "COMPLETED", timeout=90)
    return migration_id


def test_admin_pages_reflow_at_320_px_and_the_audit_log_fits_1280(
    page: Any, dashboard: Any, sandbox: Any
) -> None:
    sign_in(page, dashboard, "SYSCON_USER")
    migration_id = started_with_failures(page, dashboard, sandbox)

    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{dashboard.url}/visits-migration/start/confirmation?migrationId={migration_id}")
    for path in (
        "/",
        "/visits-migration/",
        "/visits-migration/failures/",
        f"/visits-migration/failures/?migrationId={migration_id}",
        f"/visits-migration/{migration_id}/",
        "/audit/",
        "/visits-room-mappings/?prisonId=MDI&futureVisits=true",
        "/visits-room-mappings/?prisonId=MDI",
    ):
        page.goto(f"{dashboard.url}{path}")
        assert page_width(page) <= 320, path
        assert_no_axe_violations(page)
    # The failures table is wider than the screen: it scrolls in its own region.
    page.goto(f"{dashboard.url}/visits-migration/failures/")
    region = page.locator(".app-table-scroll[role=region][tabindex='0']")
    assert region.count() == 1 and region.get_attribute("aria-label") == "Failures"
    assert page.locator("[data-qa=failure-row]").count() > 0
    # The migration id is one unbroken line wherever it is shown.
    page.goto(f"{dashboard.url}/visits-migration/")
    row_id = page.locator("[data-qa=migration-id]", has_text=migration_id)
    assert row_id.evaluate("e => e.getClientRects().length") == 1
    assert row_id.evaluate("e => e.getBoundingClientRect().height") < 40

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{dashboard.url}/audit/")
    outcome = page.locator("[data-qa=audit-events] th", has_text="Outcome")
    box = outcome.bounding_box()
    assert box and box["x"] + box["width"] <= 1280
    region = page.locator(".app-table-scroll")
    assert region.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert_no_axe_violations(page)
