"""What the benchmark measures against: the sandbox's state, the running migrations of every type,
a prison with 200 rooms, and an audit log of 100,000 events in a database of the run's own.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

import requests

from bench.load import Page, csrf_token
from migrations_ui import types
from sandbox.testing import SandboxServer

ROOT = Path(__file__).resolve().parent.parent
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


def start_form(slug: str) -> dict[str, str]:
    """The type's sample start form (`MigrationType.sample_form`).

    With the sandbox's per-item delay below, each migration it starts is still STARTED when its
    pages are measured.
    """
    return types.get(slug).sample_form(TOMORROW)


# Seconds per item the sandbox takes: long enough that no benchmark migration completes.
ITEM_DELAY_MS = 20_000
ROOM_PRISON = "HEI"
ROOMS = 200


class Browser:
    """A signed-in requests session that fills in forms as a browser does (CSRF, Referer)."""

    def __init__(self, session: requests.Session, base_url: str) -> None:
        self.session = session
        self.base = base_url

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.base}{path}", timeout=60)

    def post(self, path: str, fields: dict[str, str], page_html: str) -> requests.Response:
        body = {"csrfmiddlewaretoken": csrf_token(page_html), **fields}
        return self.session.post(
            f"{self.base}{path}", data=body, headers={"Referer": f"{self.base}{path}"}, timeout=60
        )

    def form_body(self, path: str, fields: dict[str, str]) -> str:
        """The urlencoded body the form at `path` would send (with its CSRF token)."""
        return urlencode({"csrfmiddlewaretoken": csrf_token(self.get(path).text), **fields})


def prepare_sandbox(sandbox: SandboxServer, history: str) -> None:
    sandbox.clear_faults()
    sandbox.set_latency(0)
    if history == "large":
        sandbox.reset("history", history_size=5000)
    else:
        sandbox.reset("history")
    sandbox.update_settings(visit_delay_ms=ITEM_DELAY_MS, workers=1)


def start_every_type(browser: Browser) -> dict[str, str]:
    """Start one migration of every registered type through its pages; slug -> migration id.

    Each type's preview is then filled in again, so its preview page can be measured (the start
    used up the first).
    """
    ids: dict[str, str] = {}
    for t in types.REGISTERED:
        prefix = f"/{t.url_prefix}"
        fields = start_form(t.slug)
        preview = browser.post(f"{prefix}/start", fields, browser.get(f"{prefix}/start").text)
        if not preview.url.endswith(f"{prefix}/start/preview"):
            raise RuntimeError(f"{t.slug}: the start form did not lead to the preview")
        token = re.search(r'name="preview_token" value="([^"]*)"', preview.text)
        if not token:
            raise RuntimeError(f"{t.slug}: the preview offers no start")
        confirmation = browser.post(
            f"{prefix}/start/preview", {"preview_token": token.group(1)}, preview.text
        )
        found = re.search(r'data-qa="migration-id"[^>]*>\s*([^<\s]+)', confirmation.text)
        if not found:
            raise RuntimeError(f"{t.slug}: no migration id on the confirmation page")
        ids[t.slug] = found.group(1)
        again = browser.post(f"{prefix}/start", fields, browser.get(f"{prefix}/start").text)
        if not again.url.endswith(f"{prefix}/start/preview"):
            raise RuntimeError(f"{t.slug}: the start form did not lead to the preview again")
    return ids


def add_room_mappings(sandbox: SandboxServer, username: str) -> None:
    """Map ROOMS more rooms of ROOM_PRISON, so its room table has over 200 rows."""
    token = sandbox.system_token(username)
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for n in range(ROOMS):
            response = http.post(
                f"{sandbox.url}/mapping-api/prison/{ROOM_PRISON}/room-mappings",
                json={
                    "nomisRoomDescription": f"{ROOM_PRISON}-VISITS-ROOM {n:03}",
                    "vsipId": f"Visits room {n:03}",
                    "isOpen": n % 3 != 0,
                },
                timeout=30,
            )
            if response.status_code not in (200, 201):
                raise RuntimeError(f"could not add a room mapping: {response.status_code}")


def pages(ids: dict[str, str]) -> list[Page]:
    """Every page measured at 0 ms upstream latency, concurrency 1, against the small history."""
    measured = [Page("home", "/", 0)]
    for t in types.REGISTERED:
        prefix = f"/{t.url_prefix}"
        quoted = ids[t.slug].replace(":", "%3A")
        name = t.slug.replace("_", "-")
        measured += [
            Page(f"{name} history", f"{prefix}/", 1, type_slug=t.slug),
            # Visits' preview is measured as the user's "Continue to preview": the start form's
            # POST (validation only) and the GET it redirects to, which runs the pre-flight checks
            # side by side. The others share that code: their GET alone.
            Page(
                f"{name} preview",
                f"{prefix}/start/preview",
                1,
                dashboard_requests=2 if t.slug == "visits" else 1,
                form_path=f"{prefix}/start" if t.slug == "visits" else None,
                type_slug=t.slug,
            ),
            # M4 and M5 side by side.
            Page(f"{name} details", f"{prefix}/{quoted}/", 1, type_slug=t.slug),
            Page(f"{name} progress", f"{prefix}/{quoted}/progress", 1, type_slug=t.slug),
        ]
    measured += [
        Page("visits failures", "/visits-migration/failures/", 1, type_slug="visits"),
        # N17 and R1 side by side.
        Page(
            "room table (203 rooms)",
            f"/visits-room-mappings/?prisonId={ROOM_PRISON}&futureVisits=true",
            1,
        ),
        Page("audit review (100,000 events)", "/audit/", 0),
        Page("audit CSV (100,000 events)", "/audit/export.csv", 0, share=0.02),
    ]
    return measured


# -- The database


def bench_database_url(smoke: bool) -> tuple[str, str | None]:
    """(DATABASE_URL for the run, PostgreSQL database to drop afterwards or None).

    A database of the run's own on the PostgreSQL server of DATABASE_URL (127.0.0.1:5432 when
    unset), so 100,000 seeded events never land in the tests' database and two runs at once (the
    check beside `make test`'s smoke run) do not share one. SQLite only for a smoke run on a
    machine without PostgreSQL.
    """
    base = os.environ.get("DATABASE_URL", "postgres://127.0.0.1:5432/postgres")
    parsed = urlparse(base)
    if parsed.scheme.startswith("postgres"):
        name = f"nomis_sync_bench_{os.getpid()}"
        try:
            _admin(base, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
            return urlunparse(parsed._replace(path=f"/{name}")), name
        except Exception as error:
            if not smoke:
                raise RuntimeError(
                    f"The benchmark needs PostgreSQL (DATABASE_URL or 127.0.0.1:5432): {error}"
                ) from error
    path = ROOT / "bench" / "results" / f"bench-{os.getpid()}.sqlite3"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}", None


def drop_database(name: str | None) -> None:
    if name:
        base = os.environ.get("DATABASE_URL", "postgres://127.0.0.1:5432/postgres")
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: str, *statements: str) -> None:
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or os.environ.get("USER", "postgres"),
        password=parsed.password or None,
        dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=5,
    ) as connection:
        for statement in statements:
            connection.execute(statement)


def seed_audit(env: dict[str, str], events: int) -> None:
    """Write `events` audit events into the run's database (bench/seed_audit.py, with Django)."""
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.seed_audit", str(events)], cwd=ROOT, env=env, check=True
    )


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
