"""Fixtures for the sandbox's own tests: one fast sandbox process per test session.

The sandbox tests of each migration type are in its module, tests/types/test_<slug>.py, which
uses these fixtures and helpers too (tests/types/conftest.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from sandbox.testing import (
    FAST_ENV,
    SYSTEM_CLIENT_ID,
    SYSTEM_CLIENT_SECRET,
    UI_CLIENT_ID,
    UI_CLIENT_SECRET,
    SandboxServer,
)

CALLBACK = "http://localhost:8000/sign-in/callback"
PASSWORD = "password123456"
QUEUE_ADMIN_CLIENT = ("queue-admin-client", "queue-admin-secret")

# Every test starts from these settings (tests that change a setting need not restore it).
BASE_SETTINGS: dict[str, Any] = {
    **{k.removeprefix("SANDBOX_").lower(): float(v) for k, v in FAST_ENV.items()},
    "workers": 4,
    "empty_readings": 3,
    "token_lifetime_seconds": 1200,
    "code_lifetime_seconds": 60,
    "page_size": 1000,
    "max_deliveries": 3,
    "hang_seconds": 65.0,
    "dlq_retry_interval_s": 0.0,
}


@contextlib.contextmanager
def sandbox_for_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A fast sandbox with one more user and one more client (the type modules start one too)."""
    users = tmp_path_factory.mktemp("sandbox") / "users.json"
    users.write_text(
        json.dumps(
            [{"username": "extra_user", "name": "Ed Extra", "roles": ["MIGRATE_ACTIVITIES"]}]
        )
    )
    # A client with the queue-admin role, which neither default client holds (upstream-api §3.10).
    clients = tmp_path_factory.mktemp("sandbox") / "clients.json"
    clients.write_text(
        json.dumps(
            [
                {
                    "client_id": QUEUE_ADMIN_CLIENT[0],
                    "client_secret": QUEUE_ADMIN_CLIENT[1],
                    "grant_types": ["client_credentials"],
                    "authorities": ["SYSCON__QUEUE_ADMIN", "PRISONER_FROM_NOMIS__MIGRATION__RW"],
                }
            ]
        )
    )
    env = {
        "SANDBOX_USERS_FILE": str(Path(users)),
        "SANDBOX_CLIENTS_FILE": str(Path(clients)),
        "SANDBOX_EXTRA_REDIRECT_URIS": "http://127.0.0.1:8391/cb",
    }
    with SandboxServer("default", fast=True, env=env) as server:
        yield server


def reset_for_test(sandbox: SandboxServer) -> SandboxServer:
    sandbox.update_settings(**BASE_SETTINGS)
    sandbox.reset("default")
    return sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with sandbox_for_tests(tmp_path_factory) as server:
        yield server


@pytest.fixture
def sb(sandbox: SandboxServer) -> SandboxServer:
    """The sandbox, reset to the default scenario with fast settings."""
    return reset_for_test(sandbox)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def system_token(sb: SandboxServer, username: str | None = None) -> str:
    data = {"grant_type": "client_credentials", **({"username": username} if username else {})}
    response = requests.post(
        f"{sb.url}/auth/oauth/token",
        data=data,
        auth=(SYSTEM_CLIENT_ID, SYSTEM_CLIENT_SECRET),
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def system(sb: SandboxServer) -> dict[str, str]:
    """Headers with a system token (all four service roles), carrying a username."""
    return {"Authorization": f"Bearer {system_token(sb, 'SYSCON_USER')}"}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def sign_in(
    sb: SandboxServer,
    session: requests.Session,
    username: str = "SYSCON_USER",
    password: str = PASSWORD,
    *,
    state: str = "st-1",
    challenge: str | None = None,
    redirect_uri: str = CALLBACK,
) -> requests.Response:
    """Open the authorize URL and submit the sign-in form; returns the (unfollowed) response."""
    params = {
        "response_type": "code",
        "client_id": UI_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    page = session.get(
        f"{sb.url}/auth/oauth/authorize", params=params, allow_redirects=False, timeout=5
    )
    if page.status_code == 302:
        return page  # already signed in
    assert page.status_code == 200, page.text
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    form = {name: html.unescape(value) for name, value in fields}
    form.update(username=username, password=password)
    return session.post(f"{sb.url}/auth/login", data=form, allow_redirects=False, timeout=5)


def code_from(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    query = parse_qs(urlparse(response.headers["Location"]).query)
    return {k: v[0] for k, v in query.items()}


def exchange(
    sb: SandboxServer, code: str, *, verifier: str | None = None, redirect_uri: str = CALLBACK
) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    return requests.post(
        f"{sb.url}/auth/oauth/token", data=data, auth=(UI_CLIENT_ID, UI_CLIENT_SECRET), timeout=5
    )


def user_token(sb: SandboxServer, username: str = "SYSCON_USER") -> str:
    with requests.Session() as session:
        code = code_from(sign_in(sb, session, username))["code"]
    response = exchange(sb, code)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
