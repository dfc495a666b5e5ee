"""The fault matrix: every page and every state-changing action under every upstream fault.

Pages x (timeout, refused, 500, 401, 403, malformed body, dropped connection) and actions x the
same faults plus the two that act after the sandbox has carried the request out (its answer
delayed beyond the read timeout, or the connection dropped instead of answering). Each case
checks the HTTP status, the page's words and, for actions, the audit outcome:

- FAILED when upstream refused it or the request never left (refused connection, 4xx/5xx);
- UNKNOWN when it was sent and its answer lost (timeout, dropped, after-delay, after-drop), or
  answered 2xx unreadably when the answer was needed (a start's migration id);
- SUCCEEDED when upstream said 2xx and nothing more was needed (a malformed body ignored).

"Refused" is a real refused connection: the service's address (pages) or the one call's
address (actions) is pointed at a closed port. The others are sandbox faults. Read timeouts are
cut to 0.3 s so a hung upstream shows its page at once.

Then: every kind of page with Redis, PostgreSQL or both unreachable (the dashboard under
gunicorn); optional parts under a hung upstream or a slow audit log (1 s budget, real
timeouts); and every action's lost answer settled by "Check what happened".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
import requests
import requests.adapters

import upstream
from migrations_ui.models import AuditEvent
from sandbox.testing import free_port
from tests.conftest import run_manage
from tests.integration.conftest_visits import wait_for

pytest_plugins = ["tests.integration.conftest_visits"]
pytestmark = [pytest.mark.django_db(transaction=True)]

MISSING_ID = "2024-01-01T10:00:00"
UNMAPPED = "MDI-VISITS-FAMILY ROOM"
ROOM_TABLE = "/visits-room-mappings/?" + urlencode({"prisonId": "MDI", "futureVisits": "true"})
URL_SETTINGS = {
    "nomisMigrationApi": "NOMIS_MIGRATION_API_URL",
    "nomisPrisonerApi": "NOMIS_PRISONER_API_URL",
    "mappingApi": "MAPPING_API_URL",
}
SERVICE_NAMES = {
    "nomisMigrationApi": "migration service",
    "nomisPrisonerApi": "NOMIS prisoner API",
    "mappingApi": "mapping service",
}

# name: sandbox fault (None: a refused connection, made by the test)
FAULTS: dict[str, dict[str, Any] | None] = {
    "timeout": {"hang": True},
    "refused": None,
    "500": {"status": 500},
    "401": {"status": 401},
    "403": {"status": 403},
    "malformed": {"malformed": True},
    "dropped": {"drop": True},
}
AFTER_FAULTS: dict[str, dict[str, Any]] = {
    "applied-then-delayed": {"after": "delay"},
    "applied-then-dropped": {"after": "drop"},
}


@pytest.fixture
def quick_timeouts(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read timeouts of 0.3 s, and reads retried without the pause between attempts."""
    monkeypatch.setattr(upstream.ApiClient, "retry_backoff_seconds", 0)
    settings.UPSTREAM_TIMEOUTS = {
        **settings.UPSTREAM_TIMEOUTS,
        **dict.fromkeys(URL_SETTINGS, (1.0, 0.3)),
    }
    settings.HEAVY_ESTIMATE_TIMEOUT_SECONDS = 0.3


@pytest.fixture
def closed_port() -> str:
    """An address nothing listens on: connecting to it is refused."""
    return f"127.0.0.1:{free_port()}"


def _sandbox_api(sandbox: Any, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{sandbox.url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {sandbox.system_token('SYSCON_USER')}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def _started(sandbox: Any, path: str, body: Any, *, until: str | None = None) -> str:
    migration_id = _sandbox_api(sandbox, "POST", f"/nomis-migration-api/migrate/{path}", body)[
        "migrationId"
    ]
    if until:
        sandbox.wait_for_status(migration_id, until, timeout=20)
    return str(migration_id)


def _history(sandbox: Any, upstream_type: str) -> list[dict[str, Any]]:
    return list(
        _sandbox_api(sandbox, "GET", f"/nomis-migration-api/migrate/history/all/{upstream_type}")
    )


def _future(days: int = 14) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


# -- Pages


@dataclass(frozen=True)
class Page:
    path: str
    service: str
    # fault name -> (status, words); words are looked for in the page.
    expected: Callable[[str], tuple[int, str]]
    prepare: Callable[[Any], None] | None = None


def _failure_page(fault: str, service: str = "migration service") -> tuple[int, str]:
    return {
        "timeout": (504, f"The {service} did not respond in time"),
        "refused": (502, f"The {service} could not be reached"),
        "500": (502, f"The {service} had a problem"),
        "401": (502, f"The {service} refused the dashboard&#39;s request"),
        "403": (502, f"The {service} refused the dashboard&#39;s request"),
        "malformed": (502, "could not read"),
        "dropped": (502, f"The {service} could not be reached"),
    }[fault]


def _failed_check(fault: str, service: str) -> tuple[int, str]:
    """A preview still shows (200), each failed check naming the service in its own line."""
    words = {
        "timeout": f"the {service} did not respond in time",
        "refused": f"the {service} could not be reached",
        "500": f"the {service} had a problem",
        "401": f"the {service} refused the dashboard&#39;s request",
        "403": f"the {service} refused the dashboard&#39;s request",
        "malformed": "could not read",
        "dropped": f"the {service} could not be reached",
    }[fault]
    return 200, words


def _room_table(fault: str) -> tuple[int, str]:
    return 502, _failed_check(fault, "mapping service")[1]


def _to_preview(browser: Any) -> None:
    browser.start_preview(prisonIds="HEI", visitTypes="SCON")


PAGES = {
    "home": Page("/", "nomisMigrationApi", lambda fault: (200, "Visits")),
    "history": Page("/visits-migration/", "nomisMigrationApi", _failure_page),
    "start-preview": Page(
        "/visits-migration/start/preview",
        "nomisMigrationApi",
        lambda fault: _failed_check(fault, "migration service"),
        prepare=_to_preview,
    ),
    "details": Page(f"/visits-migration/{MISSING_ID}/", "nomisMigrationApi", _failure_page),
    "progress": Page(
        f"/visits-migration/{MISSING_ID}/progress", "nomisMigrationApi", _failure_page
    ),
    "failures": Page("/visits-migration/failures/", "nomisMigrationApi", _failure_page),
    "room-table": Page(ROOM_TABLE, "mappingApi", _room_table),
    # Every type's rows say "Status unavailable", and the page names the types (issue 29).
    "overview": Page("/overview/", "nomisMigrationApi", lambda fault: (200, "did not answer")),
}


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("page_name", list(PAGES))
def test_every_page_under_every_fault(
    browser_as, sandbox, settings, quick_timeouts, closed_port, page_name, fault_name
) -> None:
    page = PAGES[page_name]
    browser = browser_as("SYSCON_USER")
    if page.prepare:
        page.prepare(browser)
    fault = FAULTS[fault_name]
    if fault is None:
        setting = URL_SETTINGS[page.service]
        original = urlsplit(getattr(settings, setting))
        setattr(settings, setting, urlunsplit(original._replace(netloc=closed_port)))
    else:
        sandbox.add_fault(page.service, "", method="GET", **fault)
    try:
        response = browser.get(page.path)
    finally:
        sandbox.clear_faults()
    status, words = page.expected(fault_name)
    assert response.status_code == status, response.text[:400]
    assert words in response.text, response.text[:2000]
    assert "Traceback" not in response.text
    assert "<h1" in response.text


# -- Actions


@dataclass
class Action:
    """A state-changing action: where its upstream call goes, how to reach it, what to check."""

    service: str
    method: str
    path: str  # service-relative upstream path prefix of the one call
    done: str  # "We do not know whether <done>"
    # (browser, sandbox) -> a callable that sends the action and returns the response
    arrange: Callable[[Any, Any], Callable[[], Any]]
    # The page a view shows for a FAILED call: (status, words) by fault
    failed: Callable[[str], tuple[int, str]]
    # Whether a 2xx with an unreadable body leaves the outcome unknown (the body was needed)
    needs_body: bool = False
    # After the after-apply faults: the change really happened upstream
    happened: Callable[[Any], bool] | None = None


def _middleware_failure(service: str) -> Callable[[str], tuple[int, str]]:
    return lambda fault: _failure_page(fault, service)


def _inline_failure(status: int, service: str) -> Callable[[str], tuple[int, str]]:
    """A view that shows the failure on its own page (form or preview), naming the service."""
    return lambda fault: (status, _failed_check(fault, service)[1])


def _arrange_start(browser: Any, sandbox: Any) -> Callable[[], Any]:
    preview = browser.start_preview(prisonIds="HEI", visitTypes="SCON")
    return lambda: browser.start(preview)


def _arrange_cancel(browser: Any, sandbox: Any) -> Callable[[], Any]:
    sandbox.update_settings(visit_delay_ms=20.0, workers=4)
    migration_id = _started(sandbox, "visits", {"prisonIds": ["MDI"], "visitTypes": ["SCON"]})
    confirm = browser.get(f"/visits-migration/{migration_id}/cancel")
    assert confirm.status_code == 200
    return lambda: browser.post(f"/visits-migration/{migration_id}/cancel", page=confirm.text)


def _arrange_refresh(browser: Any, sandbox: Any) -> Callable[[], Any]:
    migration_id = _started(
        sandbox, "visits", {"prisonIds": ["HEI"], "visitTypes": ["SCON"]}, until="COMPLETED"
    )
    details = browser.get(f"/visits-migration/{migration_id}/")
    return lambda: browser.post(
        f"/visits-migration/{migration_id}/refresh-counts", page=details.text
    )


def _arrange_purge(browser: Any, sandbox: Any) -> Callable[[], Any]:
    confirm = browser.get("/visits-migration/failures/delete?from=failures")
    return lambda: browser.post(
        "/visits-migration/failures/delete", {"from": "failures"}, page=confirm.text
    )


def _room_form(room: str) -> dict[str, str]:
    return {"prisonId": "MDI", "nomisRoomDescription": room, "futureVisits": "true"}


def _arrange_add_room(browser: Any, sandbox: Any) -> Callable[[], Any]:
    form = browser.get("/visits-room-mappings/add?" + urlencode(_room_form(UNMAPPED)))
    return lambda: browser.post(
        "/visits-room-mappings/add",
        {**_room_form(UNMAPPED), "dpsRoom": "Family visits room"},
        page=form.text,
    )


def _mapped_rooms(browser: Any) -> dict[str, str]:
    found = re.findall(
        r'data-qa="nomis-room">(.*?)</td>\s*<td[^>]*data-qa="dps-room">(.*?)</td>',
        browser.get(ROOM_TABLE).text,
        re.S,
    )
    return dict(found)


def _arrange_delete_room(browser: Any, sandbox: Any) -> Callable[[], Any]:
    mapped = next(room for room, dps in _mapped_rooms(browser).items() if dps != "Not mapped")
    confirm = browser.get("/visits-room-mappings/delete?" + urlencode(_room_form(mapped)))
    return lambda: browser.post(
        "/visits-room-mappings/delete", _room_form(mapped), page=confirm.text
    )


def _arrange_activate(browser: Any, sandbox: Any) -> Callable[[], Any]:
    preview = browser.start_preview(
        "/activities-migration", prisonId="MDI", activityStartDate=_future()
    )
    return lambda: browser.post(
        "/activities-migration/start/activate-prison", {"prisonId": "MDI"}, page=preview.text
    )


def _arrange_end(browser: Any, sandbox: Any) -> Callable[[], Any]:
    migration_id = _started(
        sandbox,
        "activities",
        {"prisonId": "MDI", "courseActivityId": 11001, "activityStartDate": _future()},
        until="COMPLETED",
    )
    confirm = browser.get(f"/activities-migration/{migration_id}/end-activities")
    return lambda: browser.post(
        f"/activities-migration/{migration_id}/end-activities", page=confirm.text
    )


def _arrange_move(browser: Any, sandbox: Any) -> Callable[[], Any]:
    """A whole-prison run, completed and its NOMIS activities ended: its start date can move."""
    migration_id = _started(
        sandbox,
        "activities",
        {"prisonId": "MDI", "activityStartDate": _future()},
        until="COMPLETED",
    )
    _sandbox_api(sandbox, "PUT", f"/nomis-migration-api/migrate/activities/{migration_id}/end")
    # The end was a PUT under the same path as the move: only the move's calls are counted.
    sandbox.control("DELETE", "journal")
    form = browser.get(f"/activities-migration/{migration_id}/move-start-date")
    assert 'name="newActivityStartDate"' in form.text, form.text[:500]
    return lambda: browser.post(
        f"/activities-migration/{migration_id}/move-start-date",
        {"newActivityStartDate": _future(days=21)},
        page=form.text,
    )


def _start_date_moved(sandbox: Any) -> bool:
    stored = json.loads(_history(sandbox, "ACTIVITIES")[0]["filter"])
    return bool(stored.get("activityStartDate") == _future(days=21))


def _visits_started(sandbox: Any) -> bool:
    return len(_history(sandbox, "VISITS")) == 1


def _room_mapped(sandbox: Any) -> bool:
    rooms = _sandbox_api(sandbox, "GET", "/mapping-api/prison/MDI/room-mappings")
    return any(row.get("nomisRoomDescription") == UNMAPPED for row in rooms)


def _activities_ended(sandbox: Any) -> bool:
    return any(
        "nomisActivityEndDate" in (row.get("filter") or "")
        for row in _history(sandbox, "ACTIVITIES")
    )


ACTIONS = {
    "start": Action(
        "nomisMigrationApi",
        "POST",
        "/migrate/visits",
        "the migration was started",
        _arrange_start,
        _middleware_failure("migration service"),
        needs_body=True,
        happened=_visits_started,
    ),
    "cancel": Action(
        "nomisMigrationApi",
        "POST",
        "/migrate/cancel/",
        "the migration was cancelled",
        _arrange_cancel,
        _middleware_failure("migration service"),
        happened=lambda sandbox: (
            _history(sandbox, "VISITS")[0]["status"] in ("CANCELLED_REQUESTED", "CANCELLED")
        ),
    ),
    "refresh-counts": Action(
        "nomisMigrationApi",
        "POST",
        "/migrate/refresh/",
        "the counts were refreshed",
        _arrange_refresh,
        _middleware_failure("migration service"),
    ),
    "purge": Action(
        "nomisMigrationApi",
        "DELETE",
        "/migrate/dead-letter-queue/",
        "the failure messages were deleted",
        _arrange_purge,
        _middleware_failure("migration service"),
    ),
    "add-room-mapping": Action(
        "mappingApi",
        "POST",
        "/prison/MDI/room-mappings",
        "the room mapping was added",
        _arrange_add_room,
        _inline_failure(502, "mapping service"),
        happened=_room_mapped,
    ),
    "delete-room-mapping": Action(
        "mappingApi",
        "DELETE",
        "/prison/MDI/room-mappings/",
        "the room mapping was deleted",
        _arrange_delete_room,
        _middleware_failure("mapping service"),
    ),
    "activate-prison": Action(
        "nomisPrisonerApi",
        "POST",
        "/agency-switches/ACTIVITY/agency/MDI",
        "the NOMIS feature switch was turned on for MDI",
        _arrange_activate,
        _inline_failure(200, "NOMIS prisoner API"),
    ),
    "end-activities": Action(
        "nomisMigrationApi",
        "PUT",
        "/migrate/activities/",
        "the NOMIS activities were ended",
        _arrange_end,
        _inline_failure(200, "migration service"),
        happened=_activities_ended,
    ),
    "move-start-date": Action(
        "nomisMigrationApi",
        "PUT",
        "/migrate/activities/",
        "the start dates were moved",
        _arrange_move,
        _inline_failure(200, "migration service"),
        # DPS's warnings come back in the answer: an unreadable one is an unknown outcome.
        needs_body=True,
        happened=_start_date_moved,
    ),
}


@pytest.fixture
def restore_sandbox_speed(sandbox: Any) -> Iterator[None]:
    before = sandbox.update_settings()
    yield
    sandbox.update_settings(**{key: before[key] for key in ("visit_delay_ms", "workers")})


@pytest.fixture
def refuse_one_call(monkeypatch: pytest.MonkeyPatch, closed_port: str) -> Callable[..., None]:
    """Send one upstream call (method, URL prefix) to a closed port: a real refused connection.

    The live server runs in this process, so its pooled adapters pick this up; every other call
    goes where it always does.
    """

    def refuse(method: str, url_prefix: str) -> None:
        send = requests.adapters.HTTPAdapter.send

        def sending(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            if request.method == method and request.url.startswith(url_prefix):
                parts = urlsplit(request.url)
                request.url = urlunsplit(parts._replace(netloc=closed_port))
            return send(self, request, *args, **kwargs)

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", sending)

    return refuse


def _outcome(fault_name: str, action: Action) -> str:
    if fault_name in ("timeout", "dropped", *AFTER_FAULTS):
        return "UNKNOWN"
    if fault_name == "malformed":
        return "UNKNOWN" if action.needs_body else "SUCCEEDED"
    return "FAILED"


@pytest.mark.parametrize("fault_name", [*FAULTS, *AFTER_FAULTS])
@pytest.mark.parametrize("action_name", list(ACTIONS))
def test_every_action_under_every_fault(
    browser_as,
    sandbox,
    settings,
    quick_timeouts,
    restore_sandbox_speed,
    refuse_one_call,
    action_name,
    fault_name,
) -> None:
    action = ACTIONS[action_name]
    browser = browser_as("SYSCON_USER")
    send = action.arrange(browser, sandbox)
    fault = FAULTS.get(fault_name) or AFTER_FAULTS.get(fault_name)
    if fault is None:
        base = getattr(settings, URL_SETTINGS[action.service])
        refuse_one_call(action.method, f"{base}{action.path}")
    else:
        sandbox.add_fault(action.service, action.path, method=action.method, **fault)
    try:
        response = send()
    finally:
        sandbox.clear_faults()

    outcome = _outcome(fault_name, action)
    text = response.text
    assert "Traceback" not in text
    events = AuditEvent.objects.order_by("id")
    assert [e.outcome for e in events] == ["REQUESTED", outcome], text[:500]
    if outcome == "UNKNOWN":
        timed_out = fault_name in ("timeout", "applied-then-delayed")
        assert response.status_code == (504 if timed_out else 502), text[:500]
        assert f"We do not know whether {action.done}" in text
        assert "so it may have been carried out" in text
        assert 'data-qa="outcome-unknown-checks"' in text
        assert "Nothing has been changed" not in text
        if fault_name in AFTER_FAULTS and action.happened is not None:
            assert action.happened(sandbox), "the sandbox carried the change out"
    elif outcome == "FAILED":
        status, words = action.failed(fault_name)
        assert response.status_code == status, text[:500]
        assert words in text, text[:3000]
        assert "We do not know whether" not in text
    else:
        assert response.status_code == 200, text[:500]
        assert "We do not know whether" not in text
    if fault is not None:
        # Never retried: one call (a 401 is sent once more with a fresh token, by design). The
        # sandbox journals a call once it has finished with it, and a hung or delayed call
        # finishes only when clear_faults releases it, a moment after the dashboard gave up.
        expected = 2 if fault_name == "401" else 1
        wait_for(lambda: len(_journal_of(sandbox, action)) >= expected, timeout=5, interval=0.02)
        journal = _journal_of(sandbox, action)
        assert len(journal) == expected, journal
    else:
        assert _journal_of(sandbox, action) == [], "a refused connection sends nothing"


def _journal_of(sandbox, action: Action) -> list[dict]:
    """The sandbox's journal entries for the action's call."""
    return [
        entry
        for entry in sandbox.journal()
        if entry["method"] == action.method and action.path in entry["path"]
    ]


def test_the_matrix_covers_every_audited_action() -> None:
    audited = {
        "START_MIGRATION": "start",
        "CANCEL_MIGRATION": "cancel",
        "REFRESH_COUNTS": "refresh-counts",
        "PURGE_DEAD_LETTERS": "purge",
        "ADD_ROOM_MAPPING": "add-room-mapping",
        "DELETE_ROOM_MAPPING": "delete-room-mapping",
        "ACTIVATE_PRISON": "activate-prison",
        "END_ACTIVITIES": "end-activities",
        "MOVE_START_DATE": "move-start-date",
    }
    assert set(audited.values()) == set(ACTIONS)
    assert set(AuditEvent.Action.values) == set(audited)


# -- Datastores: Redis or PostgreSQL on a real closed port, with the dashboard as deployed
#
# gunicorn, DEBUG off, JSON access log at INFO: what made `/health` a bare 500 with a session
# cookie (the access log loaded the session from the Redis that was down, outside the CSP
# middleware, whose nonce the error page then could not have).

STORE_TIME_LIMIT = 2.0
# Every kind of page: lists, forms, previews, details, fragments, actions (POSTs), the room
# table, the audit pages, the admin and the sign-in pages. Actions carry a valid CSRF token.
STORE_PAGES = [
    ("GET", "/"),
    ("GET", "/visits-migration/"),
    ("GET", "/visits-migration/start"),
    ("GET", "/visits-migration/start/preview"),
    ("GET", f"/visits-migration/{MISSING_ID}/"),
    ("GET", f"/visits-migration/{MISSING_ID}/progress"),
    ("GET", "/visits-migration/failures/"),
    ("GET", "/activities-migration/"),
    ("POST", "/visits-migration/start"),
    ("POST", f"/visits-migration/{MISSING_ID}/cancel"),
    ("POST", "/visits-migration/failures/delete"),
    ("POST", "/visits-room-mappings/add"),
    ("GET", ROOM_TABLE),
    ("GET", "/audit/"),
    ("GET", "/audit/export.csv"),
    ("GET", "/admin/"),
    ("GET", "/sign-in"),
    ("GET", "/session-expired"),
]
# Error pages render with no store at all: (method, path, status without and with a cookie). A
# signed-in user's unknown address looks the user up first, so it is the store's 503.
ERROR_PAGES = [
    ("GET", "/autherror", 401, 401),
    ("GET", "/no-such-page", 404, 503),
    ("GET", "/sign-out", 405, 405),
    ("POST", "/sign-out", 403, 403),  # no CSRF token
]
STORE_NAMES = {"redis": "Redis", "database": "its database"}
CSRF = "c" * 32


@dataclass
class Deployed:
    """A dashboard under gunicorn with production settings, one or both stores unreachable."""

    url: str
    env: dict[str, str]
    # The session cookie of a signed-in user (held in Redis when Redis is up).
    cookie: str


def _production_env(sandbox: Any, port: int, redis: str, database: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        **sandbox.env_for_dashboard(),
        "DEBUG": "false",
        "SECRET_KEY": "fault-matrix-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "INGRESS_URL": f"http://localhost:{port}",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "NO_HTTPS": "true",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": redis,
        "DATABASE_URL": database,
        "LOG_LEVEL": "INFO",
        "PORT": str(port),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
    }


@contextlib.contextmanager
def _gunicorn(env: dict[str, str]) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "nomis_sync.wsgi"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_for(lambda: _answers(f"{url}/ping") or process.poll() is not None, timeout=30)
        assert process.poll() is None, f"gunicorn exited with {process.returncode}"
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _signed_in_session() -> str:
    """A signed-in user's session, written to the Redis the test run uses, as sign-in does.

    Its user is not in the user cache (Redis), so each page must look the user up in the database.
    (A user still cached can read the pages that do not need the database.)
    """
    from django.core.cache import cache

    from accounts.backends import user_cache_key
    from kernel.sessions import SessionStore

    user_id = "2147483000"
    cache.delete(user_cache_key(user_id))
    session = SessionStore()
    session.update(
        {
            "_auth_user_id": user_id,
            "_auth_user_backend": "accounts.backends.HmppsAuthBackend",
            "_auth_user_hash": "0" * 64,
            "hmpps_token_expires_at": time.time() + 3600,
            "hmpps_token_verified_at": time.time(),
            "session_renewed_at": time.time(),
        }
    )
    session.create()
    return str(session.session_key)


@pytest.fixture(scope="module", params=["redis", "database", "both"])
def deployed(request, sandbox, redis_url, postgres_url, django_db_setup) -> Iterator[Deployed]:
    closed = f"127.0.0.1:{free_port()}"
    from django.db import connection

    down = request.param
    redis = (
        urlunsplit(urlsplit(redis_url)._replace(netloc=closed)) if down != "database" else redis_url
    )
    database = urlsplit(postgres_url)._replace(path=f"/{connection.settings_dict['NAME']}")
    if down != "redis":
        database = database._replace(netloc=f"postgres@{closed}")
    port = free_port()
    env = _production_env(sandbox, port, redis, urlunsplit(database))
    sandbox.clear_faults()
    # With Redis up, the cookie names a real session; with it down, any cookie makes the
    # dashboard try to read one.
    cookie = _signed_in_session() if down == "database" else "a-session-key-redis-cannot-look-up"
    with _gunicorn(env) as url:
        yield Deployed(url=url, env=env, cookie=cookie)


def _send(deployed: Deployed, method: str, path: str, *, cookie: bool) -> requests.Response:
    """One page as a browser asks for it, following the dashboard's own redirects."""
    cookies = {
        "csrftoken": CSRF,
        **({"nomis-sync-dashboard.session": deployed.cookie} if cookie else {}),
    }
    data = {"csrfmiddlewaretoken": CSRF} if method == "POST" else None
    response = requests.request(
        method,
        f"{deployed.url}{path}",
        data=data,
        cookies=cookies,
        timeout=10,
        allow_redirects=False,
    )
    for _ in range(3):
        location = response.headers.get("Location", "")
        if not (response.is_redirect and location.startswith("/")):
            break
        response = requests.get(
            f"{deployed.url}{location}", cookies=cookies, timeout=10, allow_redirects=False
        )
    return response


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.parametrize("cookie", [False, True], ids=["no-cookie", "session-cookie"])
def test_with_a_store_down_health_names_it_in_json_503(deployed, request, cookie) -> None:
    response, seconds = _timed(lambda: _send(deployed, "GET", "/health", cookie=cookie))
    assert response.status_code == 503, response.text[:500]
    components = response.json()["components"]
    down = {name for name, part in components.items() if part["status"] == "DOWN"}
    expected = {"redis": {"redis"}, "database": {"db"}, "both": {"redis", "db"}}
    assert down == expected[request.node.callspec.params["deployed"]]
    assert seconds < STORE_TIME_LIMIT, seconds


def test_with_a_store_down_the_healthcheck_command_says_the_same(deployed, request) -> None:
    result = run_manage("healthcheck", env=deployed.env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[:-1]}
    store = request.node.callspec.params["deployed"]
    assert lines.get("redis") == ("UP" if store == "database" else "DOWN")
    assert lines["db"] == ("UP" if store == "redis" else "DOWN")
    assert "Overall: DOWN" in result.stdout


@pytest.mark.parametrize("cookie", [False, True], ids=["no-cookie", "session-cookie"])
@pytest.mark.parametrize(("method", "path"), STORE_PAGES)
def test_with_a_store_down_every_page_is_a_govuk_503_naming_it(
    deployed, request, method, path, cookie
) -> None:
    response, seconds = _timed(lambda: _send(deployed, method, path, cookie=cookie))
    text = response.text
    assert response.status_code == 503, (response.url, text[:800])
    assert "Sorry, the service is unavailable" in text and "<h1" in text
    store = request.node.callspec.params["deployed"]
    if store != "both":
        assert f"The dashboard cannot reach {STORE_NAMES[store]}" in text
    assert "Nothing has been changed." in text
    assert "Traceback" not in text and "Error:" not in text
    assert seconds < STORE_TIME_LIMIT, seconds


def test_with_the_database_down_a_user_still_cached_reads_pages_but_changes_nothing(
    deployed, request
) -> None:
    """For the user cache's few minutes (Redis), pages that need no database still work."""
    if request.node.callspec.params["deployed"] != "database":
        pytest.skip("the database alone is down")
    from django.core.cache import cache
    from django.utils.crypto import salted_hmac

    from accounts.backends import user_cache_key
    from accounts.models import User
    from kernel.sessions import SessionStore

    user = User(pk=2147483001, username="SYSCON_USER", roles=["ROLE_MIGRATE_NOMIS_SYSCON"])
    user.set_unusable_password()
    cache.set(user_cache_key(user.pk), user, 60)
    session = SessionStore()
    session.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "accounts.backends.HmppsAuthBackend",
            # As the deployed dashboard (its own SECRET_KEY) checks it.
            "_auth_user_hash": salted_hmac(
                "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
                user.password,
                secret=deployed.env["SECRET_KEY"],
                algorithm="sha256",
            ).hexdigest(),
            "hmpps_token_expires_at": time.time() + 3600,
            "hmpps_token_verified_at": time.time(),
            "session_renewed_at": time.time(),
        }
    )
    session.create()
    cached = Deployed(url=deployed.url, env=deployed.env, cookie=str(session.session_key))
    try:
        history = _send(cached, "GET", "/visits-migration/", cookie=True)
        assert history.status_code == 200, history.text[:500]
        assert 'data-qa="header-user-name"' in history.text
        refused = _send(cached, "POST", "/visits-migration/failures/delete", cookie=True)
        assert refused.status_code == 503
        assert "Nothing was sent to the migration service" in refused.text
        audit = _send(cached, "GET", "/audit/", cookie=True)
        assert audit.status_code == 503
        assert "The dashboard cannot reach its database" in audit.text
    finally:
        cache.delete(user_cache_key(user.pk))


@pytest.mark.parametrize("cookie", [False, True], ids=["no-cookie", "session-cookie"])
@pytest.mark.parametrize(("method", "path", "status", "signed_in_status"), ERROR_PAGES)
def test_with_a_store_down_error_pages_still_render(
    deployed, method, path, status, signed_in_status, cookie
) -> None:
    cookies = {"nomis-sync-dashboard.session": deployed.cookie} if cookie else {}
    response, seconds = _timed(
        lambda: requests.request(
            method, f"{deployed.url}{path}", cookies=cookies, timeout=10, allow_redirects=False
        )
    )
    assert response.status_code == (signed_in_status if cookie else status), response.text[:800]
    assert 'class="govuk-heading-l"' in response.text
    assert "Traceback" not in response.text
    assert "Content-Security-Policy" in response.headers
    assert seconds < STORE_TIME_LIMIT, seconds


# -- Optional parts: a hung upstream, or a slow audit log, costs a page at most its budget
#
# With the upstream timeouts as deployed (60 s reads): only the optional budget (1 s) stands
# between a hung service and a page that does not need it.

OPTIONAL_TIME_LIMIT = 1.5


def _within_budget(browser: Any, path: str, sandbox: Any, hung: str) -> Any:
    """The page, with the migration service's GETs under `hung` hanging: a 200 within 1.5 s."""
    sandbox.add_fault("nomisMigrationApi", hung, method="GET", hang=True)
    try:
        response, seconds = _timed(lambda: browser.get(path))
    finally:
        sandbox.clear_faults()
    assert response.status_code == 200
    assert seconds < OPTIONAL_TIME_LIMIT, seconds
    return response


def test_with_the_migration_service_hung_home_renders_at_once_naming_the_unknown_tiles(
    browser_as, sandbox
) -> None:
    from kernel import caching
    from migrations_ui import types

    browser = browser_as("SYSCON_USER")
    caching.reset()  # signing in landed on home: forget the tags it fetched
    home = _within_budget(browser, "/", sandbox, "/migrate/history/active")
    tags = re.findall(r'data-qa="tile-status">([^<]*)<', home.text)
    assert tags == ["Status unavailable"] * len(types.REGISTERED)
    unknown = re.search(r'data-qa="status-unknown">(.*?)</div>', home.text, re.S)
    assert unknown, home.text[:2000]
    assert "could not be checked just now for" in unknown.group(1)
    assert all(t.tile_title in unknown.group(1) for t in types.REGISTERED)
    assert "Audit log" not in unknown.group(1)


def test_with_the_dead_letter_count_hung_the_preview_shows_it_unavailable_at_once(
    browser_as, sandbox
) -> None:
    browser = browser_as("SYSCON_USER")
    browser.start_preview(prisonIds="HEI", visitTypes="SCON")
    preview = _within_budget(
        browser, "/visits-migration/start/preview", sandbox, "/migrate/dead-letter-queue"
    )
    assert 'data-qa="dlq-status">Status unavailable' in preview.text
    assert "the migration service did not respond in time" in preview.text
    # What the preview is for is there, and the migration can still be started.
    assert "Estimated number of visits to be migrated" in preview.text
    assert 'name="preview_token"' in preview.text


@pytest.fixture
def audit_log_locked(postgres_url: str) -> Iterator[Callable[[], None]]:
    """Another session holding the audit table locked, so reads of it wait (PostgreSQL)."""
    import psycopg
    from django.db import connection

    holder = psycopg.connect(
        urlunsplit(urlsplit(postgres_url)._replace(path=f"/{connection.settings_dict['NAME']}"))
    )

    def lock() -> None:
        holder.execute("LOCK TABLE migrations_ui_auditevent IN ACCESS EXCLUSIVE MODE")

    yield lock
    holder.rollback()
    holder.close()


@pytest.mark.parametrize("page", ["history", "details"])
def test_with_the_audit_log_slow_who_started_it_shows_unavailable_at_once(
    browser_as, sandbox, audit_log_locked, page
) -> None:
    from kernel import caching

    migration_id = _started(
        sandbox, "visits", {"prisonIds": ["HEI"], "visitTypes": ["SCON"]}, until="COMPLETED"
    )
    browser = browser_as("SYSCON_USER")
    caching.reset()
    path = "/visits-migration/" if page == "history" else f"/visits-migration/{migration_id}/"
    audit_log_locked()
    response, seconds = _timed(lambda: browser.get(path))
    assert response.status_code == 200
    assert seconds < OPTIONAL_TIME_LIMIT, seconds
    if page == "history":
        assert 'data-qa="started-by-status">Started by: Status unavailable' in response.text
        assert 'data-qa="migration-id"' in response.text
    else:
        assert 'data-qa="timeline-unavailable"' in response.text
        assert "Status unavailable" in response.text
        assert 'data-qa="migratedCount"' in response.text


# -- Lost answers settled: after each action's answer is lost, "Check what happened" finds out
#
# "applied-then-dropped" carries the action out and loses its answer; "dropped" loses the request
# before anything is done. Either way the audit says UNKNOWN, and asking upstream settles it.

SETTLED_AS = {
    "applied-then-dropped": "CONFIRMED_DONE",
    "dropped": "CONFIRMED_NOT_DONE",
}
# A recount leaves no trace: it stays unknown (and is safe to repeat).
NO_TRACE = {"refresh-counts"}


@pytest.mark.parametrize("fault_name", list(SETTLED_AS))
@pytest.mark.parametrize("action_name", list(ACTIONS))
def test_every_lost_answer_is_settled_by_checking_what_happened(
    browser_as, sandbox, settings, quick_timeouts, restore_sandbox_speed, action_name, fault_name
) -> None:
    # Upstream has long finished with the request by the time anyone checks.
    settings.AUDIT_RECONCILE_GRACE_SECONDS = 0
    if action_name == "purge":
        # Messages on the dead letter queue, left by runs that ended a day ago.
        sandbox.reset("history")
    action = ACTIONS[action_name]
    browser = browser_as("SYSCON_USER")
    send = action.arrange(browser, sandbox)
    fault = {**FAULTS, **AFTER_FAULTS}[fault_name]
    sandbox.add_fault(action.service, action.path, method=action.method, **fault)
    try:
        send()
    finally:
        sandbox.clear_faults()
    unknown = AuditEvent.objects.get(outcome="UNKNOWN")

    event_page = browser.get(f"/audit/{unknown.pk}/")
    assert 'data-qa="check-what-happened"' in event_page.text
    checked = browser.post(f"/audit/{unknown.pk}/check", page=event_page.text)

    expected = "STILL_UNKNOWN" if action_name in NO_TRACE else SETTLED_AS[fault_name]
    follow_up = AuditEvent.objects.order_by("id").last()
    assert follow_up.outcome == expected, follow_up.message
    assert follow_up.attempt_id == unknown.attempt_id
    assert follow_up.username == "SYSCON_USER"
    assert checked.status_code == 200 and checked.url.endswith("?checked=1")
    assert f'data-qa="checked-outcome">{follow_up.get_outcome_display()}' in checked.text
    # The original rows are as they were: REQUESTED, UNKNOWN, then the follow-up.
    assert [e.outcome for e in AuditEvent.objects.order_by("id")] == [
        "REQUESTED",
        "UNKNOWN",
        expected,
    ]
    log = browser.get("/audit/").text
    assert 'data-qa="settled-outcome"' in log
