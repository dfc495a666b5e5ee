"""Signing in and out in Chromium as each sandbox user; axe on the home, 403 and sign-in errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from migrations_ui import types
from tests.browser.axe import assert_no_axe_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.guarded_urls"),
]

PASSWORD = "password123456"


# Home is titled with the service name alone.
TITLE = "NOMIS Migration and Synchronisation Dashboard"


def sign_in(page: Any, dashboard: Any, username: str, start: str = "/") -> None:
    page.goto(f"{dashboard.url}{start}")
    assert page.url.startswith(settings.HMPPS_AUTH_EXTERNAL_URL)
    assert page.locator("h1").inner_text() == "Sign in"
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}{start}")


def sign_out(page: Any) -> None:
    page.click("[data-qa=sign-out]")
    page.wait_for_url(f"{settings.HMPPS_AUTH_EXTERNAL_URL}/**")
    assert page.locator("h1").inner_text() == "Sign in"


@pytest.mark.parametrize(
    ("username", "short_name", "expected_tiles"),
    [
        # The super role also reviews the audit log; migrations come first, then administration,
        # each group sorted by title.
        (
            "SYSCON_USER",
            "S. Syscon",
            [
                *sorted((t.tile_title for t in types.REGISTERED), key=str.lower),
                "Audit log",
                "Visit room mappings",
            ],
        ),
        ("VISITS_USER", "V. Visits", ["Visits migration", "Visit room mappings"]),
        ("SENTENCING_USER", "S. Sentencing", ["Court sentencing migration"]),
    ],
)
def test_a_user_with_a_migration_role_sees_its_tiles_then_signs_out(
    page: Any, dashboard: Any, username: str, short_name: str, expected_tiles: list[str]
) -> None:
    sign_in(page, dashboard, username)
    assert page.title() == TITLE
    stylesheet = page.locator("link[rel=stylesheet]").first.get_attribute("href")
    assert page.request.get(f"{dashboard.url}{stylesheet}").ok
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator("[data-qa=header-user-name]").inner_text() == short_name
    assert page.locator("[data-qa=header-user-name]").get_attribute("href") == "/account-details"
    tiles = page.locator("[data-qa=tile] a")
    assert tiles.all_inner_texts() == expected_tiles
    # Each migration tile leads to its type's pages, at the existing dashboard's prefix.
    hrefs = {t.tile_title: t.home_href for t in types.REGISTERED}
    for tile in tiles.all():
        if tile.inner_text() in hrefs:
            assert tile.get_attribute("href") == hrefs[tile.inner_text()]
    assert_no_axe_violations(page)
    sign_out(page)
    # The dashboard session is gone: home asks for sign-in again.
    page.goto(f"{dashboard.url}/")
    assert page.url.startswith(settings.HMPPS_AUTH_EXTERNAL_URL)


def test_a_user_without_roles_is_told_which_role_to_ask_for_then_signs_out(
    page: Any, dashboard: Any
) -> None:
    sign_in(page, dashboard, "NO_ROLE_USER")
    assert page.locator("[data-qa=header-user-name]").inner_text() == "N. Norole"
    assert page.locator("[data-qa=tile]").count() == 0
    message = page.locator("[data-qa=no-tiles]").inner_text()
    assert "MIGRATE_VISITS" in message
    assert "App Support Team" in message
    assert_no_axe_violations(page)
    sign_out(page)


def test_a_page_needing_a_role_is_an_accessible_403_without_a_redirect_loop(
    page: Any, dashboard: Any
) -> None:
    sign_in(page, dashboard, "NO_ROLE_USER")
    response = page.goto(f"{dashboard.url}/guarded")
    assert response.status == 403
    assert page.url == f"{dashboard.url}/guarded"
    assert page.locator("h1").inner_text() == "You are not authorised to use this page"
    assert "MIGRATE_VISITS" in page.locator("main").inner_text()
    assert_no_axe_violations(page)


def test_an_anonymous_deep_link_returns_to_the_page_after_sign_in(
    page: Any, dashboard: Any
) -> None:
    sign_in(page, dashboard, "VISITS_USER", start="/guarded")
    assert page.content().count("visits page") == 1


def test_a_refused_sign_in_is_an_accessible_401_with_a_way_back(page: Any, dashboard: Any) -> None:
    response = page.goto(f"{dashboard.url}/sign-in/callback?code=forged&state=forged")
    assert page.url == f"{dashboard.url}/autherror"
    assert response.status == 401
    assert_no_axe_violations(page)
    page.click("text=Sign in again")
    page.wait_for_url(f"{settings.HMPPS_AUTH_EXTERNAL_URL}/**")
    assert page.locator("h1").inner_text() == "Sign in"


def test_account_details_opens_auths_account_page(page: Any, dashboard: Any) -> None:
    sign_in(page, dashboard, "VISITS_USER")
    page.click("[data-qa=header-user-name]")
    page.wait_for_url(f"{settings.HMPPS_AUTH_EXTERNAL_URL}/account-details?**")
    assert "Vera Visits" in page.content()
