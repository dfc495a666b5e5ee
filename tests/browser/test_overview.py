"""The overview in Chromium (issue 29): reached from the header, its in-flight part refreshed
without reloading, progress bars, axe finding no WCAG 2.2 AA violation, reflow at 320 px and the
page without JavaScript.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.axe import assert_no_axe_violations
from tests.browser.walk import SERVICE, Walk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick(quick_polling: None) -> None:
    """The in-flight part polls every second."""


def start_upstream(sandbox: Any, start_path: str, body: dict[str, Any] | None) -> str:
    """Start a migration at the migration service itself, as another client would (M1)."""
    response = requests.post(
        f"{sandbox.url}/nomis-migration-api/migrate/{start_path}",
        json=body,
        headers={"Authorization": f"Bearer {sandbox.system_token('SYSCON_USER')}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return response.json()["migrationId"]


def test_the_overview_from_the_header_as_migrations_start(
    page: Any, browser: Any, dashboard: Any, sandbox: Any, sandbox_settings: Any
) -> None:
    sandbox.update_settings(visit_delay_ms=3000.0, workers=1)
    polled: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if "/overview/in-flight" in r.url else None)
    walk = Walk(page)
    sign_in(page, dashboard, "SYSCON_USER")
    walk.check(SERVICE)
    page.click("[data-qa=header-overview-link]")
    walk.check("What is happening now")
    expect(page.locator("[data-qa=none-in-flight]")).to_be_visible()
    assert page.locator("[data-qa=last-run]").count() == 11

    # Two migrations start elsewhere: they appear without the page being reloaded.
    page.evaluate("window.notReloaded = true")
    visits = start_upstream(sandbox, "visits", {"prisonIds": ["HEI"], "visitTypes": ["SCON"]})
    slots = start_upstream(sandbox, "visitslots", None)
    expect(page.locator("[data-qa=in-flight-row]")).to_have_count(2, timeout=15_000)
    assert page.evaluate("window.notReloaded") is True
    assert polled, "the in-flight part was not refreshed by migration-progress.js"
    cards = page.locator("[data-qa=in-flight-row]").all_inner_texts()
    assert any(f"Visits migration {visits}" in card for card in cards)
    assert any(f"Visit slots migration {slots}" in card for card in cards)
    bar = page.locator("[data-qa=progress-bar] svg").first
    expect(bar).to_have_attribute("aria-hidden", "true")
    assert "estimated" in page.locator("[data-qa=progress-text]").first.inner_text()
    assert_no_axe_violations(page)

    # Reloaded, every section has the two migrations. Reflow: at 320 CSS pixels nothing makes
    # the page scroll sideways.
    page.reload()
    walk.check("What is happening now")
    assert page.locator("[data-qa=last-run] .govuk-tag").count() == 2
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Each row links to its migration's details, which show the same bar.
    page.click(f"a[href='/visits-migration/{visits}/'][data-qa=details-link] >> nth=0")
    walk.check("Visits migration details")
    expect(page.locator("[data-qa=progress-bar]")).to_be_visible()


def test_the_overview_without_javascript(browser: Any, dashboard: Any, sandbox: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, dashboard, "SENTENCING_USER")
        start_upstream(sandbox, "court-sentencing", {})
        page.goto(f"{dashboard.url}/overview/")
        assert page.title().startswith("What is happening now")
        assert page.locator("[data-qa=last-run]").count() == 1
        # Without the script the page still has the figures, and a Refresh that reloads it.
        refresh = page.locator("[data-qa=refresh-button]")
        assert refresh.get_attribute("href") == "/overview/"
        refresh.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "What is happening now"
    finally:
        context.close()
