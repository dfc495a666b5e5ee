"""The layout in a real browser: scripts run under the CSP, and axe finds no WCAG 2.2 AA issue."""

from __future__ import annotations

import pytest

from tests.browser.axe import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_not_found_page_is_accessible_and_scripts_run_under_the_csp(live_server, page) -> None:
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    response = page.goto(f"{live_server.url}/no-such-page")
    assert response.status == 404
    assert page.title() == "Page not found - NOMIS Migration and Synchronisation Dashboard"
    # GOV.UK Frontend marks the body once its JavaScript has initialised.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    assert_no_axe_violations(page)
