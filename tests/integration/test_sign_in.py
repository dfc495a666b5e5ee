"""Sign-in against the sandbox's HMPPS Auth, through its real form, with a real HTTP client.

A `requests.Session` plays the browser: it follows redirects between the dashboard's live server
(http://localhost:8391) and the sandbox, keeping each side's cookies.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "password123456"
USERS = {
    # username: (header name, roles, sees the visits tile)
    "SYSCON_USER": ("S. Syscon", ["ROLE_MIGRATE_NOMIS_SYSCON"], True),
    "VISITS_USER": ("V. Visits", ["ROLE_MIGRATE_VISITS"], True),
    "NO_ROLE_USER": ("N. Norole", [], False),
}


class FormParser(HTMLParser):
    """The first form of a page: its action and every input's name and value."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
            self._in_form = True
        elif tag == "input" and self._in_form and attributes.get("name"):
            self.fields[str(attributes["name"])] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    assert parser.action is not None, html[:500]
    return parser


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def submit_auth_form(
    http: requests.Session, page: requests.Response, username: str
) -> requests.Response:
    """Fill in and post the sandbox's HMPPS Auth sign-in form shown by `page`."""
    assert "<h1>Sign in</h1>" in page.text, page.text[:500]
    form = parse_form(page.text)
    data = {**form.fields, "username": username, "password": PASSWORD}
    return http.post(urljoin(page.url, form.action), data=data, timeout=10)


def sign_in(
    http: requests.Session, dashboard: Any, username: str, start: str = "/"
) -> requests.Response:
    page = http.get(f"{dashboard.url}{start}", timeout=10)
    return submit_auth_form(http, page, username)


def header_name(html: str) -> str | None:
    found = re.search(r'data-qa="header-user-name">([^<]*)</a>', html)
    return found.group(1) if found else None


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.mark.parametrize("username", sorted(USERS))
def test_each_sandbox_user_signs_in_through_the_form_and_sees_their_home_page(
    http: requests.Session, dashboard: Any, sandbox: Any, username: str
) -> None:
    short_name, roles, sees_visits = USERS[username]
    first = http.get(f"{dashboard.url}/", timeout=10)
    # Anonymous -> /sign-in -> Auth's authorize page at the external address, with state and PKCE.
    authorize = urlparse(first.url)
    assert first.url.startswith(f"{settings.HMPPS_AUTH_EXTERNAL_URL}/oauth/authorize")
    query = parse_qs(authorize.query)
    assert query["redirect_uri"] == [f"{settings.INGRESS_URL}/sign-in/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0]

    home = submit_auth_form(http, first, username)
    assert home.status_code == 200
    assert home.url == f"{dashboard.url}/"
    assert "NOMIS Migration and Synchronisation Dashboard</h1>" in home.text
    assert header_name(home.text) == short_name
    assert ('href="/visits-migration/"' in home.text) is sees_visits
    assert ("<strong>MIGRATE_VISITS</strong>" in home.text) is not sees_visits
    user = get_user_model().objects.get(username=username)
    assert user.roles == roles
    assert user.auth_source
    assert user.hmpps_user_id


def test_sign_in_returns_to_the_page_first_asked_for(
    http: requests.Session, dashboard: Any
) -> None:
    page = sign_in(http, dashboard, "VISITS_USER", start="/?from=bookmark")
    assert page.url == f"{dashboard.url}/?from=bookmark"


def test_a_return_address_on_another_host_lands_on_home(
    http: requests.Session, dashboard: Any
) -> None:
    page = sign_in(http, dashboard, "VISITS_USER", start="/sign-in?next=https://evil.example/")
    assert page.url == f"{dashboard.url}/"
    assert not any("evil.example" in r.headers.get("Location", "") for r in page.history)


def test_a_second_sign_in_is_silent_thanks_to_auths_session(
    http: requests.Session, dashboard: Any
) -> None:
    sign_in(http, dashboard, "VISITS_USER")
    # The dashboard session is gone (e.g. timed out); Auth's is not.
    for cookie in [c for c in http.cookies if c.name == settings.SESSION_COOKIE_NAME]:
        http.cookies.clear(cookie.domain, cookie.path, cookie.name)
    again = http.get(f"{dashboard.url}/", timeout=10)
    assert again.url == f"{dashboard.url}/"
    assert "/auth/oauth/authorize" in [urlparse(r.url).path for r in again.history]
    assert header_name(again.text) == "V. Visits"


def test_an_expired_token_re_authenticates_silently_and_returns_to_the_same_page(
    http: requests.Session, dashboard: Any, sandbox: Any
) -> None:
    previous = sandbox.control("GET", "settings")["token_lifetime_seconds"]
    sandbox.update_settings(token_lifetime_seconds=3)
    try:
        sign_in(http, dashboard, "SYSCON_USER")
        time.sleep(3.2)
        page = http.get(f"{dashboard.url}/?page=2", timeout=10)
    finally:
        sandbox.update_settings(token_lifetime_seconds=previous)
    assert page.url == f"{dashboard.url}/?page=2"
    hops = [urlparse(r.url).path for r in page.history]
    assert hops == ["/", "/sign-in", "/auth/oauth/authorize", "/sign-in/callback"]
    assert header_name(page.text) == "S. Syscon"


def test_a_form_sent_with_an_expired_token_is_not_carried_out_and_says_so_after_sign_in(
    http: requests.Session, dashboard: Any, sandbox: Any
) -> None:
    """Refresh counts is POST-only: it used to come back from sign-in as a GET and a blank 405."""
    from migrations_ui.models import AuditEvent

    previous = sandbox.control("GET", "settings")["token_lifetime_seconds"]
    sandbox.update_settings(token_lifetime_seconds=3)
    try:
        home = sign_in(http, dashboard, "SYSCON_USER")
        time.sleep(3.2)
        sent = http.post(
            f"{dashboard.url}/visits-migration/2024-01-01T10:00:00/refresh-counts",
            data={"csrfmiddlewaretoken": csrf_token(home.text)},
            headers={"Referer": f"{dashboard.url}/visits-migration/"},
            timeout=10,
        )
    finally:
        sandbox.update_settings(token_lifetime_seconds=previous)
    assert sent.status_code == 200
    assert sent.url == f"{dashboard.url}/session-expired"
    assert (
        "Your session had expired, so your request to refresh the counts was not carried out"
        in " ".join(sent.text.split())
    )
    assert 'href="/visits-migration/"' in sent.text
    assert AuditEvent.objects.count() == 0
    assert not [e for e in sandbox.journal() if "/migrate/refresh/" in e["path"]]


def test_sign_out_ends_both_sessions(http: requests.Session, dashboard: Any, sandbox: Any) -> None:
    home = sign_in(http, dashboard, "VISITS_USER")
    out = http.post(
        f"{dashboard.url}/sign-out", data={"csrfmiddlewaretoken": csrf_token(home.text)}, timeout=10
    )
    sign_out_hop = urlparse(out.history[1].url)
    assert sign_out_hop.path == "/auth/sign-out"
    assert parse_qs(sign_out_hop.query) == {
        "client_id": [settings.AUTH_CODE_CLIENT_ID],
        "redirect_uri": [settings.INGRESS_URL],
    }
    # Back at the dashboard, then to sign-in: Auth now asks for credentials again.
    assert "<h1>Sign in</h1>" in out.text
    assert out.url.startswith(f"{settings.HMPPS_AUTH_EXTERNAL_URL}/")


def test_sign_out_without_a_csrf_token_is_refused(http: requests.Session, dashboard: Any) -> None:
    sign_in(http, dashboard, "VISITS_USER")
    refused = http.post(f"{dashboard.url}/sign-out", timeout=10, allow_redirects=False)
    assert refused.status_code == 403
    assert header_name(http.get(f"{dashboard.url}/", timeout=10).text) == "V. Visits"


def test_a_code_presented_to_another_session_is_refused(dashboard: Any) -> None:
    """State mismatch: the callback arrives in a session that did not start this sign-in."""
    with requests.Session() as victim, requests.Session() as attacker:
        page = attacker.get(f"{dashboard.url}/", timeout=10)
        form = parse_form(page.text)
        data = {**form.fields, "username": "SYSCON_USER", "password": PASSWORD}
        to_callback = attacker.post(
            urljoin(page.url, form.action), data=data, timeout=10, allow_redirects=False
        )
        callback_url = to_callback.headers["Location"]
        assert callback_url.startswith(f"{settings.INGRESS_URL}/sign-in/callback?")
        victim.get(f"{dashboard.url}/sign-in", timeout=10)  # a sign-in of its own, other state
        landed = victim.get(callback_url, timeout=10)
    assert landed.url == f"{dashboard.url}/autherror"
    assert landed.status_code == 401
    assert "Sign in again" in landed.text


def test_a_client_secret_auth_rejects_lands_on_the_auth_error_page(
    http: requests.Session, dashboard: Any, settings: Any
) -> None:
    settings.AUTH_CODE_CLIENT_SECRET = "not-the-secret"
    page = sign_in(http, dashboard, "VISITS_USER")
    assert page.url == f"{dashboard.url}/autherror"
    assert page.status_code == 401


def test_an_inactive_token_signs_in_again_when_verification_is_on(
    http: requests.Session, dashboard: Any, sandbox: Any, settings: Any
) -> None:
    settings.TOKEN_VERIFICATION_ENABLED = True
    settings.TOKEN_VERIFICATION_API_URL = f"{sandbox.url}/verification"
    settings.TOKEN_VERIFICATION_INTERVAL_SECONDS = 0
    home = sign_in(http, dashboard, "VISITS_USER")
    assert header_name(home.text) == "V. Visits"
    assert header_name(http.get(f"{dashboard.url}/", timeout=10).text) == "V. Visits"
    # Signed out at Auth directly (e.g. in another service): the token is revoked there.
    http.get(f"{sandbox.url}/auth/sign-out", timeout=10)
    page = http.get(f"{dashboard.url}/?after=signout", timeout=10)
    assert "<h1>Sign in</h1>" in page.text
    assert [urlparse(r.url).path for r in page.history][:2] == ["/", "/sign-in"]
