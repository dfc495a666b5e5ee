"""The per-process history cache: fresh, stale-while-revalidate, and staleness after actions."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache

import upstream
from kernel.caching import BriefValues, StaleWhileRevalidate, cache_key, upstream_changed


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


class Source:
    """Counts fetches; each returns a new version number."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self) -> int:
        time.sleep(self.delay)
        with self.lock:
            self.calls += 1
            return self.calls


def wait_for(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_fresh_copy_is_served_without_fetching_again() -> None:
    swr: StaleWhileRevalidate[int] = StaleWhileRevalidate(fresh_seconds=60, max_stale_seconds=120)
    source = Source()
    assert swr.get("k", source).value == 1
    assert swr.get("k", source).value == 1
    assert source.calls == 1


def test_a_stale_copy_is_served_at_once_and_refreshed_in_the_background() -> None:
    swr: StaleWhileRevalidate[int] = StaleWhileRevalidate(fresh_seconds=0.05, max_stale_seconds=60)
    source = Source(delay=0.2)
    assert swr.get("k", source).value == 1
    time.sleep(0.06)
    started = time.monotonic()
    assert swr.get("k", source).value == 1  # stale, but no wait for the 0.2 s fetch
    assert time.monotonic() - started < 0.1
    wait_for(lambda: swr.get("k", source).value == 2)
    assert source.calls == 2


def test_a_copy_older_than_the_stale_limit_is_fetched_in_the_request() -> None:
    swr: StaleWhileRevalidate[int] = StaleWhileRevalidate(
        fresh_seconds=0.01, max_stale_seconds=0.02
    )
    source = Source()
    swr.get("k", source)
    time.sleep(0.03)
    assert swr.get("k", source).value == 2


def test_an_action_makes_every_copy_stale_at_once() -> None:
    swr: StaleWhileRevalidate[int] = StaleWhileRevalidate(fresh_seconds=60, max_stale_seconds=120)
    source = Source()
    swr.get("k", source)
    upstream_changed()
    assert swr.get("k", source).value == 2
    upstream_changed()
    upstream_changed()
    assert swr.get("k", source).value == 3


def test_concurrent_misses_share_one_fetch() -> None:
    swr: StaleWhileRevalidate[int] = StaleWhileRevalidate(fresh_seconds=60, max_stale_seconds=120)
    source = Source(delay=0.1)
    barrier = threading.Barrier(8)
    results: list[int] = []

    def read() -> None:
        barrier.wait()
        results.append(swr.get("k", source).value)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 8
    assert source.calls == 1


def test_a_failed_background_refresh_keeps_the_stale_copy() -> None:
    swr: StaleWhileRevalidate[int] = StaleWhileRevalidate(fresh_seconds=0.01, max_stale_seconds=60)
    calls = []

    def fetch() -> int:
        calls.append(1)
        if len(calls) > 1:
            raise upstream.Unavailable("migration service", "could not be reached")
        return 1

    swr.get("k", fetch)
    time.sleep(0.02)
    assert swr.get("k", fetch).value == 1
    wait_for(lambda: len(calls) == 2)
    assert swr.get("k", fetch).value == 1


def test_keys_differ_by_query_parameters() -> None:
    assert cache_key("VISITS", {"prisonId": "HEI"}) != cache_key("VISITS", {"prisonId": "MDI"})
    assert cache_key("VISITS", {"a": ["x"], "b": 1}) == cache_key("VISITS", {"b": 1, "a": ["x"]})


def test_only_the_newest_entries_are_kept() -> None:
    swr: StaleWhileRevalidate[int] = StaleWhileRevalidate(
        fresh_seconds=60, max_stale_seconds=120, max_entries=2
    )
    source = Source()
    for key in ("a", "b", "c"):
        swr.get(key, source)
    assert swr.get("c", source).value == 3
    assert swr.get("a", source).value == 4  # "a" was dropped, so it is fetched again


# -- The history page on top of it

pytest_plugins = ["tests.unit.conftest_visits"]


@pytest.fixture
def caching_history(monkeypatch):
    from kernel import caching

    monkeypatch.setattr(caching.history, "fresh_seconds", 60)
    monkeypatch.setattr(caching.history, "max_stale_seconds", 120)
    caching.history.clear()
    yield
    caching.history.clear()


@pytest.mark.django_db
def test_history_comes_from_the_workers_copy_until_the_dashboard_acts(
    caching_history, visits_client, requests_mock
) -> None:
    from tests.unit.conftest_visits import history_json, migration_url

    history = migration_url("/migrate/history/all/VISITS")
    requests_mock.get(history, json=[history_json("2024-01-01T10:00:00")])
    assert visits_client.get("/visits-migration/").content.decode().count("migration-row") == 1
    requests_mock.get(
        history, json=[history_json("2024-01-02T10:00:00"), history_json("2024-01-01T10:00:00")]
    )
    html = visits_client.get("/visits-migration/").content.decode()
    assert html.count('data-qa="migration-row"') == 1
    assert 'data-qa="fetched-at">As of ' in html
    upstream_changed()  # what every start, cancel, refresh and purge does
    assert visits_client.get("/visits-migration/").content.decode().count("migration-row") == 2


@pytest.mark.django_db
def test_only_the_rows_shown_are_parsed(visits_client, requests_mock) -> None:
    from tests.unit.conftest_visits import history_json, migration_url

    rows = [history_json(f"2024-01-01T10:{m:02d}:{s:02d}") for m in range(2) for s in range(60)]
    rows[100] = {"not": "a migration"}  # on page 3, not page 1
    requests_mock.get(migration_url("/migrate/history/all/VISITS"), json=rows)
    assert visits_client.get("/visits-migration/").status_code == 200
    response = visits_client.get("/visits-migration/?page=3")
    assert response.status_code == 502
    assert "could not read" in response.content.decode()


def test_a_generation_memo_recomputes_only_after_an_action() -> None:
    from kernel.caching import GenerationMemo

    memo: GenerationMemo[int] = GenerationMemo()
    source = Source()
    assert memo.get("page-1", source) == 1
    assert memo.get("page-1", source) == 1
    assert memo.get("page-2", source) == 2
    upstream_changed()
    assert memo.get("page-1", source) == 3


@pytest.mark.django_db
def test_who_started_each_migration_is_not_queried_again_until_the_dashboard_acts(
    visits_client, requests_mock, django_assert_num_queries, assert_audit_reads
) -> None:
    from tests.unit.conftest_visits import history_json, migration_url

    requests_mock.get(
        migration_url("/migrate/history/all/VISITS"), json=[history_json("2024-01-01T10:00:00")]
    )
    visits_client.get("/visits-migration/")  # warm: the user, and the started-by query
    with django_assert_num_queries(0):
        visits_client.get("/visits-migration/")
    upstream_changed()
    with assert_audit_reads(1):
        visits_client.get("/visits-migration/")


@pytest.mark.django_db
def test_a_history_page_reads_the_action_generation_once(
    visits_client, requests_mock, monkeypatch
) -> None:
    """The list and the started-by memo share one read of the counter (a Redis round trip)."""
    from kernel import caching
    from tests.unit.conftest_visits import history_json, migration_url

    requests_mock.get(
        migration_url("/migrate/history/all/VISITS"), json=[history_json("2024-01-01T10:00:00")]
    )
    visits_client.get("/visits-migration/")  # warm: the user, the list, the started-by memo
    reads = []
    real = caching.upstream_generation

    def counted() -> int:
        reads.append(1)
        return real()

    monkeypatch.setattr(caching, "upstream_generation", counted)
    html = visits_client.get("/visits-migration/").content.decode()
    assert 'data-qa="migration-id">2024-01-01T10:00:00<' in html
    assert len(reads) == 1
    # After an action, once again (that the memo then recomputes is shown by the test above).
    upstream_changed()
    visits_client.get("/visits-migration/")
    assert len(reads) == 2


# -- Polling a running migration


@pytest.mark.django_db
def test_polling_a_running_migration_asks_only_for_live_figures(
    visits_client, requests_mock
) -> None:
    from tests.unit.conftest_visits import active_json, history_json, migration_url

    migration_id = "2024-01-01T10:00:00"
    row = requests_mock.get(
        migration_url("/migrate/history/2024-01-01T10%3A00%3A00"),
        json=history_json(migration_id, status="STARTED", ended=None, estimated=5000),
    )
    requests_mock.get(
        migration_url("/migrate/history/active/VISITS"),
        json=active_json(migration_id, migrated=1000),
    )
    visits_client.get(f"/visits-migration/{migration_id}/")
    assert row.call_count == 1
    live = requests_mock.get(
        migration_url("/migrate/history/active/VISITS"),
        json=active_json(migration_id, migrated=2500),
    )
    html = visits_client.get(f"/visits-migration/{migration_id}/progress").content.decode()
    assert 'data-qa="migratedCount">2,500' in html
    assert live.call_count == 1
    assert row.call_count == 1  # the row's fixed parts were remembered


@pytest.mark.django_db
def test_once_live_figures_name_another_state_the_row_is_read_again(
    visits_client, requests_mock
) -> None:
    from tests.unit.conftest_visits import active_json, history_json, migration_url

    migration_id = "2024-01-01T10:00:00"
    row = requests_mock.get(
        migration_url("/migrate/history/2024-01-01T10%3A00%3A00"),
        json=history_json(migration_id, status="STARTED", ended=None),
    )
    requests_mock.get(
        migration_url("/migrate/history/active/VISITS"), json=active_json(migration_id)
    )
    visits_client.get(f"/visits-migration/{migration_id}/")
    # It completed: M5 says so, and the page shows the row's final state.
    requests_mock.get(
        migration_url("/migrate/history/active/VISITS"),
        json=active_json(migration_id, status="COMPLETED"),
    )
    row = requests_mock.get(
        migration_url("/migrate/history/2024-01-01T10%3A00%3A00"),
        json=history_json(migration_id, status="COMPLETED", migrated=4321),
    )
    html = visits_client.get(f"/visits-migration/{migration_id}/progress").content.decode()
    assert row.call_count == 1
    assert "COMPLETED" in html
    assert "4,321" in html


@pytest.mark.django_db
def test_a_refresh_whose_body_is_unchanged_keeps_the_rows_already_decoded(
    caching_history, visits_client, visits_user, requests_mock
) -> None:
    from kernel import caching
    from migrations_ui import types
    from migrations_ui.selectors.history import migration_history
    from tests.unit.conftest_visits import history_json, migration_url

    history = migration_url("/migrate/history/all/VISITS")
    requests_mock.get(history, json=[history_json("2024-01-01T10:00:00")])
    visits = types.get("visits")

    def rows():
        caching.history.clear()  # as when the copy is old: the list is asked for again
        return migration_history(user=visits_user, migration_type=visits, params={}).rows

    first = rows()
    again = rows()
    assert requests_mock.call_count == 2
    assert again is first
    requests_mock.get(
        history, json=[history_json("2024-01-02T10:00:00"), history_json("2024-01-01T10:00:00")]
    )
    changed = rows()
    assert changed is not first
    assert [r.migration.migration_id for r in changed] == [
        "2024-01-02T10:00:00",
        "2024-01-01T10:00:00",
    ]
    # The page shows the new list.
    caching.history.clear()
    assert visits_client.get("/visits-migration/").content.decode().count("migration-row") == 2


def test_brief_values_answer_a_kept_value_at_once_and_fetch_again_once_it_is_old(
    monkeypatch,
) -> None:
    """The home page's Running tags: a value kept for a few seconds is answered at once, with no
    task on the shared executor; an older one is fetched again there."""
    values = BriefValues(seconds=0.2)
    source = Source()
    real_executor = upstream.executor
    submitted: list[object] = []

    def counting_executor():
        submitted.append(object())
        return real_executor()

    monkeypatch.setattr(upstream, "executor", counting_executor)
    assert values.submit("key", source).result(timeout=2) == 1
    assert [values.submit("key", source).result(timeout=0) for _ in range(3)] == [1, 1, 1]
    assert (source.calls, len(submitted)) == (1, 1)
    time.sleep(0.25)
    assert values.submit("key", source).result(timeout=2) == 2
    assert len(submitted) == 2
