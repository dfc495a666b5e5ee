"""Settling lost answers: each action audited UNKNOWN is checked upstream and a follow-up appended.

Each action is carried out through its service with its answer lost (a read timeout), then
checked with upstream answering either way. Upstream is mocked at HTTP; the real lifecycle
(the sandbox's after-drop fault) is in tests/integration/test_fault_matrix.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

import upstream
from kernel.formatting import LONDON
from migrations_ui.clients.mapping_api import MappingApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.services.audit import AuditContext
from migrations_ui.services.migrations import (
    dead_letters_purge,
    migration_cancel,
    migration_refresh_counts,
    migration_start,
)
from migrations_ui.services.reconcile import (
    COMMAND_CHECKER,
    NotUnknown,
    audit_outcome_reconcile,
)
from migrations_ui.services.room_mappings import room_mapping_add, room_mapping_delete
from migrations_ui.services.switches import prison_activate
from migrations_ui.types import MIGRATION_TYPES
from migrations_ui.types.activities.services import activities_end, start_dates_move
from tests.factories import HistoryRowFactory
from tests.unit.conftest_visits import migration_url, nomis_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

Outcome = AuditEvent.Outcome
MIGRATION_ID = "2024-01-01T10:00:00"
ENCODED = quote(MIGRATION_ID, safe="")
VISITS = MIGRATION_TYPES["visits"]
ACTIVITIES = MIGRATION_TYPES["activities"]
VISITS_FILTER = {"prisonIds": ["HEI"], "visitTypes": ["SCON"], "ignoreMissingRoom": False}
ROOMS = "/prison/MDI/room-mappings"


def mapping_url(path: str) -> str:
    return MappingApiClient(username=None).url(path)


def _started_now() -> str:
    """A migration id for a start made just now, as the migration service writes it."""
    return timezone.now().astimezone(LONDON).strftime("%Y-%m-%dT%H:%M:%S")


def _run(requests_mock: Any, method: str, url: str, send: Callable[[], Any]) -> None:
    """Carry the action out with its answer lost (sent, then no answer in time)."""
    requests_mock.register_uri(method, url, exc=requests.ReadTimeout)
    with pytest.raises(upstream.OutcomeUnknown):
        send()


@dataclass(frozen=True)
class Case:
    """An action, its lost answer, and how upstream says it was (or was not) done."""

    send: Callable[[Any, AuditContext], None]
    # Mock upstream showing the action done (True) or not done (False).
    upstream_says: Callable[[Any, bool], None]


def _start(requests_mock: Any, context: AuditContext) -> None:
    _run(
        requests_mock,
        "POST",
        migration_url("/migrate/visits"),
        lambda: migration_start(context=context, migration_type=VISITS, filter=VISITS_FILTER),
    )


def _start_says(requests_mock: Any, done: bool) -> None:
    rows = [
        # Another start of the same type, earlier, and one with another filter: never this one.
        HistoryRowFactory(migrationId="2020-01-01T00:00:00", stored_filter=VISITS_FILTER),
        HistoryRowFactory(migrationId=_started_now(), stored_filter={"prisonIds": ["MDI"]}),
    ]
    if done:
        rows.append(HistoryRowFactory(migrationId=_started_now(), stored_filter=VISITS_FILTER))
    requests_mock.get(migration_url("/migrate/history/all/VISITS"), json=rows)


def _migration_says(**done_or_not: dict[str, Any]) -> Callable[[Any, bool], None]:
    """M4 answering with the fields of `done_or_not["done"]` or `["not_done"]`."""

    def says(requests_mock: Any, done: bool) -> None:
        fields = done_or_not["done" if done else "not_done"]
        requests_mock.get(
            migration_url(f"/migrate/history/{ENCODED}"),
            json=HistoryRowFactory(migrationId=MIGRATION_ID, **fields),
        )

    return says


def _purge_says(requests_mock: Any, done: bool) -> None:
    requests_mock.get(
        migration_url("/migrate/dead-letter-queue/VISITS/count"), text="0" if done else "7"
    )
    # Nothing has run since: messages still there were there before the purge.
    requests_mock.get(
        migration_url("/migrate/history/all/VISITS"),
        json=[HistoryRowFactory(migrationId="2020-01-01T00:00:00")],
    )


def _rooms_say(mapped: bool) -> Callable[[Any, bool], None]:
    """R1 with the room mapped (to Hall) when `done == mapped`."""

    def says(requests_mock: Any, done: bool) -> None:
        row = {"vsipId": "Hall", "nomisRoomDescription": "R1", "prisonId": "MDI", "isOpen": True}
        requests_mock.get(mapping_url(ROOMS), json=[row] if done == mapped else [])

    return says


def _switch_says(requests_mock: Any, done: bool) -> None:
    requests_mock.get(
        nomis_url("/agency-switches/ACTIVITY/agency/MDI"), status_code=204 if done else 404
    )


ROOM: dict[str, Any] = {"prison_id": "MDI", "nomis_room": "R1", "dps_room": "Hall", "is_open": True}
ACTIVITIES_RUN = {"prisonId": "MDI", "activityStartDate": "2099-01-02"}
ENDED_RUN = {**ACTIVITIES_RUN, "nomisActivityEndDate": "2099-01-01"}

CASES = {
    "start": Case(_start, _start_says),
    "cancel": Case(
        lambda rm, ctx: _run(
            rm,
            "POST",
            migration_url(f"/migrate/cancel/{ENCODED}"),
            lambda: migration_cancel(context=ctx, migration_type=VISITS, migration_id=MIGRATION_ID),
        ),
        _migration_says(done={"status": "CANCELLED_REQUESTED"}, not_done={"status": "STARTED"}),
    ),
    "purge": Case(
        lambda rm, ctx: _run(
            rm,
            "DELETE",
            migration_url("/migrate/dead-letter-queue/VISITS"),
            lambda: dead_letters_purge(context=ctx, migration_type=VISITS),
        ),
        _purge_says,
    ),
    "add-room-mapping": Case(
        lambda rm, ctx: _run(
            rm, "POST", mapping_url(ROOMS), lambda: room_mapping_add(context=ctx, **ROOM)
        ),
        _rooms_say(mapped=True),
    ),
    "delete-room-mapping": Case(
        lambda rm, ctx: _run(
            rm,
            "DELETE",
            mapping_url(f"{ROOMS}/nomis-room-id/R1"),
            lambda: room_mapping_delete(context=ctx, **ROOM),
        ),
        _rooms_say(mapped=False),
    ),
    "activate-prison": Case(
        lambda rm, ctx: _run(
            rm,
            "POST",
            nomis_url("/agency-switches/ACTIVITY/agency/MDI"),
            lambda: prison_activate(
                context=ctx, migration_type=ACTIVITIES, service_code="ACTIVITY", prison_id="MDI"
            ),
        ),
        _switch_says,
    ),
    "end-activities": Case(
        lambda rm, ctx: _run(
            rm,
            "PUT",
            migration_url(f"/migrate/activities/{ENCODED}/end"),
            lambda: activities_end(
                context=ctx,
                migration_type=ACTIVITIES,
                migration_id=MIGRATION_ID,
                end_date="2099-01-01",
            ),
        ),
        _migration_says(
            done={"migrationType": "ACTIVITIES", "stored_filter": ENDED_RUN},
            not_done={"migrationType": "ACTIVITIES", "stored_filter": ACTIVITIES_RUN},
        ),
    ),
    "move-start-date": Case(
        lambda rm, ctx: _run(
            rm,
            "PUT",
            migration_url(f"/migrate/activities/{ENCODED}/move-start-dates"),
            lambda: start_dates_move(
                context=ctx,
                migration_type=ACTIVITIES,
                migration_id=MIGRATION_ID,
                current_start_date="2099-01-02",
                new_start_date="2099-02-01",
            ),
        ),
        _migration_says(
            done={
                "migrationType": "ACTIVITIES",
                "stored_filter": {**ENDED_RUN, "activityStartDate": "2099-02-01"},
            },
            not_done={"migrationType": "ACTIVITIES", "stored_filter": ENDED_RUN},
        ),
    ),
}


@pytest.fixture
def context(syscon_user, tokens) -> AuditContext:
    return AuditContext(user=syscon_user, request_id="r-1", client_ip="10.0.0.1")


def _unknown() -> AuditEvent:
    return AuditEvent.objects.get(outcome=Outcome.UNKNOWN)


def test_every_audited_action_has_a_case_here() -> None:
    audited = {
        "START_MIGRATION": "start",
        "CANCEL_MIGRATION": "cancel",
        "PURGE_DEAD_LETTERS": "purge",
        "ADD_ROOM_MAPPING": "add-room-mapping",
        "DELETE_ROOM_MAPPING": "delete-room-mapping",
        "ACTIVATE_PRISON": "activate-prison",
        "END_ACTIVITIES": "end-activities",
        "MOVE_START_DATE": "move-start-date",
    }
    # REFRESH_COUNTS leaves no trace: tested on its own below.
    assert set(AuditEvent.Action.values) - set(audited) == {"REFRESH_COUNTS"}
    assert set(audited.values()) == set(CASES)


@pytest.mark.parametrize("done", [True, False], ids=["done", "not-done"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_lost_answer_is_settled_by_what_upstream_says(
    requests_mock, context, settings, name, done
) -> None:
    settings.AUDIT_RECONCILE_GRACE_SECONDS = 0
    case = CASES[name]
    case.send(requests_mock, context)
    original = list(AuditEvent.objects.order_by("id").values())
    unknown = _unknown()
    case.upstream_says(requests_mock, done)

    follow_up = audit_outcome_reconcile(context=context, event=unknown)

    assert follow_up.outcome == (Outcome.CONFIRMED_DONE if done else Outcome.CONFIRMED_NOT_DONE)
    assert follow_up.message, "the evidence is recorded"
    # Linked to the original by its attempt id; the original rows are exactly as they were.
    assert follow_up.attempt_id == unknown.attempt_id
    assert follow_up.action == unknown.action and follow_up.subject_kind == unknown.subject_kind
    assert (follow_up.details or {})["followUpOf"] == unknown.pk
    assert list(AuditEvent.objects.filter(pk__lt=follow_up.pk).order_by("id").values()) == original
    assert follow_up.username == "SYSCON_USER" and follow_up.request_id == "r-1"
    # Only reads were sent to find out.
    sent = [r.method for r in requests_mock.request_history]
    assert sent[0] in ("POST", "PUT", "DELETE") and set(sent[1:]) == {"GET"}


def test_a_confirmed_start_names_the_migration_it_started(requests_mock, context) -> None:
    _start(requests_mock, context)
    _start_says(requests_mock, True)
    follow_up = audit_outcome_reconcile(context=context, event=_unknown())
    assert follow_up.migration_id <= _started_now()
    assert follow_up.migration_id != "2020-01-01T00:00:00"
    assert follow_up.subject_id == f"VISITS {follow_up.migration_id}"
    # The history's window and filter were asked for, not the whole list.
    query = requests_mock.request_history[-1].qs
    assert set(query) == {"fromdatetime", "todatetime"}


def test_a_start_claimed_by_another_attempt_is_not_this_one(
    requests_mock, context, settings
) -> None:
    settings.AUDIT_RECONCILE_GRACE_SECONDS = 0
    _start(requests_mock, context)
    unknown = _unknown()
    migration_id = _started_now()
    # Another person's start of the same migration succeeded and is in the audit log.
    requests_mock.post(
        migration_url("/migrate/visits"),
        status_code=202,
        json={"migrationId": migration_id, "estimatedCount": 1, "body": {}},
    )
    migration_start(context=context, migration_type=VISITS, filter=VISITS_FILTER)
    requests_mock.get(
        migration_url("/migrate/history/all/VISITS"),
        json=[HistoryRowFactory(migrationId=migration_id, stored_filter=VISITS_FILTER)],
    )
    follow_up = audit_outcome_reconcile(context=context, event=unknown)
    assert follow_up.outcome == Outcome.CONFIRMED_NOT_DONE


def test_no_trace_so_soon_after_the_lost_answer_is_still_unknown(requests_mock, context) -> None:
    # The default grace: the request may still be running upstream.
    CASES["cancel"].send(requests_mock, context)
    CASES["cancel"].upstream_says(requests_mock, False)
    follow_up = audit_outcome_reconcile(context=context, event=_unknown())
    assert follow_up.outcome == Outcome.STILL_UNKNOWN
    assert "too soon to be sure" in follow_up.message


def test_purged_messages_back_after_a_run_cannot_be_told_apart(
    requests_mock, context, settings
) -> None:
    settings.AUDIT_RECONCILE_GRACE_SECONDS = 0
    CASES["purge"].send(requests_mock, context)
    requests_mock.get(migration_url("/migrate/dead-letter-queue/VISITS/count"), text="7")
    since = (timezone.now() + dt.timedelta(minutes=1)).astimezone(LONDON)
    requests_mock.get(
        migration_url("/migrate/history/all/VISITS"),
        json=[HistoryRowFactory(migrationId=since.strftime("%Y-%m-%dT%H:%M:%S"))],
    )
    follow_up = audit_outcome_reconcile(context=context, event=_unknown())
    assert follow_up.outcome == Outcome.STILL_UNKNOWN
    assert "has run since" in follow_up.message


def test_a_recount_stays_unknown_and_says_it_is_safe_to_repeat(requests_mock, context) -> None:
    _run(
        requests_mock,
        "POST",
        migration_url(f"/migrate/refresh/{ENCODED}"),
        lambda: migration_refresh_counts(
            context=context, migration_type=VISITS, migration_id=MIGRATION_ID
        ),
    )
    follow_up = audit_outcome_reconcile(context=context, event=_unknown())
    assert follow_up.outcome == Outcome.STILL_UNKNOWN
    assert "safe to refresh the counts again" in follow_up.message


def test_upstream_that_cannot_be_asked_leaves_it_still_unknown(requests_mock, context) -> None:
    CASES["cancel"].send(requests_mock, context)
    requests_mock.get(migration_url(f"/migrate/history/{ENCODED}"), status_code=503)
    follow_up = audit_outcome_reconcile(context=context, event=_unknown())
    assert follow_up.outcome == Outcome.STILL_UNKNOWN
    assert "The migration service could not be asked" in follow_up.message


def test_a_settled_attempt_is_not_checked_again(requests_mock, context) -> None:
    CASES["activate-prison"].send(requests_mock, context)
    _switch_says(requests_mock, True)
    unknown = _unknown()
    audit_outcome_reconcile(context=context, event=unknown)
    calls = requests_mock.call_count
    with pytest.raises(NotUnknown):
        audit_outcome_reconcile(context=context, event=unknown)
    assert requests_mock.call_count == calls
    assert AuditEvent.objects.count() == 3


def test_an_attempt_whose_answer_came_back_has_nothing_to_settle(requests_mock, context) -> None:
    requests_mock.post(
        migration_url("/migrate/visits"),
        status_code=202,
        json={"migrationId": MIGRATION_ID, "estimatedCount": 1, "body": {}},
    )
    migration_start(context=context, migration_type=VISITS, filter=VISITS_FILTER)
    with pytest.raises(NotUnknown):
        audit_outcome_reconcile(
            context=context, event=AuditEvent.objects.get(outcome=Outcome.SUCCEEDED)
        )


# -- manage.py audit_verify --reconcile


def test_audit_verify_reconcile_settles_what_it_can_and_fails_while_any_is_left(
    requests_mock, context, settings, capsys
) -> None:
    settings.AUDIT_RECONCILE_GRACE_SECONDS = 0
    CASES["activate-prison"].send(requests_mock, context)
    _switch_says(requests_mock, True)
    CASES["cancel"].send(requests_mock, context)
    requests_mock.get(migration_url(f"/migrate/history/{ENCODED}"), status_code=503)

    with pytest.raises(CommandError, match="1 have an unknown outcome"):
        call_command("audit_verify", "--reconcile")
    out = capsys.readouterr().out
    assert "confirmed done" in out and "switch is on for MDI" in out
    assert "still unknown" in out and "could not be asked" in out
    assert "1 settled, 1 still unknown" in out
    checker = AuditEvent.objects.get(outcome=Outcome.CONFIRMED_DONE)
    assert checker.username == COMMAND_CHECKER.username

    # The migration service answers again: the next run settles the rest and passes.
    CASES["cancel"].upstream_says(requests_mock, True)
    call_command("audit_verify", "--reconcile")
    assert "No audit events with an unknown outcome." in capsys.readouterr().out


def test_audit_verify_without_reconcile_lists_only_unsettled_outcomes(
    requests_mock, context, capsys
) -> None:
    CASES["activate-prison"].send(requests_mock, context)
    _switch_says(requests_mock, True)
    with pytest.raises(CommandError):
        call_command("audit_verify")
    audit_outcome_reconcile(context=context, event=_unknown())
    call_command("audit_verify")
    assert "No audit events with an unknown outcome." in capsys.readouterr().out


# -- The audit pages: "Check what happened", and the settled outcome beside the original


def _audit_client(user: Any) -> Client:
    return sign_in(Client(), user)


def test_the_event_page_offers_the_check_and_records_what_it_finds(
    requests_mock, context, syscon_user, settings
) -> None:
    settings.AUDIT_RECONCILE_GRACE_SECONDS = 0
    CASES["add-room-mapping"].send(requests_mock, context)
    unknown = _unknown()
    client = _audit_client(syscon_user)
    page = client.get(f"/audit/{unknown.pk}/").content.decode()
    assert 'data-qa="check-what-happened"' in page
    assert f'action="/audit/{unknown.pk}/check"' in page

    _rooms_say(mapped=True)(requests_mock, True)
    response = client.post(f"/audit/{unknown.pk}/check")
    assert response.status_code == 302
    assert response["Location"] == f"/audit/{unknown.pk}/?checked=1"
    checked = client.get(response["Location"]).content.decode()
    assert 'data-qa="checked-outcome">Confirmed done' in checked
    assert "R1 at MDI is mapped to Hall." in checked
    assert 'data-qa="check-what-happened"' not in checked
    assert checked.count('data-qa="attempt-row"') == 3  # requested, unknown, confirmed

    log = client.get("/audit/").content.decode()
    assert 'data-qa="settled-outcome">Checked: <strong class="govuk-tag govuk-tag--green">' in log
    assert f'href="/audit/{unknown.pk}/"' in log


def test_the_check_needs_the_audit_permission_and_a_post(
    requests_mock, context, visits_user, syscon_user
) -> None:
    CASES["add-room-mapping"].send(requests_mock, context)
    unknown = _unknown()
    visits = _audit_client(visits_user)
    assert visits.get(f"/audit/{unknown.pk}/").status_code == 403
    assert visits.post(f"/audit/{unknown.pk}/check").status_code == 403
    assert _audit_client(syscon_user).get(f"/audit/{unknown.pk}/check").status_code == 405
    assert AuditEvent.objects.count() == 2


def test_the_check_is_csrf_protected(requests_mock, context, syscon_user) -> None:
    CASES["add-room-mapping"].send(requests_mock, context)
    client = sign_in(Client(enforce_csrf_checks=True), syscon_user)
    assert client.post(f"/audit/{_unknown().pk}/check").status_code == 403
    assert AuditEvent.objects.count() == 2


def test_an_unknown_event_page_is_not_found(syscon_user) -> None:
    assert _audit_client(syscon_user).get("/audit/999999/").status_code == 404
