"""Shared fixtures: real services when configured, personas, and the browser.

Tests that need Redis, PostgreSQL or Chromium skip with a message naming what to start when the
service is absent, except in CI (CI=true), where an absent service fails the run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(service: str, available: bool, how_to_start: str) -> None:
    """Skip (locally) or fail (in CI) when a real service a test needs is not there."""
    if available:
        return
    message = f"{service} is not available: {how_to_start}"
    if IN_CI:
        pytest.fail(f"CI needs {message}")
    pytest.skip(message)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "", parsed.port or default_port), 1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    require(
        "Redis",
        bool(url) and _reachable(url, 6379),
        "start Redis and set REDIS_URL=redis://127.0.0.1:6379/0",
    )
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    require(
        "PostgreSQL",
        url.startswith("postgres") and _reachable(url, 5432),
        "start PostgreSQL and set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test",
    )
    return url


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    require("Chromium", CHROMIUM.exists(), "apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[object]:
    """One headless Debian Chromium for the session, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API refuses to start inside a running asyncio loop; Django's async-unsafe
    # guard would also trip on the live server's ORM calls from this thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def run_manage(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `manage.py` in a fresh process with exactly the given environment (plus PATH)."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(__file__).resolve().parent.parent,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- Personas: the sandbox's users, as signed-in dashboard users (roles as HMPPS Auth sends them)


def _persona(username: str, display_name: str, roles: list[str]) -> Any:
    from accounts.models import User

    return User.objects.create(
        username=username, display_name=display_name, auth_source="nomis", roles=roles
    )


@pytest.fixture
def syscon_user(db: Any) -> Any:
    """Every page of every type, and the audit log."""
    return _persona("SYSCON_USER", "Sam Syscon", ["ROLE_MIGRATE_NOMIS_SYSCON"])


@pytest.fixture
def visits_user(db: Any) -> Any:
    """The visits pages only."""
    return _persona("VISITS_USER", "Vera Visits", ["ROLE_MIGRATE_VISITS"])


@pytest.fixture
def sentencing_user(db: Any) -> Any:
    """The court sentencing pages only."""
    return _persona("SENTENCING_USER", "Sid Sentencing", ["ROLE_MIGRATE_SENTENCING"])


@pytest.fixture
def activities_user(db: Any) -> Any:
    """The activities and allocations pages only."""
    return _persona("ACTIVITIES_USER", "Ada Activities", ["ROLE_MIGRATE_ACTIVITIES"])


@pytest.fixture
def appointments_user(db: Any) -> Any:
    """The appointments pages only."""
    return _persona("APPOINTMENTS_USER", "Amy Appointments", ["ROLE_MIGRATE_APPOINTMENTS"])


@pytest.fixture
def no_role_user(db: Any) -> Any:
    """Signed in, but may use no page beyond home."""
    return _persona("NO_ROLE_USER", "Nora Norole", [])


@pytest.fixture(autouse=True)
def fresh_process_caches() -> Iterator[None]:
    """Each test starts without the per-process copies a long-running worker would hold.

    Tests write audit events and change upstream data directly, not through dashboard actions,
    so nothing would tell those copies that they are stale.
    """
    from kernel import caching

    caching.reset()
    yield
    caching.reset()


# -- The sandbox and the dashboard's live server, for integration and browser tests


@pytest.fixture(scope="session", autouse=True)
def serve_static_as_in_production() -> Iterator[None]:
    """Let WhiteNoise serve the collected, hashed assets to the live server, as in production.

    pytest-django wraps the live server in Django's static handler, which looks files up through
    the finders and knows nothing of the hashed names pages link to: pages would be unstyled (and
    axe would judge unstyled pages). Declining every path hands them to WhiteNoise instead.
    """
    from django.contrib.staticfiles import handlers

    class PassThrough(handlers.StaticFilesHandler):
        def _should_handle(self, path: str) -> bool:
            return False

    original = handlers.StaticFilesHandler
    handlers.StaticFilesHandler = PassThrough  # type: ignore[misc]
    yield
    handlers.StaticFilesHandler = original  # type: ignore[misc]


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """The sandbox on the port the test settings point at, for the whole session."""
    from sandbox.testing import SandboxServer
    from tests.testenv import TEST_DASHBOARD_PORT, TEST_SANDBOX_PORT

    dashboard = f"http://localhost:{TEST_DASHBOARD_PORT}"
    # fast=True: lifecycle timings that complete a small migration in well under a second.
    with SandboxServer(
        "default",
        port=TEST_SANDBOX_PORT,
        fast=True,
        extra_redirect_uris=[f"{dashboard}/sign-in/callback", dashboard],
    ) as server:
        yield server


@pytest.fixture
def dashboard(live_server: Any, sandbox: Any, settings: Any) -> Iterator[Any]:
    """The dashboard's live server against a freshly reset sandbox (default scenario)."""
    sandbox.clear_faults()
    sandbox.reset("default")
    yield live_server
    sandbox.clear_faults()
