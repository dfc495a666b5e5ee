"""The overview (issue 29): what is in flight, each type's last run and the failures waiting, for
the types the user may see, with the migration service mocked at HTTP.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache

from kernel import caching
from migrations_ui import types
from migrations_ui.models import AuditEvent
from migrations_ui.overview.selectors import overview_read
from tests.factories import AuditEventFactory, HistoryRowFactory, InProgressFactory
from tests.unit.conftest_visits import migration_url, sign_in
from upstream.deadline import STATUS_UNAVAILABLE

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

RUNNING_ID = "2024-01-01T10:00:00"
ENDED_ID = "2023-12-01T09:00:00"
VISITS = types.get("visits")
SENTENCING = types.get("court_sentencing")
ACTIVITIES = types.get("activities")


@pytest.fixture
def shared_figures(settings: Any) -> Any:
    """Figures shared through the cache for 5 s, as deployed (other tests read them every time)."""
    settings.OVERVIEW_FIGURES_SECONDS = 5
    cache.clear()
    yield
    cache.clear()


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def active_url(upstream_type: str) -> str:
    return migration_url(f"/migrate/history/active/{upstream_type}")


def never_run(dead_letters: int = 0) -> dict[str, Any]:
    """M5 of a type without any migration yet: only the queue counts (upstream-api.md §3.6)."""
    return {
        "recordsMigrated": None,
        "toBeProcessedCount": 0,
        "beingProcessedCount": 0,
        "recordsFailed": dead_letters,
        "migrationId": None,
        "whenStarted": None,
        "estimatedRecordCount": None,
        "migrationType": None,
        "status": None,
    }


def mock_never_run(requests_mock: Any, *, dead_letters: int = 0) -> None:
    """Every type answers M5 as a type without any migration yet."""
    for t in types.REGISTERED:
        requests_mock.get(active_url(t.upstream_type), json=never_run(dead_letters))


def mock_running(
    requests_mock: Any,
    t: Any,
    migration_id: str = RUNNING_ID,
    *,
    migrated: int = 250,
    failed: int = 50,
    estimated: int = 1000,
    stored_filter: dict[str, Any] | None = None,
) -> Any:
    """M5 and M4 of a migration of type `t` in progress; returns M4's mock."""
    requests_mock.get(
        active_url(t.upstream_type),
        json=InProgressFactory(
            migrationId=migration_id,
            migrationType=t.upstream_type,
            recordsMigrated=migrated,
            recordsFailed=failed,
            estimatedRecordCount=estimated,
        ),
    )
    return requests_mock.get(
        row_url(migration_id),
        json=HistoryRowFactory(
            migrationId=migration_id,
            migrationType=t.upstream_type,
            status="STARTED",
            estimatedRecordCount=estimated,
            stored_filter=stored_filter or {},
        ),
    )


def mock_ended(requests_mock: Any, t: Any, migration_id: str = ENDED_ID, **row: Any) -> Any:
    requests_mock.get(
        active_url(t.upstream_type),
        json=InProgressFactory(
            migrationId=migration_id,
            migrationType=t.upstream_type,
            status=row.get("status", "COMPLETED"),
            recordsFailed=row.pop("dead_letters", 0),
        ),
    )
    return requests_mock.get(
        row_url(migration_id),
        json=HistoryRowFactory(migrationId=migration_id, migrationType=t.upstream_type, **row),
    )


def row_url(migration_id: str) -> str:
    return migration_url(f"/migrate/history/{quote(migration_id, safe='')}")


def calls_by_type(requests_mock: Any) -> dict[str, int]:
    """Upstream requests made, by the migration type their path names."""
    counts: dict[str, int] = {}
    for request in requests_mock.request_history:
        found = re.search(r"/migrate/history/active/([a-z_]+)$", request.path, re.IGNORECASE)
        key = found.group(1).upper() if found else request.path
        counts[key] = counts.get(key, 0) + 1
    return counts


# -- Permissions: only the types the user may see, and no call for any other


def test_a_user_with_one_role_sees_only_that_type_and_no_other_type_is_asked(
    client, visits_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    mock_running(requests_mock, VISITS)
    page = text(sign_in(client, visits_user).get("/overview/"))
    assert [r.url for r in requests_mock.request_history] == [
        active_url("VISITS"),
        row_url(RUNNING_ID),
    ]
    assert page.count('data-qa="last-run"') == 1
    assert 'data-type="visits"' in page
    assert "Court sentencing" not in page
    # Every upstream call carries the user's own name (a system token per user).
    assert {username for username, _ in tokens.issued} == {"VISITS_USER"}


def test_the_selector_reads_only_the_types_of_a_user_with_one_role(
    sentencing_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    overview = overview_read(user=sentencing_user)
    assert [row.migration_type for row in overview.types] == [SENTENCING]
    assert calls_by_type(requests_mock) == {"COURT_SENTENCING": 1}


def test_syscon_sees_every_type(client, syscon_user, tokens, requests_mock):
    mock_never_run(requests_mock, dead_letters=3)
    page = text(sign_in(client, syscon_user).get("/overview/"))
    assert calls_by_type(requests_mock) == {t.upstream_type: 1 for t in types.REGISTERED}
    assert page.count('data-qa="last-run"') == len(types.REGISTERED)
    assert page.count('data-qa="never-run"') == len(types.REGISTERED)
    assert page.count('data-qa="dead-letter-count">3<') == len(types.REGISTERED)
    assert 'data-qa="none-in-flight"' in page


def test_a_user_without_any_type_is_refused_and_not_offered_the_link(
    client, no_role_user, tokens, requests_mock
):
    signed_in = sign_in(client, no_role_user)
    response = signed_in.get("/overview/")
    assert response.status_code == 403
    assert "MIGRATE_VISITS" in text(response)
    assert signed_in.get("/overview/in-flight").status_code == 403
    home = text(signed_in.get("/"))
    assert 'data-qa="overview-link"' not in home
    assert 'data-qa="header-overview-link"' not in home
    assert requests_mock.request_history == []


def test_home_and_the_header_link_to_the_overview_first(client, visits_user, tokens):
    home = text(sign_in(client, visits_user).get("/"))
    header_link = home.index('data-qa="header-overview-link"')
    assert home.index('href="/overview/"') <= header_link
    # In the header, before the user's own links; on the page, before the tiles.
    assert header_link < home.index('data-qa="header-user-name"')
    assert home.index('data-qa="overview-link"') < home.index('data-qa="tiles"')


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get("/overview/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in?next=/overview/")


# -- What each section shows


def test_a_migration_in_flight_shows_its_progress_filter_starter_and_link(
    client, syscon_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    mock_running(
        requests_mock,
        VISITS,
        migrated=250,
        failed=50,
        estimated=1000,
        stored_filter={"prisonIds": ["HEI"], "visitTypes": ["SCON"]},
    )
    requested = AuditEventFactory(
        migration_type="VISITS",
        migration_id="",
        outcome=AuditEvent.Outcome.REQUESTED,
        username="SYSCON_USER",
        display_name="Sam Syscon",
    )
    AuditEventFactory(attempt_id=requested.attempt_id, migration_id=RUNNING_ID)
    page = text(sign_in(client, syscon_user).get("/overview/"))
    assert page.count('data-qa="in-flight-row"') == 1
    card = page[page.index('data-qa="in-flight-row"') :]
    assert f'href="/visits-migration/{RUNNING_ID}/"' in card
    assert "30% processed" in card  # migrated and failed, of the estimate
    assert "250 migrated and" in card and "50 failed, of 1,000 estimated" in card
    assert re.search(r'<rect class="app-progress-bar__migrated" width="25.0"', card)
    assert re.search(r'<rect class="app-progress-bar__failed" x="25.0" width="5.0"', card)
    assert 'data-qa="filter-prisons">Prisons: HEI<' in card
    assert 'data-qa="started-by">Sam Syscon (SYSCON_USER)<' in card
    assert re.search(r'data-qa="started-ago">[^<]+ ago<', card)
    assert 'data-qa="rate">' in card and "records a minute" in card


def test_a_migration_whose_estimate_is_unknown_shows_no_bar(
    client, syscon_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    mock_running(requests_mock, VISITS, estimated=0)
    page = text(sign_in(client, syscon_user).get("/overview/"))
    assert page.count('data-qa="in-flight-row"') == 1
    assert "app-progress-bar__migrated" not in page
    assert "The estimate is not known." in page


def test_the_last_run_shows_status_counts_when_and_who(client, syscon_user, tokens, requests_mock):
    mock_never_run(requests_mock)
    mock_ended(
        requests_mock,
        SENTENCING,
        status="COMPLETED",
        recordsMigrated=90,
        recordsFailed=10,
        estimatedRecordCount=100,
    )
    AuditEventFactory(
        migration_type="COURT_SENTENCING",
        migration_id=ENDED_ID,
        outcome=AuditEvent.Outcome.SUCCEEDED,
        username="SENTENCING_USER",
        display_name="Sid Sentencing",
    )
    page = text(sign_in(client, syscon_user).get("/overview/"))
    row = re.search(r'data-qa="last-run" data-type="court_sentencing">(.*?)</tr>', page).group(1)
    assert ">COMPLETED<" in row
    assert "90 migrated, 10 failed, of 100 estimated" in row
    assert "Started 1 Dec 2023, 09:00, ended 1 Dec 2023, 09:00" in row
    assert "Sid Sentencing (SENTENCING_USER)" in row
    assert f'href="/court-sentencing-migration/{ENDED_ID}/"' in row
    # Ended: not in flight.
    assert 'data-qa="in-flight-row"' not in page


def test_failures_waiting_link_to_each_types_failures_page_or_app_insights(
    client, syscon_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    mock_ended(requests_mock, VISITS, dead_letters=7)
    mock_running(requests_mock, ACTIVITIES, "2024-02-01T10:00:00", failed=4)
    page = text(sign_in(client, syscon_user).get("/overview/"))
    visits = re.search(r'data-qa="dead-letters" data-type="visits">(.*?)</tr>', page).group(1)
    assert 'data-qa="dead-letter-count">7<' in visits
    assert 'href="/visits-migration/failures/"' in visits
    activities = re.search(r'data-qa="dead-letters" data-type="activities">(.*?)</tr>', page)
    assert 'data-qa="dead-letter-count">4<' in activities.group(1)
    assert 'data-qa="insights-failures-link"' in activities.group(1)
    assert 'target="_blank"' in activities.group(1)


# -- Fast, and honest when something is slow


def test_a_type_that_fails_says_unavailable_on_its_own_rows(
    client, syscon_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    mock_running(requests_mock, VISITS)
    requests_mock.get(active_url("COURT_SENTENCING"), status_code=500)
    page = text(sign_in(client, syscon_user).get("/overview/"))
    sentencing = re.search(r'data-qa="last-run" data-type="court_sentencing">(.*?)</tr>', page)
    assert STATUS_UNAVAILABLE in sentencing.group(1)
    failures = re.search(r'data-qa="dead-letters" data-type="court_sentencing">(.*?)</tr>', page)
    assert STATUS_UNAVAILABLE in failures.group(1)
    assert "Court sentencing: whether a migration is in flight could not be checked" in page
    assert "did not answer in time for: Court sentencing." in page
    # The rest still show.
    assert page.count('data-qa="in-flight-row"') == 1
    assert page.count('data-qa="type-unavailable"') == 3
    assert page.count('data-qa="never-run"') == len(types.REGISTERED) - 2


def slowed(monkeypatch: Any, delay: Any) -> None:
    """M5 waits `delay(upstream_type)` before it is sent.

    requests-mock answers one request at a time (a global lock), so an answer held back in its
    callback would hold back every other type's too: the wait is put just above it.
    """
    from migrations_ui.clients.migration_api import MigrationApiClient

    original = MigrationApiClient.active

    def active(self: Any, upstream_type: str) -> Any:
        delay(upstream_type)
        return original(self, upstream_type)

    monkeypatch.setattr(MigrationApiClient, "active", active)


def test_a_slow_type_is_unavailable_once_the_budget_is_spent(
    client, syscon_user, tokens, requests_mock, settings, monkeypatch
):
    settings.OPTIONAL_CALL_BUDGET_SECONDS = 0.3
    mock_never_run(requests_mock)
    answer = threading.Event()
    slowed(monkeypatch, lambda upstream_type: upstream_type == "VISITS" and answer.wait(5))
    signed_in = sign_in(client, syscon_user)
    started = time.monotonic()
    try:
        page = text(signed_in.get("/overview/"))
    finally:
        answer.set()
    assert time.monotonic() - started < 1.2
    visits = re.search(r'data-qa="last-run" data-type="visits">(.*?)</tr>', page).group(1)
    assert STATUS_UNAVAILABLE in visits
    assert page.count('data-qa="never-run"') == len(types.REGISTERED) - 1
    assert "did not answer in time for: Visits." in page


def test_the_calls_of_every_type_run_side_by_side(
    client, syscon_user, tokens, requests_mock, settings, monkeypatch
):
    """Eleven types each taking 0.2 s are read in well under a second, not in 2.2 s."""
    settings.OPTIONAL_CALL_BUDGET_SECONDS = 1.0
    mock_never_run(requests_mock)
    slowed(monkeypatch, lambda upstream_type: time.sleep(0.2))
    signed_in = sign_in(client, syscon_user)
    started = time.monotonic()
    page = text(signed_in.get("/overview/"))
    assert time.monotonic() - started < 0.9
    assert 'data-qa="type-unavailable"' not in page
    assert page.count('data-qa="never-run"') == len(types.REGISTERED)


def test_the_page_says_when_its_figures_were_read(client, syscon_user, tokens, requests_mock):
    mock_never_run(requests_mock)
    before = time.time()
    page = text(sign_in(client, syscon_user).get("/overview/"))
    shown = re.findall(r'data-qa="read-at">(\d\d:\d\d:\d\d)<', page)
    from kernel.formatting import clock

    assert len(shown) == 2  # the in-flight part and the rest
    assert set(shown) <= {clock(before), clock(time.time())}


def test_an_unreadable_audit_log_leaves_started_by_unavailable(
    client, syscon_user, tokens, requests_mock, monkeypatch
):
    from django.db import DatabaseError

    def unreadable(**kwargs: Any) -> None:
        raise DatabaseError("canceling statement due to statement timeout")

    monkeypatch.setattr("migrations_ui.overview.selectors.audit_started_by", unreadable)
    mock_never_run(requests_mock)
    mock_running(requests_mock, VISITS)
    page = text(sign_in(client, syscon_user).get("/overview/"))
    assert page.count('data-qa="in-flight-row"') == 1
    assert 'data-qa="started-by-status">Status unavailable<' in page


def test_a_migration_seen_in_progress_is_not_read_again_with_m4(
    client, syscon_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    row = mock_running(requests_mock, VISITS)
    signed_in = sign_in(client, syscon_user)
    signed_in.get("/overview/")
    signed_in.get("/overview/")
    assert row.call_count == 1
    assert calls_by_type(requests_mock)["VISITS"] == 2


# -- Shared for at most a few seconds, by type


def test_figures_are_shared_between_users_by_type_for_a_few_seconds(
    client, visits_user, syscon_user, tokens, requests_mock, shared_figures, monkeypatch
):
    mock_never_run(requests_mock)
    sign_in(client, visits_user).get("/overview/")
    assert calls_by_type(requests_mock) == {"VISITS": 1}
    # Another user, another worker: only the types not read yet are asked for.
    client.logout()
    caching.reset()
    signed_in = sign_in(client, syscon_user)
    signed_in.get("/overview/")
    assert calls_by_type(requests_mock) == {t.upstream_type: 1 for t in types.REGISTERED}
    # Past the lifetime every type is read again.
    later = time.time() + 5.5
    monkeypatch.setattr("migrations_ui.overview.selectors.time.time", lambda: later)
    signed_in.get("/overview/")
    assert calls_by_type(requests_mock) == {t.upstream_type: 2 for t in types.REGISTERED}


def test_a_dashboard_action_makes_the_shared_figures_stale_at_once(
    client, syscon_user, tokens, requests_mock, shared_figures
):
    mock_never_run(requests_mock)
    signed_in = sign_in(client, syscon_user)
    signed_in.get("/overview/")
    signed_in.get("/overview/")
    assert calls_by_type(requests_mock)["VISITS"] == 1
    caching.upstream_changed()
    signed_in.get("/overview/")
    assert calls_by_type(requests_mock)["VISITS"] == 2


def test_failures_are_not_shared(client, syscon_user, tokens, requests_mock, shared_figures):
    mock_never_run(requests_mock)
    requests_mock.get(active_url("VISITS"), status_code=503)
    signed_in = sign_in(client, syscon_user)
    signed_in.get("/overview/")
    requests_mock.get(active_url("VISITS"), json=never_run())
    page = text(signed_in.get("/overview/"))
    assert 'data-qa="type-unavailable"' not in page


# -- Refreshing without reloading


def test_the_in_flight_fragment_is_the_part_the_page_refreshes(
    client, syscon_user, tokens, requests_mock
):
    mock_never_run(requests_mock)
    mock_running(requests_mock, VISITS)
    signed_in = sign_in(client, syscon_user)
    page = text(signed_in.get("/overview/"))
    assert 'id="migration-progress" data-progress-url="/overview/in-flight"' in page
    assert re.search(r'<script src="/assets/js/migration-progress[^"]*\.js"', page)
    fragment = text(signed_in.get("/overview/in-flight"))
    assert fragment.lstrip().startswith('<div data-qa="in-flight" data-running="true">')
    assert fragment.count('data-qa="in-flight-row"') == 1
    assert "<html" not in fragment and "Last run of each type" not in fragment
    # Without JavaScript the page has a Refresh button that reloads it.
    assert 'href="/overview/" role="button"' in fragment


def test_the_details_page_shows_the_progress_bar(client, syscon_user, tokens, requests_mock):
    mock_running(requests_mock, VISITS, migrated=500, failed=0, estimated=1000)
    page = text(sign_in(client, syscon_user).get(f"/visits-migration/{RUNNING_ID}/"))
    assert "50% processed" in page
    assert re.search(r'<rect class="app-progress-bar__migrated" width="50.0"', page)
    assert 'aria-hidden="true"' in page[page.index("app-progress-bar__graphic") - 40 :][:300]


def test_the_details_page_of_a_migration_without_an_estimate_shows_no_bar(
    client, syscon_user, tokens, requests_mock
):
    mock_running(requests_mock, VISITS, estimated=0)
    page = text(sign_in(client, syscon_user).get(f"/visits-migration/{RUNNING_ID}/"))
    assert 'data-qa="migratedCount"' in page
    assert "app-progress-bar" not in page


@pytest.mark.parametrize(
    ("migrated", "failed", "estimated", "bar"),
    [
        (250, 50, 1000, (25.0, 5.0, 30)),
        # Failures left over from earlier runs fill what is left of the bar, never more.
        (900, 300, 1000, (90.0, 10.0, 100)),
        (1200, None, 1000, (100.0, 0.0, 100)),
        # "100 %" only once everything is processed.
        (999, 0, 1000, (99.9, 0.0, 99)),
        (10, 0, 0, None),
    ],
)
def test_the_bar_is_migrated_and_failed_against_the_estimate(migrated, failed, estimated, bar):
    from migrations_ui.clients.migration_api import MigrationHistory
    from migrations_ui.selectors.progress import ended_progress

    row = MigrationHistory.from_json(
        HistoryRowFactory(
            recordsMigrated=migrated, recordsFailed=failed, estimatedRecordCount=estimated
        )
    )
    found = ended_progress(row).bar
    shown = (found.migrated_percent, found.failed_percent, found.done_percent) if found else None
    assert shown == bar


@pytest.mark.parametrize("value", ["6", "-1"])
def test_the_figures_are_shared_for_at_most_5_seconds(value: str) -> None:
    from tests.conftest import run_manage
    from tests.unit.test_settings import PRODUCTION

    result = run_manage("check", env={**PRODUCTION, "OVERVIEW_FIGURES_SECONDS": value})
    assert result.returncode != 0
    assert "OVERVIEW_FIGURES_SECONDS must be from 0 to 5." in result.stderr
