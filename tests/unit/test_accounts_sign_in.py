"""Sign-in through HMPPS Auth (authorization code, state, PKCE), refusals, and access rules.

HMPPS Auth is replaced by requests-mock at the HTTP boundary and by keys made in the test.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client

from accounts import session as signed_in
from accounts.tokens import JWKS_CACHE_KEY, REFETCH_MARKER_KEY
from migrations_ui import types
from tests.unit.test_accounts_tokens import JWKS_URL, SigningKey, user_claims

TOKEN_URL = f"{settings.HMPPS_AUTH_URL}/oauth/token"
CALLBACK = f"{settings.INGRESS_URL}/sign-in/callback"


pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.guarded_urls")]


@pytest.fixture(scope="module")
def auth_key() -> SigningKey:
    return SigningKey("sign-in-key")


@pytest.fixture(autouse=True)
def auth(requests_mock: Any, auth_key: SigningKey) -> Any:
    # Only our keys: the cache may be a Redis shared with other tests.
    cache.delete_many([JWKS_CACHE_KEY, REFETCH_MARKER_KEY])
    requests_mock.get(JWKS_URL, json={"keys": [auth_key.jwk]})
    return requests_mock


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def token_body(token: str, **extra: Any) -> dict[str, Any]:
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": 3599,
        "scope": "read write",
        "refresh_token": "refresh",
        "user_name": "VISITS_USER",
        "auth_source": "nomis",
        **extra,
    }


def start_sign_in(client: Client, next_url: str | None = None) -> dict[str, str]:
    """GET /sign-in and return the authorize request's query parameters."""
    response = client.get("/sign-in" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{settings.HMPPS_AUTH_EXTERNAL_URL}/oauth/authorize"
    )
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def sign_in(
    client: Client,
    auth: Any,
    token: str,
    *,
    next_url: str | None = None,
    state: str | None = None,
) -> HttpResponse:
    """The whole round trip: /sign-in, then Auth's redirect back with a code."""
    params = start_sign_in(client, next_url)
    auth.post(TOKEN_URL, json=token_body(token))
    response: HttpResponse = client.get(  # type: ignore[assignment]
        "/sign-in/callback", {"code": "the-code", "state": state or params["state"]}
    )
    return response


# -- The flow


def test_sign_in_starts_the_authorization_code_flow_at_the_external_auth_address(
    client: Client,
) -> None:
    params = start_sign_in(client)
    assert params["response_type"] == "code"
    assert params["client_id"] == settings.AUTH_CODE_CLIENT_ID
    assert params["redirect_uri"] == CALLBACK
    assert len(params["state"]) >= 32
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"]
    assert "nonce" not in params


def test_callback_exchanges_the_code_with_pkce_and_basic_client_auth(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    params = start_sign_in(client)
    token_request = auth.post(TOKEN_URL, json=token_body(auth_key.token()))
    response = client.get("/sign-in/callback", {"code": "the-code", "state": params["state"]})
    assert response.status_code == 302
    assert response["Location"] == "/"
    sent = token_request.last_request
    form = parse_qs(sent.text)
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == ["the-code"]
    assert form["redirect_uri"] == [CALLBACK]
    # PKCE: the verifier sent now hashes to the challenge sent to the browser.
    digest = hashlib.sha256(form["code_verifier"][0].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == params["code_challenge"]
    expected = base64.b64encode(
        f"{settings.AUTH_CODE_CLIENT_ID}:{settings.AUTH_CODE_CLIENT_SECRET}".encode()
    ).decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"
    assert "client_secret" not in form


def test_sign_in_returns_to_the_page_first_asked_for(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    first = client.get("/guarded?x=1")
    assert first.status_code == 302
    assert first["Location"] == "/sign-in?next=/guarded%3Fx%3D1"
    response = sign_in(client, auth, auth_key.token(), next_url="/guarded?x=1")
    assert response["Location"] == "/guarded?x=1"
    assert client.get("/guarded?x=1").content == b"visits page"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "http://localhost.evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
def test_a_return_address_on_another_host_lands_on_home(
    client: Client, auth: Any, auth_key: SigningKey, target: str
) -> None:
    response = sign_in(client, auth, auth_key.token(), next_url=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_rotates_the_session_key(client: Client, auth: Any, auth_key: SigningKey) -> None:
    start_sign_in(client)
    before = client.session.session_key
    sign_in(client, auth, auth_key.token())
    assert client.session.session_key != before
    assert client.session["_auth_user_id"]


# -- Refusals: every one lands on /autherror, never a 500


def _alg_none_token(_key: SigningKey) -> str:
    import json

    def segment(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    header = segment({"alg": "none", "typ": "JWT", "kid": _key.kid})
    return f"{header}.{segment({**user_claims(), 'exp': int(time.time()) + 60})}."


def _tampered_token(key: SigningKey) -> str:
    header, _payload, signature = key.token().split(".")
    other = key.token(authorities=["ROLE_MIGRATE_NOMIS_SYSCON"]).split(".")[1]
    return f"{header}.{other}.{signature}"


REFUSED_TOKENS = {
    "expired": lambda key: key.token(lifetime=-120),
    "alg none": _alg_none_token,
    "wrong key": lambda key: SigningKey(key.kid).token(),
    "tampered payload": _tampered_token,
    "wrong issuer": lambda key: key.token(iss="https://evil.example/auth/issuer"),
    "no user": lambda key: key.token(user_name=None),
}


@pytest.mark.parametrize("case", sorted(REFUSED_TOKENS))
def test_a_token_that_fails_verification_is_refused(
    client: Client, auth: Any, auth_key: SigningKey, case: str
) -> None:
    response = sign_in(client, auth, REFUSED_TOKENS[case](auth_key))
    assert response.status_code == 302
    assert response["Location"] == "/autherror"
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()


def test_a_state_that_is_not_ours_is_refused(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    response = sign_in(client, auth, auth_key.token(), state="forged-state")
    assert response["Location"] == "/autherror"
    assert not auth.request_history or all("oauth/token" not in r.url for r in auth.request_history)


def test_a_callback_without_any_sign_in_started_is_refused(client: Client) -> None:
    response = client.get("/sign-in/callback", {"code": "x", "state": "y"})
    assert response["Location"] == "/autherror"


def test_an_error_from_auth_is_refused(client: Client) -> None:
    params = start_sign_in(client)
    response = client.get("/sign-in/callback", {"error": "access_denied", "state": params["state"]})
    assert response["Location"] == "/autherror"


@pytest.mark.parametrize("status", [400, 401])
def test_auth_refusing_the_code_exchange_is_refused(client: Client, auth: Any, status: int) -> None:
    params = start_sign_in(client)
    auth.post(TOKEN_URL, status_code=status, json={"error": "invalid_grant"})
    response = client.get("/sign-in/callback", {"code": "used", "state": params["state"]})
    assert response["Location"] == "/autherror"


def test_auth_being_down_at_the_callback_is_an_upstream_page_not_a_500(
    client: Client, auth: Any
) -> None:
    import requests

    params = start_sign_in(client)
    auth.post(TOKEN_URL, exc=requests.ConnectionError)
    response = client.get("/sign-in/callback", {"code": "c", "state": params["state"]})
    assert response.status_code == 502
    assert "HMPPS Auth" in response.content.decode()


@pytest.mark.parametrize("path", ["/autherror", "/authError"])
def test_the_auth_error_page_is_a_govuk_401_with_a_sign_in_again_link(
    client: Client, path: str
) -> None:
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 401
    assert "govuk-heading-l" in html
    assert '<a class="govuk-link" href="/sign-in" data-qa="sign-in-again">Sign in again</a>' in html


# -- User and roles


def test_the_user_is_created_from_the_token(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token(name="JANE SMITH-JONES", auth_source="nomis"))
    user = get_user_model().objects.get(username="VISITS_USER")
    assert user.display_name == "Jane Smith-Jones"
    assert user.short_name == "J. Smith-Jones"
    assert user.auth_source == "nomis"
    assert user.hmpps_user_id == "485634"
    assert user.roles == ["ROLE_MIGRATE_VISITS"]
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    "claims",
    [
        {"user_name": "U" * 151},
        {"user_name": "NOT A USERNAME"},
        {"user_name": "NUL\x00USER"},
        {"name": "N" * 256},
        {"name": "Vera\x00Visits"},
        {"auth_source": "a" * 21},
    ],
    ids=["long username", "spaces", "NUL in username", "long name", "NUL in name", "source"],
)
def test_a_token_whose_user_does_not_fit_the_user_model_is_refused_at_sign_in(
    client: Client, auth: Any, auth_key: SigningKey, claims: dict[str, Any]
) -> None:
    response = sign_in(client, auth, auth_key.token(**claims))
    assert response.status_code == 302
    assert response["Location"] == "/autherror"
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()
    assert client.get("/autherror").status_code == 401


def test_roles_are_recomputed_at_every_sign_in(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_NOMIS_SYSCON"]))
    user = get_user_model().objects.get(username="VISITS_USER")
    assert user.has_perm("migrations_ui.view_audit_log")
    # The role is removed in HMPPS Auth; the next sign-in (or silent refresh) takes it away.
    sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_VISITS"]))
    user = get_user_model().objects.get(username="VISITS_USER")
    assert user.roles == ["ROLE_MIGRATE_VISITS"]
    assert not user.has_perm("migrations_ui.view_audit_log")
    assert user.has_perm("migrations_ui.start_visits_migration")
    assert get_user_model().objects.count() == 1


def test_role_table_maps_visits_and_syscon_roles(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    visits = {
        "migrations_ui.view_visits_migration",
        "migrations_ui.start_visits_migration",
        "migrations_ui.cancel_visits_migration",
        "migrations_ui.manage_visits_dead_letters",
    }
    rooms = "migrations_ui.manage_room_mappings"
    sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_VISITS"]))
    user = get_user_model().objects.get()
    assert user.get_all_permissions() == {*visits, rooms}
    sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_NOMIS_SYSCON"]))
    user = get_user_model().objects.get()
    every_type = {p for t in types.REGISTERED for p in t.permissions}
    assert visits < every_type
    assert user.get_all_permissions() == {*every_type, rooms, "migrations_ui.view_audit_log"}
    sign_in(client, auth, auth_key.token(authorities=[]))
    assert get_user_model().objects.get().get_all_permissions() == set()


# -- Home page and access rules


def test_home_needs_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=/"


def test_home_shows_the_tiles_the_user_may_use(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_VISITS"]))
    html = client.get("/").content.decode()
    assert '<h1 class="govuk-heading-l">NOMIS Migration and Synchronisation Dashboard</h1>' in html
    assert '<a class="govuk-link govuk-link--no-visited-state" href="/visits-migration/">' in html
    assert 'data-qa="no-tiles"' not in html


def test_home_without_any_role_says_which_role_to_ask_for(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token(authorities=[]))
    html = client.get("/").content.decode()
    assert 'data-qa="tile"' not in html
    assert "<strong>MIGRATE_VISITS</strong>" in html
    assert "App Support Team" in html


def test_tiles_are_sorted_by_title(client: Client, auth: Any, auth_key: SigningKey) -> None:
    from kernel import tiles

    saved = dict(tiles._TILES)
    try:
        for title, href in (("Appointments migration", "/a"), ("Zebra migration", "/z")):
            tiles.register_tile(
                tiles.Tile(title, href, "migrations_ui.view_visits_migration", tiles.MIGRATIONS)
            )
        tiles.register_tile(tiles.Tile("Audit log", "/audit", "migrations_ui.view_audit_log"))
        sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_VISITS"]))
        html = client.get("/").content.decode()
    finally:
        tiles._TILES.clear()
        tiles._TILES.update(saved)
    titles = [
        t for t in ("Appointments migration", "Visits migration", "Zebra migration") if t in html
    ]
    assert titles == ["Appointments migration", "Visits migration", "Zebra migration"]
    assert (
        html.index("Appointments migration") < html.index("Visits migration") < html.index("Zebra")
    )
    assert "Audit log" not in html


def test_signed_in_without_the_permission_is_a_403_naming_the_role(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token(authorities=[]))
    response = client.get("/guarded")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You are not authorised to use this page" in html
    # The role name may wrap (a long one would widen the page at 320 px).
    assert '<strong class="app-break-anywhere">MIGRATE_VISITS</strong>' in html


def test_signed_in_pages_are_never_stored(client: Client, auth: Any, auth_key: SigningKey) -> None:
    assert "no-store" not in client.get("/sign-in").get("Cache-Control", "")
    sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_VISITS"]))
    auth.get(re.compile(r".*/migrate/history/active/.*"), json={})
    for path, status in [("/", 200), ("/guarded", 200), ("/no-such-page", 404)]:
        response = client.get(path)
        assert response.status_code == status, path
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


@pytest.mark.parametrize("path", ["/ping", "/info"])
def test_probes_stay_public(client: Client, path: str) -> None:
    assert client.get(path).status_code == 200


def test_health_stays_public(client: Client, auth: Any) -> None:
    auth.get(re.compile(r".*/health/ping$"), json={"status": "UP"})
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "UP"


def test_static_files_stay_public(client: Client) -> None:
    from accounts.middleware import is_public

    assert is_public(f"{settings.STATIC_URL}css/application.css")


# -- Header, sign-out and account details


def test_header_shows_the_short_name_linking_to_account_details(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token(name="Vera Visits"))
    html = client.get("/").content.decode()
    link = re.search(
        r'<a [^>]*href="/account-details" data-qa="header-user-name">([^<]*)</a>', html
    )
    assert link
    assert link.group(1) == "V. Visits"


def test_account_details_redirects_to_auth(client: Client) -> None:
    response = client.get("/account-details")
    assert response.status_code == 302
    query = urlencode(
        {"client_id": settings.AUTH_CODE_CLIENT_ID, "redirect_uri": settings.INGRESS_URL}
    )
    assert response["Location"] == f"{settings.HMPPS_AUTH_EXTERNAL_URL}/account-details?{query}"


def test_sign_out_flushes_the_session_and_goes_to_auth_sign_out(
    auth: Any, auth_key: SigningKey
) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, auth, auth_key.token())
    session_key = client.session.session_key
    html = client.get("/").content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post("/sign-out", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    query = urlencode(
        {"client_id": settings.AUTH_CODE_CLIENT_ID, "redirect_uri": settings.INGRESS_URL}
    )
    assert response["Location"] == f"{settings.HMPPS_AUTH_EXTERNAL_URL}/sign-out?{query}"
    # Server-side: the old session no longer exists in the store.
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert not store().exists(session_key)
    assert client.get("/").status_code == 302


def test_sign_out_without_a_csrf_token_is_refused(auth: Any, auth_key: SigningKey) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, auth, auth_key.token())
    response = client.post("/sign-out")
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    # Still signed in: nothing happened.
    assert client.get("/").status_code == 200


def test_sign_out_is_post_only(client: Client) -> None:
    assert client.get("/sign-out").status_code == 405


# -- Session: cookie, rolling timeout, expiry and token verification


def test_session_cookie_is_httponly_and_same_site_lax(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    response = sign_in(client, auth, auth_key.token())
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE == 120 * 60


def test_session_is_renewed_at_most_once_a_minute(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token())
    assert settings.SESSION_COOKIE_NAME not in client.get("/").cookies
    session = client.session
    session[signed_in.RENEWED_AT] = time.time() - 61
    session.save()
    renewed = client.get("/")
    assert renewed.status_code == 200
    assert (
        int(renewed.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.SESSION_COOKIE_AGE
    )


def _expire_token(client: Client) -> None:
    session = client.session
    session[signed_in.TOKEN_EXPIRES_AT] = int(time.time()) - 1
    session.save()


def test_an_expired_token_signs_in_again_and_returns_to_the_same_page(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token(authorities=["ROLE_MIGRATE_NOMIS_SYSCON"]))
    _expire_token(client)
    response = client.get("/guarded?page=2")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=%2Fguarded%3Fpage%3D2"
    # Auth's own session answers silently with a new code; the roles are refreshed then.
    params = start_sign_in(client, "/guarded?page=2")
    auth.post(TOKEN_URL, json=token_body(auth_key.token(authorities=[])))
    back = client.get("/sign-in/callback", {"code": "again", "state": params["state"]})
    assert back["Location"] == "/guarded?page=2"
    assert client.get("/guarded?page=2").status_code == 403


def test_public_paths_skip_the_expiry_check(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token())
    _expire_token(client)
    assert client.get("/ping").status_code == 200
    assert client.get("/autherror").status_code == 401


@pytest.fixture
def verification(settings: Any, auth: Any) -> Any:
    settings.TOKEN_VERIFICATION_ENABLED = True
    settings.TOKEN_VERIFICATION_API_URL = "http://verification.test"
    settings.TOKEN_VERIFICATION_INTERVAL_SECONDS = 60
    return auth.post("http://verification.test/token/verify", json={"active": True})


def test_token_verification_runs_at_most_once_per_interval(
    client: Client, auth: Any, auth_key: SigningKey, verification: Any
) -> None:
    token = auth_key.token()
    sign_in(client, auth, token)
    for _ in range(3):
        assert client.get("/").status_code == 200
    # Just verified by signing in: no call within the interval.
    assert verification.call_count == 0
    session = client.session
    session[signed_in.VERIFIED_AT] = time.time() - 61
    session.save()
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert verification.call_count == 1
    assert verification.last_request.headers["Authorization"] == f"Bearer {token}"


@pytest.mark.parametrize(
    "answer",
    [{"json": {"active": False}}, {"status_code": 500}, {"json": {}}, {"text": "nonsense"}],
)
def test_an_inactive_token_or_verification_failure_signs_in_again(
    client: Client, auth: Any, auth_key: SigningKey, verification: Any, answer: dict[str, Any]
) -> None:
    sign_in(client, auth, auth_key.token())
    auth.post("http://verification.test/token/verify", **answer)
    session = client.session
    session[signed_in.VERIFIED_AT] = time.time() - 61
    session.save()
    response = client.get("/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=%2F%3Ftab%3D1"
    assert "_auth_user_id" not in client.session


def test_the_token_is_kept_in_the_session_only_when_verification_needs_it(
    client: Client, auth: Any, auth_key: SigningKey
) -> None:
    sign_in(client, auth, auth_key.token())
    assert signed_in.ACCESS_TOKEN not in client.session
    assert client.session[signed_in.TOKEN_EXPIRES_AT] > time.time()


def test_sessions_live_in_redis_with_secure_cookies_in_production() -> None:
    from tests.conftest import run_manage
    from tests.unit.test_settings import PRODUCTION

    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'], s.SESSION_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.SESSION_COOKIE_AGE)"
    )
    result = run_manage("shell", "-c", script, env=PRODUCTION)
    assert result.stdout.strip().splitlines()[-1].split() == [
        "kernel.sessions",
        "django_redis.cache.RedisCache",
        "True",
        "True",
        "Lax",
        "7200",
    ], result.stderr
    # Plain HTTP only when explicitly asked for; the timeout follows the variable.
    env = {**PRODUCTION, "NO_HTTPS": "true", "WEB_SESSION_TIMEOUT_IN_MINUTES": "30"}
    out = run_manage("shell", "-c", script, env=env).stdout.strip().splitlines()[-1].split()
    assert out[2] == "False"
    assert out[5] == "1800"
