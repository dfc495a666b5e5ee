"""A walk through the dashboard in Chromium: each page visited gets the same checks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from playwright.sync_api import expect

from tests.browser.axe import assert_no_axe_violations

PASSWORD = "password123456"
SERVICE = "NOMIS Migration and Synchronisation Dashboard"


def csp_errors_of(page: Any) -> list[str]:
    """The Content Security Policy errors the page reports from now on, as they come."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    return errors


class Walk:
    """A page plus the checks every visited page gets: its title, one h1, axe, no CSP errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.titles: list[str] = []
        self.csp_errors = csp_errors_of(page)
        self.fragments: list[str] = []
        page.on("request", lambda r: self.fragments.append(r.url) if "/progress" in r.url else None)

    def check(self, title: str, *, error: bool = False) -> None:
        # A click returns once it is dispatched, not once the page it leads to has loaded: on a
        # busy machine the title read straight after was still the previous page's. Wait for
        # the new page's title, then for it to finish loading, before checking the rest.
        # Home, the service's own page, is titled with the service name alone.
        full = title if title == SERVICE else f"{title} - {SERVICE}"
        expect(self.page).to_have_title(f"{'Error: ' if error else ''}{full}", timeout=15_000)
        self.page.wait_for_load_state()
        assert self.page.locator("h1").count() == 1
        assert_no_axe_violations(self.page)
        assert not self.csp_errors, self.csp_errors
        self.titles.append(title)

    def qa(self, name: str) -> str:
        return self.page.locator(f"[data-qa={name}]").first.inner_text().strip()


def sign_in(page: Any, dashboard: Any, username: str = "VISITS_USER") -> None:
    page.goto(f"{dashboard.url}/")
    assert page.url.startswith(settings.HMPPS_AUTH_EXTERNAL_URL)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}/")
