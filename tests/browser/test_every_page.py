"""Every page of every registered migration type, and the dashboard's other pages, in Chromium,
each held to the same four rules (issue 28, item 8):

- axe finds no WCAG 2.2 AA violation;
- at 320 px wide the page does not scroll sideways (WCAG 1.4.10 reflow);
- it has one h1, and its title is that h1 and the service name (home's is the service name
  alone), with "Error: " first when an error summary shows;
- an error summary takes the focus.

The types' pages are found from the registry, each type's start form from its test module's
`RUN` (or its `sample_form`) and its own pages from its `extra_urls`, so a new type is covered
without an edit here. Each test walks all its pages and then fails once, listing every
(page, rule) that failed, so one run shows everything that needs fixing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import URLPattern
from django.utils import timezone

from migrations_ui import types
from migrations_ui.types.base import MigrationType
from tests.browser.axe import axe_violations
from tests.browser.walk import SERVICE, csp_errors_of, sign_in
from tests.types import declared_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}
# What the start form is filled with to make every text field wrong (a code, a date, a number
# and a prisoner number all refuse it).
NOT_VALID = "!!"


# The innermost elements reaching past the viewport's right edge, or whose text overflows them
# (an unbroken word), to say what is too wide.
_WIDEST = """() => {
  const limit = document.documentElement.clientWidth
  const over = [...document.body.querySelectorAll('*')].filter(
    (e) => e.getBoundingClientRect().right > limit + 1
      || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'))
  const inner = over.filter((e) => !over.some((o) => o !== e && e.contains(o)))
  return inner.slice(0, 3).map((e) => {
    const name = e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
    return name + ' ' + Math.round(e.getBoundingClientRect().right) + ' px: '
      + JSON.stringify((e.innerText || '').trim().slice(0, 40))
  }).join('; ')
}"""


class PageRules:
    """Holds each page visited to the four rules, collecting what fails, named by page."""

    def __init__(self, page: Any, subject: str) -> None:
        self.page = page
        self.subject = subject
        self.failures: list[str] = []
        self.visited: list[str] = []
        self.csp_errors = csp_errors_of(page)
        page.set_viewport_size(WIDE)

    def visit(self, url: str, name: str) -> None:
        self.page.goto(url)
        self.check(name)

    def check(self, name: str) -> None:
        self.page.wait_for_load_state()
        self.visited.append(name)
        self.failures += [f"{self.subject} {name}: {problem}" for problem in self.problems()]

    def problems(self) -> list[str]:
        page = self.page
        found: list[str] = []
        h1 = page.locator("h1")
        if h1.count() != 1:
            found.append(f"{h1.count()} h1 elements, not one")
        summaries = [s for s in page.locator(".govuk-error-summary").all() if s.is_visible()]
        title = page.title()
        if urlparse(page.url).path == "/":
            expected = SERVICE
        else:
            heading = " ".join(h1.first.inner_text().split()) if h1.count() else ""
            expected = f"{'Error: ' if summaries else ''}{heading} - {SERVICE}"
        if title != expected:
            found.append(f"title {title!r}, not {expected!r}")
        if summaries and not page.evaluate(
            "() => !!document.activeElement"
            " && document.activeElement.matches('.govuk-error-summary')"
        ):
            found.append("the error summary does not take the focus")
        violations = axe_violations(page)
        if violations:
            found.append(f"axe: {'; '.join(violations)}")
        page.set_viewport_size(NARROW)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        wide = page.evaluate(_WIDEST) if width > NARROW["width"] else ""
        page.set_viewport_size(WIDE)
        if width > NARROW["width"]:
            found.append(f"scrolls sideways at 320 px ({width} px wide; {wide})")
        if self.csp_errors:
            found.append(f"CSP errors: {self.csp_errors}")
            self.csp_errors.clear()
        return found

    def assert_all_passed(self) -> None:
        assert not self.failures, (
            f"{len(self.failures)} failures on {len(self.visited)} pages "
            f"({', '.join(self.visited)}):\n" + "\n".join(self.failures)
        )


@pytest.fixture
def syscon(page: Any, dashboard: Any) -> Iterator[Any]:
    """The one signed-in page: SYSCON_USER sees every type and every admin page."""
    sign_in(page, dashboard, "SYSCON_USER")
    yield page


# -- Every type's pages


def _start_form(t: MigrationType) -> dict[str, Any]:
    """A start form known to give a preview: the type's lifecycle run's, else its sample."""
    run = declared_run(t.slug)
    if run is not None:
        return dict(run.form)
    return t.sample_form((timezone.localdate() + dt.timedelta(days=1)).isoformat())


def _fill(page: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = page.locator(f"[name='{name}']")
        if field.first.get_attribute("type") in ("checkbox", "radio"):
            chosen = value if isinstance(value, list) else str(value).split(",")
            for one in chosen:
                page.check(f"[name='{name}'][value='{one.strip()}']")
        else:
            field.fill(str(value))


def _start_migration(rules: PageRules, base: str, form: dict[str, Any], state: str) -> str:
    """Start form, preview and confirmation, each checked; the migration's id."""
    page = rules.page
    page.goto(f"{base}start")
    _fill(page, form)
    page.click("[data-qa=continue-button]")
    page.wait_for_url("**/start/preview")
    rules.check(f"preview ({state})")
    page.click("[data-qa=start-migration-button]")
    page.wait_for_url("**/start/confirmation")
    rules.check("confirmation")
    return str(page.locator("[data-qa=migration-id]").first.inner_text().strip())


def _own_pages(t: MigrationType, migration_id: str) -> Iterator[tuple[str, str]]:
    """The type's own GET pages (name, path under its prefix): those that take nothing or a
    migration id. POST-only actions and downloads (other parameters) are not pages."""
    for pattern in t.extra_urls(t) if t.extra_urls else []:
        if not isinstance(pattern, URLPattern):
            continue
        view = getattr(pattern.callback, "view_class", None)
        if view is not None and "get" not in view.http_method_names:
            continue
        converters = set(pattern.pattern.converters)
        if converters - {"migration_id"}:
            continue
        route = str(pattern.pattern).replace("<str:migration_id>", migration_id)
        yield pattern.name or route, route


def _wait_for(sandbox: Any, migration_id: str, status: str) -> None:
    """Until the run has the status, for a while: a run that is slower is checked as it is."""
    with contextlib.suppress(AssertionError):
        sandbox.wait_for_status(migration_id, status, timeout=60)


@pytest.mark.parametrize("t", types.REGISTERED, ids=lambda t: t.slug)
def test_every_page_of_the_type(
    syscon: Any, dashboard: Any, sandbox_settings: Any, t: MigrationType
) -> None:
    page = syscon
    rules = PageRules(page, t.slug)
    base = f"{dashboard.url}/{t.url_prefix}/"
    rules.visit(base, "history (none yet)")
    rules.visit(f"{base}start", "start")
    if t.has_filter:
        for field in page.locator("main input[type=text], main textarea").all():
            field.fill(NOT_VALID)
        page.click("[data-qa=continue-button]")
        page.wait_for_load_state()
        if page.locator(".govuk-error-summary").count():
            rules.check("start with errors")

    # A run to its end: its details, its failures and the type's own pages on it.
    form = _start_form(t)
    finished = _start_migration(rules, base, form, "first")
    _wait_for(sandbox_settings, finished, "COMPLETED")
    rules.visit(f"{base}{finished}/", "details (ended)")
    rules.visit(base, "history")
    if t.has_failures_page:
        rules.visit(f"{base}failures/", "failures")
        rules.visit(f"{base}failures/?migrationId={finished}", "failures of a migration")
    rules.visit(f"{base}failures/delete", "delete failures")
    for name, route in _own_pages(t, finished):
        rules.visit(f"{base}{route}", name)

    # A run held in progress: its details while it runs, and cancel.
    sandbox_settings.update_settings(first_check_delay_s=300.0)
    running = _start_migration(rules, base, form, "after a run")
    rules.visit(f"{base}{running}/", "details (running)")
    rules.visit(f"{base}{running}/cancel", "cancel")
    if not urlparse(page.url).path.endswith("/cancel"):
        rules.failures.append(f"{t.slug} cancel: not offered for a running migration")
    rules.assert_all_passed()


# -- Everything else


def test_home_overview_room_mappings_audit_and_not_found(syscon: Any, dashboard: Any) -> None:
    page = syscon
    rules = PageRules(page, "dashboard")
    rules.visit(f"{dashboard.url}/", "home")
    rules.visit(f"{dashboard.url}/overview/", "overview")

    rules.visit(f"{dashboard.url}/visits-room-mappings/prison", "room mappings: prison")
    show = "[data-qa=show-rooms-button]"
    add = "[data-qa=add-mapping-button]"
    # (what the user does, the page it leads to, its name): a bad prison code, MDI's rooms, a
    # mapping's form sent empty then filled in, and the delete that asks first.
    for action, leads_to, name in (
        (
            lambda: (page.fill("#prisonId", "M1"), page.click(show)),
            re.compile(r"/\?prisonId=M1"),
            "prison with errors",
        ),
        (
            lambda: (page.fill("#prisonId", "MDI"), page.click(show)),
            re.compile(r"/\?prisonId=MDI"),
            "table",
        ),
        (lambda: page.locator("[data-qa=add-link]").first.click(), re.compile(r"/add\?"), "add"),
        (lambda: page.click(add), re.compile(r"/add$"), "add with errors"),
        (
            lambda: (page.fill("#dpsRoom", "Family room"), page.click(add)),
            re.compile(r"/\?"),
            "table, added",
        ),
        (
            lambda: page.locator("[data-qa=delete-link]").first.click(),
            re.compile(r"/delete\?"),
            "delete",
        ),
    ):
        action()
        page.wait_for_url(leads_to)
        rules.check(f"room mappings: {name}")

    rules.visit(f"{dashboard.url}/audit/", "audit log")
    page.locator("[data-qa=audit-row] [data-qa=time] a").first.click()
    page.wait_for_url("**/audit/*/")
    rules.check("audit event")
    rules.visit(f"{dashboard.url}/audit/?dateFrom={NOT_VALID}", "audit log with errors")
    rules.visit(f"{dashboard.url}/no-such-page/", "not found (404)")
    rules.assert_all_passed()


def test_the_page_refusing_a_user_without_the_role(page: Any, dashboard: Any) -> None:
    sign_in(page, dashboard, "VISITS_USER")
    rules = PageRules(page, "dashboard")
    response = page.goto(f"{dashboard.url}/audit/")
    assert response is not None and response.status == 403
    rules.check("forbidden (403)")
    rules.assert_all_passed()


def test_a_page_failing_a_rule_is_named_with_the_rule(page: Any) -> None:
    """The rules themselves: a page that breaks each one is reported for each."""
    wide = "<p style='width:600px'>wide</p>"
    page.set_content(
        f"<html lang='en'><head><title>Other - {SERVICE}</title></head><body><main>"
        f"<h1>Heading</h1><h1>Second</h1>{wide}"
        "<div class='govuk-error-summary'><h2>There is a problem</h2></div>"
        "<img src='x.png'></main></body></html>"
    )
    rules = PageRules(page, "made up")
    rules.check("page")
    text = "\n".join(rules.failures)
    assert "made up page: 2 h1 elements, not one" in text
    assert f"title 'Other - {SERVICE}', not 'Error: Heading - {SERVICE}'" in text
    assert "the error summary does not take the focus" in text
    assert "axe: image-alt" in text
    assert "scrolls sideways at 320 px (" in text
