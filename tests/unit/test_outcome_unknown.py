"""Every audited action whose request was sent but whose answer was lost: the audit outcome is
UNKNOWN, the page says it may have been carried out and links to where to check. A request that
never left (connect timeout, refused) is still FAILED."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from urllib3 import exceptions as urllib3_exceptions

from migrations_ui.clients.mapping_api import MappingApiClient
from migrations_ui.models import AuditEvent
from tests.factories import HistoryRowFactory, InProgressFactory
from tests.types import example_of
from tests.unit.conftest_visits import active_json, migration_url, nomis_url, page_json, sign_in

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

MIGRATION_ID = "2024-01-01T10:00:00"
ENCODED = quote(MIGRATION_ID, safe="")
FUTURE = "2099-01-02"
ENDED = {"prisonId": "MDI", "activityStartDate": FUTURE, "nomisActivityEndDate": "2099-01-01"}


def mapping_url(path: str) -> str:
    return MappingApiClient(username=None).url(path)


def dropped() -> requests.ConnectionError:
    return requests.ConnectionError(
        urllib3_exceptions.ProtocolError("Connection aborted.", RemoteDisconnected("closed"))
    )


def refused() -> requests.ConnectionError:
    # No connection or pool object: requests only reads the message and the reason's type.
    reason = urllib3_exceptions.NewConnectionError(None, "[Errno 111] Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3_exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@dataclass(frozen=True)
class Action:
    """One audited action: how to reach it, what it sends and where its page says to look."""

    name: str
    method: str
    upstream: str
    post: Callable[[Any, Any], Any]
    done: str
    checks: tuple[str, ...]


def _one_migration(requests_mock: Any, type_: str, status: str, **stored: Any) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{ENCODED}"),
        json=HistoryRowFactory(
            migrationId=MIGRATION_ID, migrationType=type_, status=status, stored_filter=stored
        ),
    )


# The preview pages `_start` pressed "Start" on, latest last.
PREVIEWS: list[str] = []


def _start(client: Any, requests_mock: Any) -> Any:
    client.post("/visits-migration/start", {"prisonIds": "HEI", "visitTypes": ["SCON"]})
    requests_mock.get(nomis_url("/visits/ids"), json=page_json(3000))
    requests_mock.get(migration_url("/migrate/dead-letter-queue/VISITS/count"), text="0")
    requests_mock.get(migration_url("/migrate/visits/rooms/usage"), json=[])
    requests_mock.get(
        migration_url("/migrate/history/active/VISITS"), json=active_json(status="COMPLETED")
    )
    page = client.get("/visits-migration/start/preview").content.decode()
    PREVIEWS.append(page)
    token = re.search(r'name="preview_token" value="([^"]+)"', page).group(1)
    return client.post("/visits-migration/start/preview", {"preview_token": token})


def _cancel(client: Any, requests_mock: Any) -> Any:
    _one_migration(requests_mock, "VISITS", "STARTED")
    return client.post(f"/visits-migration/{MIGRATION_ID}/cancel")


def _refresh(client: Any, requests_mock: Any) -> Any:
    _one_migration(requests_mock, "VISITS", "COMPLETED")
    return client.post(f"/visits-migration/{MIGRATION_ID}/refresh-counts")


def _purge(client: Any, requests_mock: Any) -> Any:
    return client.post("/visits-migration/failures/delete", {"from": "failures"})


ROOM = {"prisonId": "MDI", "nomisRoomDescription": "R1", "futureVisits": "true"}


def _add_room(client: Any, requests_mock: Any) -> Any:
    return client.post("/visits-room-mappings/add", {**ROOM, "dpsRoom": "Hall"})


def _delete_room(client: Any, requests_mock: Any) -> Any:
    requests_mock.get(nomis_url("/visits/rooms/usage-count"), json=[])
    requests_mock.get(
        mapping_url("/prison/MDI/room-mappings"),
        json=[{"vsipId": "Hall", "nomisRoomDescription": "R1", "prisonId": "MDI", "isOpen": True}],
    )
    return client.post("/visits-room-mappings/delete", ROOM)


def _activate(client: Any, requests_mock: Any) -> Any:
    client.post(
        "/activities-migration/start",
        {"prisonId": "MDI", "activityStartDate": FUTURE, "courseActivityId": "123"},
    )
    example_of("activities").mock_checks(requests_mock, 87)
    requests_mock.get(migration_url("/migrate/dead-letter-queue/ACTIVITIES/count"), json=0)
    requests_mock.get(
        migration_url("/migrate/history/active/ACTIVITIES"),
        json=InProgressFactory(migrationType="ACTIVITIES", status="COMPLETED"),
    )
    return client.post("/activities-migration/start/activate-prison", {"prisonId": "MDI"})


def _end(client: Any, requests_mock: Any) -> Any:
    _one_migration(
        requests_mock, "ACTIVITIES", "COMPLETED", prisonId="MDI", activityStartDate=FUTURE
    )
    return client.post(f"/activities-migration/{MIGRATION_ID}/end-activities")


def _move(client: Any, requests_mock: Any) -> Any:
    _one_migration(requests_mock, "ACTIVITIES", "COMPLETED", **ENDED)
    return client.post(
        f"/activities-migration/{MIGRATION_ID}/move-start-date",
        {"newActivityStartDate": "2099-02-01"},
    )


ACTIONS = {
    action.name: action
    for action in [
        Action(
            "start",
            "POST",
            migration_url("/migrate/visits"),
            _start,
            "the migration was started",
            ('href="/visits-migration/"',),
        ),
        Action(
            "cancel",
            "POST",
            migration_url(f"/migrate/cancel/{ENCODED}"),
            _cancel,
            "the migration was cancelled",
            (f'href="/visits-migration/{MIGRATION_ID}/"',),
        ),
        Action(
            "refresh-counts",
            "POST",
            migration_url(f"/migrate/refresh/{ENCODED}"),
            _refresh,
            "the counts were refreshed",
            (f'href="/visits-migration/{MIGRATION_ID}/"',),
        ),
        Action(
            "purge",
            "DELETE",
            migration_url("/migrate/dead-letter-queue/VISITS"),
            _purge,
            "the failure messages were deleted",
            ('href="/visits-migration/failures/"',),
        ),
        Action(
            "add-room-mapping",
            "POST",
            mapping_url("/prison/MDI/room-mappings"),
            _add_room,
            "the room mapping was added",
            ('href="/visits-room-mappings/?prisonId=MDI&amp;futureVisits=true"',),
        ),
        Action(
            "delete-room-mapping",
            "DELETE",
            mapping_url("/prison/MDI/room-mappings/nomis-room-id/R1"),
            _delete_room,
            "the room mapping was deleted",
            ('href="/visits-room-mappings/?prisonId=MDI&amp;futureVisits=true"',),
        ),
        Action(
            "activate-prison",
            "POST",
            nomis_url("/agency-switches/ACTIVITY/agency/MDI"),
            _activate,
            "the NOMIS feature switch was turned on for MDI",
            ('href="/activities-migration/start/preview"',),
        ),
        Action(
            "end-activities",
            "PUT",
            migration_url(f"/migrate/activities/{ENCODED}/end"),
            _end,
            "the NOMIS activities were ended",
            (f'href="/activities-migration/{MIGRATION_ID}/"', 'href="/activities-migration/"'),
        ),
        Action(
            "move-start-date",
            "PUT",
            migration_url(f"/migrate/activities/{ENCODED}/move-start-dates"),
            _move,
            "the start dates were moved",
            (f'href="/activities-migration/{MIGRATION_ID}/"', 'href="/activities-migration/"'),
        ),
    ]
}


@pytest.fixture
def syscon(client, tokens, syscon_user) -> Any:
    return sign_in(client, syscon_user)


def outcomes() -> list[str]:
    return [e.outcome for e in AuditEvent.objects.order_by("id")]


@pytest.mark.parametrize(
    ("failure", "status", "reason"),
    [
        (requests.ReadTimeout, 504, "did not answer in time after it was asked"),
        (dropped(), 502, "was lost after it was asked"),
    ],
    ids=["read-timeout", "dropped"],
)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_lost_answer_is_an_unknown_outcome_with_where_to_check(
    syscon, requests_mock, name, failure, status, reason
) -> None:
    action = ACTIONS[name]
    sent = requests_mock.register_uri(action.method, action.upstream, exc=failure)
    response = action.post(syscon, requests_mock)
    page = response.content.decode()
    assert response.status_code == status, page[:500]
    assert f"We do not know whether {action.done}" in page
    assert reason in page and "so it may have been carried out" in page
    assert "Nothing has been changed" not in page
    for check in action.checks:
        assert check in page
    assert sent.call_count == 1, "a change is never sent twice"
    assert outcomes() == ["REQUESTED", "UNKNOWN"]


@pytest.mark.parametrize(
    "failure", [requests.ConnectTimeout, refused()], ids=["connect-timeout", "refused"]
)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_change_that_never_left_is_failed_not_unknown(
    syscon, requests_mock, name, failure
) -> None:
    action = ACTIONS[name]
    sent = requests_mock.register_uri(action.method, action.upstream, exc=failure)
    response = action.post(syscon, requests_mock)
    assert "We do not know whether" not in response.content.decode()
    assert sent.call_count == 1
    assert outcomes() == ["REQUESTED", "FAILED"]


def test_an_unreadable_answer_to_a_start_is_unknown_too(syscon, requests_mock) -> None:
    """202 says it started, but not which migration: the history list will show it."""
    requests_mock.post(migration_url("/migrate/visits"), status_code=202, text="<html>")
    response = _start(syscon, requests_mock)
    page = response.content.decode()
    assert response.status_code == 502
    assert "We do not know whether the migration was started" in page
    assert "answered, but its answer could not be read" in page
    assert outcomes() == ["REQUESTED", "UNKNOWN"]


def test_a_repeated_submit_after_an_unknown_start_never_says_nothing_was_started(
    syscon, requests_mock
) -> None:
    requests_mock.post(migration_url("/migrate/visits"), exc=requests.ReadTimeout)
    first = _start(syscon, requests_mock)
    assert first.status_code == 504
    token = re.search(r'name="preview_token" value="([^"]+)"', PREVIEWS[-1]).group(1)
    # The same preview's button again (a second click, the back button).
    again = syscon.post("/visits-migration/start/preview", {"preview_token": token})
    assert again.status_code == 302 and again["Location"] == "/visits-migration/"
    assert len([r for r in requests_mock.request_history if r.method == "POST"]) == 1
    requests_mock.get(migration_url("/migrate/history/all/VISITS"), json=[])
    listing = syscon.get("/visits-migration/").content.decode()
    assert "we do not know whether it started a migration" in listing
    assert "nothing was started" not in listing


def test_audit_verify_lists_unknown_outcomes_beside_missing_ones(syscon, requests_mock) -> None:
    from io import StringIO

    action = ACTIONS["cancel"]
    requests_mock.register_uri(action.method, action.upstream, exc=requests.ReadTimeout)
    action.post(syscon, requests_mock)
    out = StringIO()
    with pytest.raises(CommandError, match="1 have an unknown outcome"):
        call_command("audit_verify", stdout=out)
    report = out.getvalue()
    assert "No unresolved audit events older than 15 minutes." in report
    assert "Unknown outcome" in report
    line = next(line for line in report.splitlines() if line.strip().startswith("unknown"))
    assert "CANCEL_MIGRATION" in line and MIGRATION_ID in line
    assert "did not answer in time" in line


def test_the_audit_log_shows_an_unknown_outcome(syscon, requests_mock) -> None:
    action = ACTIONS["refresh-counts"]
    requests_mock.register_uri(action.method, action.upstream, exc=dropped())
    action.post(syscon, requests_mock)
    page = syscon.get("/audit/", {"outcome": "UNKNOWN"}).content.decode()
    assert "Unknown" in page and "govuk-tag--yellow" in page
