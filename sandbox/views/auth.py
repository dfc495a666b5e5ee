"""HMPPS Auth (``/auth``) and token verification (``/verification``): upstream-api §8, §9."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string

from sandbox.config import Client, User
from sandbox.engine import AuthCode, Engine, RefreshToken, get_engine
from sandbox.util import error_response, json_response
from sandbox.views.common import claims_of, unauthorised

SESSION_COOKIE = "sandbox_auth_session"
OAUTH_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def base_url(request: HttpRequest) -> str:
    """``<base>`` of §8: the external URL including ``/auth``, from the request's host."""
    return f"{request.scheme}://{request.get_host()}/auth"


def _html(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = HttpResponse(render_to_string(template, context), status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error_page(
    request: HttpRequest, heading: str, message: str, status: int = 400
) -> HttpResponse:
    return _html(request, "sandbox/error.html", {"heading": heading, "message": message}, status)


def _with_params(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def _session_user(engine: Engine, request: HttpRequest) -> User | None:
    session = request.COOKIES.get(SESSION_COOKIE)
    if not session:
        return None
    with engine.lock:
        username = engine.auth.sessions.get(session)
        return engine.auth.users.get(username) if username else None


def _check_client(engine: Engine, params: Any) -> tuple[Client | None, str | None]:
    """The authorization-code client and redirect URI, or an error message (never redirect then)."""
    client = engine.auth.clients.get(params.get("client_id", ""))
    if client is None or "authorization_code" not in client.grant_types:
        return None, "The client is not registered for sign-in."
    if params.get("redirect_uri") not in client.redirect_uris:
        return None, "The redirect URI does not match a URI registered for this client."
    return client, None


def _issue_code(engine: Engine, params: Any, user: User) -> HttpResponse:
    code = secrets.token_urlsafe(24)
    challenge = params.get("code_challenge") or None
    with engine.lock:
        engine.auth.codes[code] = AuthCode(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            username=user.username,
            expires=time.time() + engine.settings.code_lifetime_seconds,
            challenge=challenge,
            method=(params.get("code_challenge_method") or "plain") if challenge else None,
        )
    out = {"code": code}
    if params.get("state") is not None:
        out["state"] = params["state"]
    return HttpResponseRedirect(_with_params(params["redirect_uri"], out))


def _login_form(
    request: HttpRequest,
    oauth: dict[str, str],
    *,
    error: str = "",
    username: str = "",
    signed_out: bool = False,
) -> HttpResponse:
    engine = get_engine()
    users = [
        {"username": u.username, "name": u.name, "roles": u.roles}
        for u in engine.auth.users.values()
    ]
    context = {
        "action": "/auth/login",
        "oauth": oauth,
        "error": error,
        "username": username,
        "signed_out": signed_out,
        "users": users,
    }
    return _html(request, "sandbox/login.html", context)


def authorize(request: HttpRequest) -> HttpResponse:
    """``GET /auth/oauth/authorize``: the sign-in form, or back with a code if signed in."""
    engine = get_engine()
    params = request.GET
    client, problem = _check_client(engine, params)
    if client is None:
        return _error_page(request, "Sign-in error", problem or "")
    if params.get("response_type", "code") != "code":
        return HttpResponseRedirect(
            _with_params(
                params["redirect_uri"],
                {
                    "error": "unsupported_response_type",
                    **({"state": params["state"]} if "state" in params else {}),
                },
            )
        )
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "", "S256", "plain"):
        return HttpResponseRedirect(
            _with_params(params["redirect_uri"], {"error": "invalid_request"})
        )
    user = _session_user(engine, request)
    if user is not None and params.get("prompt") != "login":
        return _issue_code(engine, params, user)
    oauth = {k: params[k] for k in OAUTH_FIELDS if k in params}
    return _login_form(request, oauth)


def login(request: HttpRequest) -> HttpResponse:
    """``GET/POST /auth/login``: the sign-in page and its submission."""
    engine = get_engine()
    if request.method != "POST":
        return _login_form(request, {}, signed_out="logout" in request.GET)
    form = request.POST
    oauth = {k: form[k] for k in OAUTH_FIELDS if k in form}
    if oauth.get("client_id"):
        client, problem = _check_client(engine, form)
        if client is None:
            return _error_page(request, "Sign-in error", problem or "")
    username = form.get("username", "").strip().upper()
    password = form.get("password", "")
    user = engine.auth.users.get(username)
    # Constant-time comparison even though these are sandbox passwords: good habits are cheap.
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        message = (
            "Enter your username"
            if not username
            else "Enter a valid username and password. You will be locked out if you enter "
            "the wrong details 3 times."
        )
        return _login_form(request, oauth, error=message, username=form.get("username", ""))
    session = secrets.token_urlsafe(24)
    with engine.lock:
        engine.auth.sessions[session] = user.username
    if oauth.get("client_id"):
        response = _issue_code(engine, form, user)
    else:
        response = HttpResponseRedirect("/auth/account-details")
    response.set_cookie(SESSION_COOKIE, session, path="/auth", httponly=True, samesite="Lax")
    return response


# -- Token endpoint


def _token_error(status: int, error: str, description: str) -> HttpResponse:
    response = json_response({"error": error, "error_description": description}, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="oauth2/client"'
    return response


def _client_auth(engine: Engine, request: HttpRequest, params: dict[str, str]) -> Client | None:
    header = request.headers.get("Authorization", "")
    client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, _, secret = decoded.partition(":")
    client = engine.auth.clients.get(client_id)
    if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
        return None
    return client


def _user_claims(user: User, client: Client, iss: str) -> dict[str, Any]:
    return {
        "sub": user.username,
        "user_name": user.username,
        "auth_source": user.auth_source,
        "user_id": user.user_id,
        "name": user.name,
        "authorities": list(user.roles),
        "client_id": client.client_id,
        "scope": ["read", "write"],
        "iss": iss,
    }


def _token_response(
    engine: Engine, claims: dict[str, Any], *, user_token: bool, client: Client
) -> HttpResponse:
    lifetime = engine.settings.token_lifetime_seconds
    token, payload = engine.tokens.issue(claims, lifetime=lifetime, user_token=user_token)
    body: dict[str, Any] = {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": max(lifetime - 1, 0),
        "scope": "read write",
    }
    if user_token:
        refresh = secrets.token_urlsafe(32)
        with engine.lock:
            engine.auth.refresh_tokens[refresh] = RefreshToken(
                client.client_id,
                payload["user_name"],
                time.time() + engine.settings.refresh_token_lifetime_seconds,
            )
        body["refresh_token"] = refresh
    for key in ("sub", "user_name", "auth_source", "user_id", "jti", "iss"):
        if key in payload:
            body[key] = payload[key]
    response = json_response(body)
    response["Cache-Control"] = "no-store"
    return response


def token(request: HttpRequest) -> HttpResponse:
    """``POST /auth/oauth/token``: authorization_code, client_credentials, refresh_token grants."""
    if request.method != "POST":
        return _token_error(405, "method_not_allowed", "Use POST")
    engine = get_engine()
    params = {**request.GET.dict(), **request.POST.dict()}
    client = _client_auth(engine, request, params)
    if client is None:
        return _token_error(401, "unauthorized", "Bad client credentials")
    grant = params.get("grant_type", "")
    if grant not in ("authorization_code", "client_credentials", "refresh_token"):
        return _token_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    if grant not in client.grant_types:
        return _token_error(400, "unauthorized_client", f"Unauthorized grant type: {grant}")
    iss = base_url(request) + "/issuer"
    if grant == "client_credentials":
        username = params.get("username", "").strip().upper()
        claims: dict[str, Any] = {"sub": username or client.client_id}
        if username:
            claims["user_name"] = username
        claims.update(
            auth_source=params.get("auth_source") or "none",
            authorities=list(client.authorities),
            client_id=client.client_id,
            scope=["read", "write"],
            iss=iss,
        )
        return _token_response(engine, claims, user_token=False, client=client)
    if grant == "refresh_token":
        with engine.lock:
            refresh = engine.auth.refresh_tokens.get(params.get("refresh_token", ""))
        if (
            refresh is None
            or refresh.expires < time.time()
            or refresh.client_id != client.client_id
        ):
            return _token_error(400, "invalid_grant", "Invalid refresh token")
        user = engine.auth.users.get(refresh.username)
        if user is None:
            return _token_error(400, "invalid_grant", "Invalid refresh token")
        return _token_response(
            engine, _user_claims(user, client, iss), user_token=True, client=client
        )
    with engine.lock:
        # Popped before any check: a code is single-use even when the exchange fails.
        code = engine.auth.codes.pop(params.get("code", ""), None)
    if code is None:
        return _token_error(400, "invalid_grant", "Invalid authorization code")
    if code.expires < time.time():
        return _token_error(400, "invalid_grant", "Authorization code has expired")
    if code.client_id != client.client_id:
        return _token_error(400, "invalid_grant", "Authorization code was issued to another client")
    if params.get("redirect_uri") != code.redirect_uri:
        return _token_error(400, "invalid_grant", "Redirect URI mismatch")
    if code.challenge is not None:
        verifier = params.get("code_verifier", "")
        if code.method == "S256":
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        else:
            computed = verifier
        if not verifier or not hmac.compare_digest(computed, code.challenge):
            return _token_error(400, "invalid_grant", "PKCE verification failed")
    user = engine.auth.users.get(code.username)
    if user is None:
        return _token_error(400, "invalid_grant", "Unknown user")
    return _token_response(engine, _user_claims(user, client, iss), user_token=True, client=client)


# -- Keys, discovery, sign-out, user details


def jwks(_request: HttpRequest) -> HttpResponse:
    response = json_response(get_engine().tokens.jwks)
    response["Cache-Control"] = "max-age=43200, public"
    return response


def openid_configuration(request: HttpRequest) -> HttpResponse:
    """Only the four fields HMPPS Auth publishes (it is not a full OIDC provider, §8.5)."""
    base = base_url(request)
    return json_response(
        {
            "issuer": f"{base}/issuer",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "jwks_uri": f"{base}/.well-known/jwks.json",
        }
    )


def _registered_return(engine: Engine, request: HttpRequest) -> str | None:
    """``redirect_uri`` if registered for ``client_id``, give or take a trailing slash (§8.6)."""
    client = engine.auth.clients.get(request.GET.get("client_id", ""))
    uri = request.GET.get("redirect_uri", "")
    if client is None or not uri:
        return None
    registered = {u.rstrip("/") for u in client.redirect_uris}
    return uri if uri.rstrip("/") in registered else None


def logout(request: HttpRequest) -> HttpResponse:
    """``GET /auth/logout`` and ``/auth/sign-out``: end the session, revoke its user's tokens."""
    engine = get_engine()
    session = request.COOKIES.get(SESSION_COOKIE)
    if session:
        with engine.lock:
            username = engine.auth.sessions.pop(session, None)
            if username:
                # One sign-out ends every session of that user, as a real SSO sign-out would.
                for key in [k for k, v in engine.auth.sessions.items() if v == username]:
                    del engine.auth.sessions[key]
        if username:
            engine.tokens.revoke_user(username)
    target = _registered_return(engine, request) or f"{base_url(request)}/login?logout"
    response = HttpResponseRedirect(target)
    response.delete_cookie(SESSION_COOKIE, path="/auth")
    return response


def account_details(request: HttpRequest) -> HttpResponse:
    engine = get_engine()
    user = _session_user(engine, request)
    context = {
        "user": {"username": user.username, "name": user.name, "roles": user.roles}
        if user
        else None,
        "return_url": _registered_return(engine, request) or "",
    }
    return _html(request, "sandbox/account.html", context)


def _me_user(request: HttpRequest) -> tuple[User | None, HttpResponse | None]:
    claims = claims_of(request)
    if claims is None:
        return None, unauthorised()
    user = get_engine().auth.users.get(str(claims.get("user_name", "")))
    if user is None:
        return None, error_response(404, "Not Found: no user for this token")
    return user, None


def user_me(request: HttpRequest) -> HttpResponse:
    user, problem = _me_user(request)
    if user is None:
        return problem or unauthorised()
    body: dict[str, Any] = {
        "username": user.username,
        "active": True,
        "name": user.name,
        "authSource": user.auth_source,
        "userId": user.user_id,
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, user.username)),
    }
    if user.staff_id is not None:
        body["staffId"] = user.staff_id
    if user.active_caseload:
        body["activeCaseLoadId"] = user.active_caseload
    return json_response(body)


def user_me_roles(request: HttpRequest) -> HttpResponse:
    user, problem = _me_user(request)
    if user is None:
        return problem or unauthorised()
    return json_response([{"roleCode": r.removeprefix("ROLE_")} for r in user.roles])


def verify(request: HttpRequest) -> HttpResponse:
    """``POST /verification/token/verify``: active unless expired, badly signed or signed out."""
    if request.method != "POST":
        return error_response(405, "Method Not Allowed")
    header = request.headers.get("Authorization", "")
    active = header[:7].lower() == "bearer " and get_engine().tokens.is_active(header[7:].strip())
    return json_response({"active": active})
