"""HMPPS Auth and token verification (upstream-api §8, §9)."""

from __future__ import annotations

import time

import jwt
import requests

from sandbox.testing import SYSTEM_CLIENT_ID, SYSTEM_CLIENT_SECRET, UI_CLIENT_ID, UI_CLIENT_SECRET

from .conftest import CALLBACK, code_from, exchange, pkce_pair, sign_in, system_token, user_token


def test_authorize_shows_an_accessible_sign_in_form(sb, http):
    params = {
        "response_type": "code",
        "client_id": UI_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "state": "x",
    }
    page = http.get(f"{sb.url}/auth/oauth/authorize", params=params, timeout=5)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "<title>Sign in - " in page.text
    assert page.text.count("<h1") == 1 and "<h1>Sign in</h1>" in page.text
    assert '<label for="username">' in page.text and '<label for="password">' in page.text
    assert "<script" not in page.text


def test_wrong_password_or_unknown_user_shows_the_form_again_with_an_error(sb, http):
    for username, password in (("SYSCON_USER", "wrong"), ("NOBODY", "password123456")):
        response = sign_in(sb, http, username, password)
        assert response.status_code == 200
        assert "There is a problem" in response.text
        assert "<title>Error: Sign in" in response.text
        assert "Enter a valid username and password" in response.text


def test_sign_in_redirects_with_code_and_state_unchanged(sb, http):
    response = sign_in(sb, http, state="a b/c?&=")
    assert response.headers["Location"].startswith(CALLBACK + "?")
    params = code_from(response)
    assert params["state"] == "a b/c?&=" and params["code"]
    assert "sandbox_auth_session" in response.headers["Set-Cookie"]
    assert "Path=/auth" in response.headers["Set-Cookie"]


def test_authorize_rejects_an_unregistered_redirect_uri_without_redirecting(sb, http):
    for uri in (
        "http://evil.example/cb",
        CALLBACK + "/",
        "http://localhost:8000/sign-in/callback?x=1",
    ):
        params = {"response_type": "code", "client_id": UI_CLIENT_ID, "redirect_uri": uri}
        page = http.get(
            f"{sb.url}/auth/oauth/authorize", params=params, allow_redirects=False, timeout=5
        )
        assert page.status_code == 400
        assert "redirect URI does not match" in page.text
    unknown = http.get(
        f"{sb.url}/auth/oauth/authorize",
        params={"client_id": "nope", "redirect_uri": CALLBACK},
        allow_redirects=False,
        timeout=5,
    )
    assert unknown.status_code == 400


def test_extra_redirect_uris_from_env_and_control_api(sb, http):
    assert code_from(sign_in(sb, http, redirect_uri="http://127.0.0.1:8391/cb"))["code"]
    sb.add_redirect_uri("http://127.0.0.1:5555/sign-in/callback")
    with requests.Session() as other:
        assert code_from(sign_in(sb, other, redirect_uri="http://127.0.0.1:5555/sign-in/callback"))


def test_code_exchange_gives_an_rs256_jwt_that_verifies_against_the_jwks(sb, http):
    code = code_from(sign_in(sb, http, "VISITS_USER"))["code"]
    response = exchange(sb, code)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["scope"] == "read write"
    assert body["user_name"] == "VISITS_USER" and body["auth_source"] == "nomis"
    assert 0 < body["expires_in"] < 1200 and body["refresh_token"]
    jwks = requests.get(f"{sb.url}/auth/.well-known/jwks.json", timeout=5)
    assert jwks.headers["Cache-Control"] == "max-age=43200, public"
    (key,) = jwks.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert jwt.get_unverified_header(body["access_token"])["kid"] == key["kid"]
    public = jwt.PyJWK(key).key
    claims = jwt.decode(body["access_token"], public, algorithms=["RS256"])
    assert claims["user_name"] == claims["sub"] == "VISITS_USER"
    assert claims["name"] == "Vera Visits"
    assert claims["authorities"] == ["ROLE_MIGRATE_VISITS"]
    assert claims["auth_source"] == "nomis" and claims["user_id"]
    assert claims["client_id"] == UI_CLIENT_ID and claims["scope"] == ["read", "write"]
    assert claims["exp"] > time.time() and claims["jti"] == body["jti"]
    assert claims["iss"] == f"{sb.url}/auth/issuer" == body["iss"]
    meta = requests.get(f"{sb.url}/auth/issuer/.well-known/openid-configuration", timeout=5).json()
    assert meta == {
        "issuer": claims["iss"],
        "authorization_endpoint": f"{sb.url}/auth/oauth/authorize",
        "token_endpoint": f"{sb.url}/auth/oauth/token",
        "jwks_uri": f"{sb.url}/auth/.well-known/jwks.json",
    }
    assert (
        requests.get(f"{sb.url}/auth/.well-known/openid-configuration", timeout=5).status_code
        == 404
    )


def test_codes_are_single_use(sb, http):
    code = code_from(sign_in(sb, http))["code"]
    assert exchange(sb, code).status_code == 200
    again = exchange(sb, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_codes_expire(sb, http):
    sb.update_settings(code_lifetime_seconds=0)
    code = code_from(sign_in(sb, http))["code"]
    time.sleep(0.01)
    response = exchange(sb, code)
    assert response.status_code == 400 and "expired" in response.json()["error_description"]


def test_code_exchange_needs_the_same_redirect_uri(sb, http):
    code = code_from(sign_in(sb, http))["code"]
    assert exchange(sb, code, redirect_uri="http://localhost:8000").status_code == 400


def test_pkce_s256_is_checked_when_a_challenge_was_sent(sb, http):
    verifier, challenge = pkce_pair()
    code = code_from(sign_in(sb, http, challenge=challenge))["code"]
    assert exchange(sb, code, verifier=verifier).status_code == 200
    code = code_from(sign_in(sb, http, challenge=challenge))["code"]
    assert exchange(sb, code, verifier="not-the-verifier-" + "x" * 40).status_code == 400
    code = code_from(sign_in(sb, http, challenge=challenge))["code"]
    assert exchange(sb, code).status_code == 400


def test_signed_in_browser_is_sent_straight_back_with_a_code(sb, http):
    first = code_from(sign_in(sb, http))
    params = {
        "response_type": "code",
        "client_id": UI_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "state": "s2",
    }
    again = http.get(
        f"{sb.url}/auth/oauth/authorize", params=params, allow_redirects=False, timeout=5
    )
    second = code_from(again)
    assert second["state"] == "s2" and second["code"] != first["code"]
    assert exchange(sb, second["code"]).json()["user_name"] == "SYSCON_USER"


def test_client_credentials_with_basic_or_form_auth_and_optional_username(sb):
    basic = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={"grant_type": "client_credentials", "username": "visits_user"},
        auth=(SYSTEM_CLIENT_ID, SYSTEM_CLIENT_SECRET),
        timeout=5,
    )
    assert basic.status_code == 200
    claims = jwt.decode(basic.json()["access_token"], options={"verify_signature": False})
    assert claims["user_name"] == claims["sub"] == "VISITS_USER"
    assert claims["auth_source"] == "none"
    assert "ROLE_PRISONER_FROM_NOMIS__MIGRATION__RW" in claims["authorities"]
    assert "refresh_token" not in basic.json()
    form = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": SYSTEM_CLIENT_ID,
            "client_secret": SYSTEM_CLIENT_SECRET,
        },
        timeout=5,
    )
    assert form.status_code == 200
    claims = jwt.decode(form.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == SYSTEM_CLIENT_ID and "user_name" not in claims


def test_wrong_client_secret_is_401_and_bad_grants_are_400(sb):
    wrong = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(SYSTEM_CLIENT_ID, "wrong"),
        timeout=5,
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    unsupported = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={"grant_type": "password"},
        auth=(UI_CLIENT_ID, UI_CLIENT_SECRET),
        timeout=5,
    )
    assert unsupported.status_code == 400
    not_allowed = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(UI_CLIENT_ID, UI_CLIENT_SECRET),
        timeout=5,
    )
    assert not_allowed.status_code == 400


def test_refresh_token_grant(sb, http):
    code = code_from(sign_in(sb, http))["code"]
    refresh = exchange(sb, code).json()["refresh_token"]
    response = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(UI_CLIENT_ID, UI_CLIENT_SECRET),
        timeout=5,
    )
    assert response.status_code == 200 and response.json()["user_name"] == "SYSCON_USER"


def verify(sb, token: str) -> dict:
    response = requests.post(
        f"{sb.url}/verification/token/verify",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def test_verification_active_then_inactive_after_sign_out(sb, http):
    code = code_from(sign_in(sb, http))["code"]
    token = exchange(sb, code).json()["access_token"]
    assert verify(sb, token) == {"active": True}
    out = http.get(
        f"{sb.url}/auth/sign-out",
        params={"client_id": UI_CLIENT_ID, "redirect_uri": "http://localhost:8000/"},
        allow_redirects=False,
        timeout=5,
    )
    assert out.status_code == 302 and out.headers["Location"] == "http://localhost:8000/"
    assert verify(sb, token) == {"active": False}
    # The Auth session is gone too: the next authorize shows the form again.
    params = {"response_type": "code", "client_id": UI_CLIENT_ID, "redirect_uri": CALLBACK}
    assert (
        http.get(f"{sb.url}/auth/oauth/authorize", params=params, allow_redirects=False).status_code
        == 200
    )
    # A new sign-in gives an active token again.
    assert verify(sb, user_token(sb)) == {"active": True}


def test_logout_redirects_only_to_registered_uris(sb, http):
    sign_in(sb, http)
    out = http.get(
        f"{sb.url}/auth/logout",
        params={"client_id": UI_CLIENT_ID, "redirect_uri": "http://evil.example/"},
        allow_redirects=False,
        timeout=5,
    )
    assert out.status_code == 302 and out.headers["Location"] == f"{sb.url}/auth/login?logout"
    page = http.get(out.headers["Location"], timeout=5)
    assert "You have been signed out" in page.text
    plain = http.get(
        f"{sb.url}/auth/logout",
        params={"client_id": UI_CLIENT_ID, "redirect_uri": "http://localhost:8000"},
        allow_redirects=False,
        timeout=5,
    )
    assert plain.headers["Location"] == "http://localhost:8000"


def test_verification_is_false_for_expired_bad_signature_and_missing_tokens(sb):
    sb.update_settings(token_lifetime_seconds=1)
    token = user_token(sb)
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA"
    assert verify(sb, tampered) == {"active": False}
    assert verify(sb, "not-a-jwt") == {"active": False}
    assert requests.post(f"{sb.url}/verification/token/verify", timeout=5).json() == {
        "active": False
    }
    time.sleep(1.05)
    assert verify(sb, token) == {"active": False}


def test_expired_system_token_is_401_on_the_services(sb):
    sb.update_settings(token_lifetime_seconds=1)
    token = system_token(sb)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{sb.url}/nomis-migration-api/migrate/history/active/VISITS"
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    # The lifetime is whole seconds of wall-clock time; leave room for the shared machine's clock
    # being stepped by its time service (seen once: 200 after sleeping 1.05 s).
    time.sleep(1.5)
    assert requests.get(url, headers=headers, timeout=5).status_code == 401


def test_user_me_and_roles(sb):
    token = user_token(sb, "VISITS_USER")
    headers = {"Authorization": f"Bearer {token}"}
    me = requests.get(f"{sb.url}/auth/api/user/me", headers=headers, timeout=5)
    assert me.status_code == 200
    body = me.json()
    assert (
        body["username"] == "VISITS_USER"
        and body["name"] == "Vera Visits"
        and body["active"] is True
    )
    assert body["authSource"] == "nomis" and body["userId"] and body["uuid"]
    roles = requests.get(f"{sb.url}/auth/api/user/me/roles", headers=headers, timeout=5).json()
    assert roles == [{"roleCode": "MIGRATE_VISITS"}]
    assert requests.get(f"{sb.url}/auth/api/user/me", timeout=5).status_code == 401


def test_users_from_the_users_file_and_no_role_user(sb):
    claims = jwt.decode(user_token(sb, "EXTRA_USER"), options={"verify_signature": False})
    assert claims["authorities"] == ["ROLE_MIGRATE_ACTIVITIES"] and claims["name"] == "Ed Extra"
    claims = jwt.decode(user_token(sb, "NO_ROLE_USER"), options={"verify_signature": False})
    assert claims["authorities"] == [] and claims["name"] == "Nora Norole"


def test_account_details_page(sb, http):
    sign_in(sb, http)
    page = http.get(
        f"{sb.url}/auth/account-details",
        params={"client_id": UI_CLIENT_ID, "redirect_uri": "http://localhost:8000"},
        timeout=5,
    )
    assert page.status_code == 200
    assert "<h1>Your account details</h1>" in page.text and "Sam Syscon" in page.text
    assert 'href="http://localhost:8000"' in page.text


def test_health_pings(sb):
    for prefix in (
        "auth",
        "verification",
        "nomis-migration-api",
        "nomis-prisoner-api",
        "mapping-api",
        "activities-api",
    ):
        response = requests.get(f"{sb.url}/{prefix}/health/ping", timeout=5)
        assert response.status_code == 200 and response.json() == {"status": "UP"}
