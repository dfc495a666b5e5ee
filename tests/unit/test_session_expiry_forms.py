"""A form sent after the sign-in ran out is refused, not replayed and not lost in silence: after
signing in again the user reads that it was not carried out, and why. Every 405 is a GOV.UK page.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from accounts import session as signed_in
from migrations_ui.models import AuditEvent
from tests.unit.test_accounts_sign_in import TOKEN_URL, sign_in, start_sign_in, token_body

# The sign-in tests' fixtures: HMPPS Auth mocked at HTTP, and the key that signs its tokens.
from tests.unit.test_accounts_sign_in import auth as auth
from tests.unit.test_accounts_sign_in import auth_key as auth_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.guarded_urls")]

MIGRATION_ID = "2024-01-01T10:00:00"
DETAILS = f"/visits-migration/{MIGRATION_ID}/"
SYSCON = ["ROLE_MIGRATE_NOMIS_SYSCON"]


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.fixture
def signed_in_client(client: Client, auth: Any, auth_key: Any) -> Client:
    sign_in(client, auth, auth_key.token(authorities=SYSCON))
    return client


def expire_token(client: Client) -> None:
    session = client.session
    session[signed_in.TOKEN_EXPIRES_AT] = int(time.time()) - 1
    session.save()


def sign_in_silently(client: Client, auth: Any, auth_key: Any, next_url: str) -> Any:
    """HMPPS Auth's own session answers at once with a new code."""
    params = start_sign_in(client, next_url)
    auth.post(TOKEN_URL, json=token_body(auth_key.token(authorities=SYSCON)))
    return client.get("/sign-in/callback", {"code": "again", "state": params["state"]})


FORMS = [
    # (path, data, words)
    (f"/visits-migration/{MIGRATION_ID}/cancel", {}, "cancel the migration"),
    (f"/visits-migration/{MIGRATION_ID}/refresh-counts", {}, "refresh the counts"),
    ("/visits-migration/start/preview", {"preview_token": "t"}, "start the migration"),
    ("/visits-migration/failures/delete", {"from": "failures"}, "delete the failure messages"),
    (
        "/visits-room-mappings/add",
        {"prisonId": "MDI", "nomisRoomDescription": "R1", "dpsRoom": "Hall"},
        "add the room mapping",
    ),
    (
        "/visits-room-mappings/delete",
        {"prisonId": "MDI", "nomisRoomDescription": "R1"},
        "delete the room mapping",
    ),
    (
        "/activities-migration/start/activate-prison",
        {"prisonId": "MDI"},
        "turn on the NOMIS feature switch",
    ),
    (
        f"/activities-migration/{MIGRATION_ID}/end-activities",
        {},
        "end the NOMIS activities",
    ),
    (
        f"/activities-migration/{MIGRATION_ID}/move-start-date",
        {"newActivityStartDate": "2099-02-01"},
        "move the start dates",
    ),
]


@pytest.mark.parametrize(("path", "data", "words"), FORMS, ids=[words for _, _, words in FORMS])
def test_a_form_sent_after_the_token_expired_is_refused_then_explained_after_sign_in(
    signed_in_client: Client,
    auth: Any,
    auth_key: Any,
    path: str,
    data: dict[str, str],
    words: str,
) -> None:
    client = signed_in_client
    expire_token(client)
    calls_before = len(auth.request_history)
    refused = client.post(path, data, HTTP_REFERER=f"http://testserver{DETAILS}")
    assert refused.status_code == 302
    assert refused["Location"] == "/sign-in?next=%2Fsession-expired"
    assert len(auth.request_history) == calls_before, "nothing was sent upstream"
    assert AuditEvent.objects.count() == 0

    back = sign_in_silently(client, auth, auth_key, "/session-expired")
    assert back["Location"] == "/session-expired"
    page = client.get("/session-expired")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Your session had expired, so your request to {words} was not carried out" in html
    assert "Check the figures and try again" in html
    assert f'href="{DETAILS}" data-qa="back-to-form"' in html
    # Said once: a reload goes home.
    assert client.get("/session-expired")["Location"] == settings.LOGIN_REDIRECT_URL


def test_a_form_sent_after_the_session_itself_ended_is_refused_the_same_way(
    client: Client,
    auth: Any,
    auth_key: Any,
) -> None:
    refused = client.post(
        f"/visits-migration/{MIGRATION_ID}/refresh-counts",
        HTTP_REFERER=f"http://testserver{DETAILS}",
    )
    assert refused["Location"] == "/sign-in?next=%2Fsession-expired"
    sign_in_silently(client, auth, auth_key, "/session-expired")
    html = client.get("/session-expired").content.decode()
    assert "your request to refresh the counts was not carried out" in html


def test_a_form_refused_when_token_verification_says_inactive_is_explained_too(
    signed_in_client: Client,
    auth: Any,
    auth_key: Any,
    settings: Any,
) -> None:
    settings.TOKEN_VERIFICATION_ENABLED = True
    settings.TOKEN_VERIFICATION_API_URL = "http://verification.test"
    auth.post("http://verification.test/token/verify", json={"active": False})
    session = signed_in_client.session
    session[signed_in.VERIFIED_AT] = time.time() - 3600
    session.save()
    refused = signed_in_client.post(f"/visits-migration/{MIGRATION_ID}/cancel")
    assert refused["Location"] == "/sign-in?next=%2Fsession-expired"
    sign_in_silently(signed_in_client, auth, auth_key, "/session-expired")
    html = signed_in_client.get("/session-expired").content.decode()
    assert "your request to cancel the migration was not carried out" in html
    # No Referer: back to the home page.
    assert 'href="/" data-qa="back-to-form"' in html


def test_a_referer_on_another_site_is_not_linked(
    signed_in_client: Client,
    auth: Any,
    auth_key: Any,
) -> None:
    expire_token(signed_in_client)
    signed_in_client.post(
        f"/visits-migration/{MIGRATION_ID}/cancel", HTTP_REFERER="https://evil.example/x"
    )
    sign_in_silently(signed_in_client, auth, auth_key, "/session-expired")
    html = signed_in_client.get("/session-expired").content.decode()
    assert "evil.example" not in html
    assert 'href="/" data-qa="back-to-form"' in html


def test_a_page_read_after_the_token_expired_still_returns_to_itself(
    signed_in_client: Client,
) -> None:
    expire_token(signed_in_client)
    response = signed_in_client.get(DETAILS)
    assert response["Location"] == "/sign-in?" + urlencode({"next": DETAILS})


def test_the_session_expired_page_without_anything_refused_goes_home(
    signed_in_client: Client,
) -> None:
    assert signed_in_client.get("/session-expired")["Location"] == "/"


@pytest.mark.parametrize(
    "path",
    [
        f"/visits-migration/{MIGRATION_ID}/refresh-counts",
        "/activities-migration/start/activate-prison",
        "/sign-out",
    ],
)
def test_every_method_not_allowed_is_the_govuk_page(signed_in_client: Client, path: str) -> None:
    response = signed_in_client.get(path)
    html = response.content.decode()
    assert response.status_code == 405
    assert response["Allow"]
    assert "This page cannot be opened that way" in html
    assert "moj-header" in html
    assert 'data-qa="request-id"' in html
