"""The visits pages through Django's test client, with the upstreams mocked at the HTTP boundary."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
import requests
from django.core.cache import cache

from migrations_ui.clients.migration_api import MigrationApiClient
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.views import FIGURES_SLOT, DetailsView
from tests.unit.conftest_visits import (
    active_json,
    dlq_message_json,
    history_json,
    migration_url,
    nomis_url,
    page_json,
    sign_in,
)

# Fixtures shared by the visits tests.
pytest_plugins = ["tests.unit.conftest_visits"]

pytestmark = pytest.mark.django_db

HISTORY = migration_url("/migrate/history/all/VISITS")
ACTIVE = migration_url("/migrate/history/active/VISITS")
DLQ = migration_url("/migrate/dead-letter-queue/VISITS")
DLQ_COUNT = migration_url("/migrate/dead-letter-queue/VISITS/count")
ROOMS = migration_url("/migrate/visits/rooms/usage")
START = migration_url("/migrate/visits")
COUNT = nomis_url("/visits/ids")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def three_migrations() -> list[dict]:
    """The existing dashboard's pinned list (reference-dashboard.md §12)."""
    return [
        history_json(
            "2022-03-15T11:00:35",
            failed=4,
            estimated=4,
            filter='{"prisonIds":["MDI","HEI"],"visitTypes":["SCON"],"ignoreMissingRoom":false}',
        ),
        history_json(
            "2022-03-14T11:45:12",
            status="STARTED",
            migrated=1,
            failed=162794,
            estimated=205630,
            ended=None,
        ),
        history_json("2022-03-14T10:13:56"),
    ]


# -- Access


@pytest.mark.parametrize(
    "path",
    [
        "/visits-migration/",
        "/visits-migration/start",
        "/visits-migration/failures/",
        "/visits-migration/2022-03-14T10:13:56/",
        "/visits-migration/failures/delete",
    ],
)
def test_every_page_needs_a_role_naming_it_when_missing(client, no_role_user, tokens, path) -> None:
    response = sign_in(client, no_role_user).get(path)
    assert response.status_code == 403
    assert "MIGRATE_VISITS" in response.content.decode()


def test_anonymous_users_are_sent_to_sign_in(client) -> None:
    response = client.get("/visits-migration/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in")


def test_the_home_tile_comes_from_the_registry(visits_user) -> None:
    from kernel.tiles import tiles_for

    assert [(t.title, t.href) for t in tiles_for(visits_user)] == [
        ("Visit room mappings", "/visits-room-mappings/prison"),
        ("Visits migration", "/visits-migration/"),
    ]


# -- History list


def test_history_lists_each_migration_with_its_links(visits_client, requests_mock) -> None:
    requests_mock.get(HISTORY, json=three_migrations())
    response = visits_client.get("/visits-migration/")
    assert requests_mock.last_request.qs == {"includeonlyfailures": ["false"]}
    page = text(response)
    assert response.status_code == 200
    assert "<title>Visits migrations - " in page
    assert page.count('data-qa="migration-row"') == 3
    assert "14 Mar 2022, 10:13" in page
    assert '<span data-qa="failedCount">162,794</span>' in page
    assert '<span data-qa="estimatedCount">205,630</span>' in page
    assert "Prisons: MDI, HEI" in page
    # Only the running one offers progress and Insights; both with failures offer failures.
    assert page.count('data-qa="progress-link"') == 1
    assert page.count('data-qa="already-migrated-link"') == 1
    assert page.count('data-qa="failures-link"') == 2
    assert "?migrationId=2022-03-15T11%3A00%3A35" in page
    assert 'class="govuk-tag" data-qa="status">STARTED' in page
    assert 'govuk-tag--green" data-qa="status">COMPLETED' in page
    assert "Start new migration" in page


def test_history_pages_fifty_at_a_time(visits_client, requests_mock) -> None:
    rows = [history_json(f"2022-03-14T10:{m:02d}:{s:02d}") for m in range(2) for s in range(60)]
    requests_mock.get(HISTORY, json=rows)
    first = text(visits_client.get("/visits-migration/?prisonId=HEI"))
    assert first.count('data-qa="migration-row"') == 50
    assert "Migrations 1 to 50 of 120" in first
    assert "page=2" in first and "prisonId=HEI" in first
    third = text(visits_client.get("/visits-migration/?prisonId=HEI&page=3"))
    assert third.count('data-qa="migration-row"') == 20


def test_history_filters_become_upstream_parameters_and_removable_tags(
    visits_client, requests_mock
) -> None:
    requests_mock.get(HISTORY, json=[])
    page = text(
        visits_client.get(
            "/visits-migration/?prisonId=hei&fromDateTime=2020-03-23&includeOnlyFailures=true"
        )
    )
    assert requests_mock.last_request.qs == {
        "prisonid": ["hei"],
        "fromdatetime": ["2020-03-23t00:00:00"],
        "includeonlyfailures": ["true"],
    }
    assert "No migration records found" in page
    assert (
        "Prison: HEI" in page and "Earliest start: 2020-03-23" in page and "Failures only" in page
    )
    assert "Clear filters" in page
    # Each tag's link drops only its own filter.
    assert 'href="/visits-migration/?fromDateTime=2020-03-23&amp;includeOnlyFailures=true"' in page


@pytest.mark.parametrize("value", ["invalid", "1971-67-12"])
def test_invalid_filter_dates_show_errors_and_call_nothing(
    visits_client, requests_mock, value
) -> None:
    response = visits_client.get(f"/visits-migration/?fromDateTime={value}")
    page = text(response)
    assert "There is a problem" in page
    assert "<title>Error: Visits migrations" in page
    assert 'href="#fromDateTime"' in page
    assert requests_mock.call_count == 0


def test_a_filter_with_errors_leaves_the_unfiltered_list_without_them(
    visits_client, requests_mock
) -> None:
    # Pages without a filter share one unbound form (HistoryFilterForm.for_query).
    requests_mock.get(HISTORY, json=[])
    for query in ("", "?fromDateTime=1971-67-12", ""):
        page = text(visits_client.get(f"/visits-migration/{query}"))
        assert ("There is a problem" in page) is bool(query)
        assert ('value="1971-67-12"' in page) is bool(query)


# -- Start form and preview


def test_start_form_shows_govuk_errors_in_order(visits_client, requests_mock) -> None:
    page = text(visits_client.post("/visits-migration/start", {}))
    # The summary lists them as the fields come on the page: the visit types first.
    summary = page[page.index("There is a problem") : page.index("<h1")]
    assert summary.index("Select the visit types") < summary.index("Enter the prison codes")
    assert "There is a problem" in page
    assert requests_mock.call_count == 0


def valid_start(client, **extra) -> None:
    data = {"prisonIds": "hei", "visitTypes": ["SCON"], "fromDateTime": "2020-03-23", **extra}
    response = client.post("/visits-migration/start", data)
    assert response.status_code == 302
    assert response["Location"] == "/visits-migration/start/preview"


def mock_checks(requests_mock, *, estimate=100988, dlq=153, active=None, rooms=None) -> None:
    requests_mock.get(COUNT, json=page_json(estimate))
    requests_mock.get(DLQ_COUNT, text=str(dlq))
    requests_mock.get(ACTIVE, json=active or active_json(status="COMPLETED"))
    requests_mock.get(
        ROOMS,
        json=rooms
        if rooms is not None
        else [
            {
                "agencyInternalLocationDescription": "AGI-VISITS-SOC_VIS",
                "count": 14314,
                "prisonId": "AGI",
            },
            {
                "agencyInternalLocationDescription": "HEI-VISITS-SOC_VIS",
                "count": 3,
                "prisonId": "HEI",
                "vsipRoom": "Visits Main Hall",
            },
        ],
    )


def test_preview_shows_the_estimate_the_dead_letters_and_unmapped_rooms(
    visits_client, requests_mock
) -> None:
    valid_start(visits_client)
    mock_checks(requests_mock)
    page = text(visits_client.get("/visits-migration/start/preview"))
    assert "Estimated number of visits to be migrated: 100,988" in page
    assert "including visits that have already been migrated" in page
    assert "There are 153 messages on the migration dead letter queue" in page
    assert "<strong>AGI-VISITS-SOC_VIS</strong>, 14,314 future visits" in page
    assert "HEI-VISITS-SOC_VIS" not in page
    # Unmapped rooms are a warning (a notification banner), not an error: every check ran.
    rooms = re.search(r'<div class="govuk-notification-banner"[^>]*data-qa="unmapped-rooms"', page)
    assert rooms, "the unmapped rooms are not in a notification banner"
    assert "<title>Error:" not in page and 'data-qa="check-errors"' not in page
    # So are messages waiting on the dead letter queue: the migration may still start.
    assert re.search(r'<div class="govuk-notification-banner"[^>]*data-qa="dlq-warning"', page)
    assert "govuk-error-summary" not in page
    assert "Delete failure messages" in page
    assert '<dd class="govuk-summary-list__value" data-qa="prison-codes">HEI</dd>' in page
    # Visit types by name, not NOMIS's code.
    assert '<dd class="govuk-summary-list__value" data-qa="visit-types">Social visits</dd>' in page
    assert "23 Mar 2020, 00:00" in page
    assert 'name="preview_token" value="' in page
    # The filter went to the estimate and the room check; the queue checks took the type.
    [count] = [r for r in requests_mock.request_history if r.url.startswith(COUNT)]
    assert count.qs["prisonids"] == ["hei"] and count.qs["size"] == ["1"]
    assert count.qs["fromdatetime"] == ["2020-03-23t00:00:00"]


def test_the_dead_letter_warning_shows_for_a_thousand_or_more(visits_client, requests_mock) -> None:
    valid_start(visits_client)
    mock_checks(requests_mock, dlq=1000)
    assert "There are 1,000 messages" in text(visits_client.get("/visits-migration/start/preview"))


def meeting_at(barrier: threading.Barrier, monkeypatch: Any, *methods: tuple[type, str]) -> None:
    """Each client method waits at `barrier` before its request. requests-mock sends one request
    at a time, so the wait is before it: calls made one after another break the barrier."""
    for cls, name in methods:
        original = getattr(cls, name)

        def meeting(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            barrier.wait()
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, meeting)


def test_the_preview_asks_its_four_checks_at_once(
    visits_client, requests_mock, monkeypatch
) -> None:
    # At 100 ms upstream latency the page waits one round trip, not four (bench, issue 30).
    valid_start(visits_client)
    mock_checks(requests_mock)
    meeting_at(
        threading.Barrier(4, timeout=5),
        monkeypatch,
        (NomisPrisonerApiClient, "total"),
        (MigrationApiClient, "dead_letter_count"),
        (MigrationApiClient, "active"),
        (MigrationApiClient, "visit_rooms_usage"),
    )
    page = text(visits_client.get("/visits-migration/start/preview"))
    assert "Estimated number of visits to be migrated: 100,988" in page
    assert "There are 153 messages on the migration dead letter queue" in page
    assert "There is a problem" not in page


def test_preview_with_a_running_migration_links_to_it_and_cannot_start(
    visits_client, requests_mock
) -> None:
    valid_start(visits_client)
    mock_checks(requests_mock, dlq=0, rooms=[], active=active_json("2024-01-01T10:00:00"))
    page = text(visits_client.get("/visits-migration/start/preview"))
    assert 'href="/visits-migration/2024-01-01T10:00:00/"' in page
    assert "disabled" in page
    assert "dead letter queue" not in page


def test_a_timed_out_estimate_gives_advice_and_try_again_not_an_error_page(
    visits_client, requests_mock
) -> None:
    valid_start(visits_client)
    mock_checks(requests_mock)
    requests_mock.get(COUNT, exc=requests.ReadTimeout)
    response = visits_client.get("/visits-migration/start/preview")
    page = text(response)
    assert response.status_code == 200
    assert "heavy query in NOMIS" in page and "Try again" in page
    # No retries: the user decides when to try again.
    assert len([r for r in requests_mock.request_history if r.url.startswith(COUNT)]) == 1
    assert 'name="preview_token" value=""' in page


def test_each_failed_check_is_reported_on_its_own(visits_client, requests_mock) -> None:
    valid_start(visits_client)
    mock_checks(requests_mock)
    requests_mock.get(ROOMS, status_code=500)
    requests_mock.get(DLQ_COUNT, text="not a number")
    page = text(visits_client.get("/visits-migration/start/preview"))
    assert "Estimated number of visits to be migrated: 100,988" in page
    assert (
        "Room mappings could not be checked: the migration service had a problem (HTTP 500)" in page
    )
    assert "dead letter queue could not be checked: the migration service sent a response" in page


def test_change_comes_back_with_the_values_typed(visits_client) -> None:
    valid_start(visits_client, toDateTime="2021-01-01T12")
    page = text(visits_client.get("/visits-migration/amend"))
    assert 'value="hei"' in page
    assert 'value="2021-01-01T12"' in page
    assert re.search(r'value="SCON" checked', page)


# -- Start


def preview_token(client, requests_mock) -> str:
    valid_start(client)
    mock_checks(requests_mock, dlq=0)
    page = client.get("/visits-migration/start/preview").content.decode()
    return re.search(r'name="preview_token" value="([^"]+)"', page).group(1)


def test_start_posts_the_filter_and_confirms(visits_client, requests_mock) -> None:
    token = preview_token(visits_client, requests_mock)
    requests_mock.post(
        START,
        status_code=202,
        json={"migrationId": "2022-03-23T11:11:56", "estimatedCount": 100988},
    )
    response = visits_client.post("/visits-migration/start/preview", {"preview_token": token})
    assert response["Location"] == "/visits-migration/start/confirmation"
    assert requests_mock.last_request.json() == {
        "prisonIds": ["HEI"],
        "visitTypes": ["SCON"],
        "fromDateTime": "2020-03-23T00:00:00",
        "ignoreMissingRoom": False,
    }
    page = text(visits_client.get("/visits-migration/start/confirmation"))
    assert "Visits migration has successfully started" in page
    assert "2022-03-23T11:11:56" in page and "100,988" in page
    assert (
        'href="/visits-migration/2022-03-23T11:11:56/"' in page and "View migration status" in page
    )


def test_a_second_submit_of_the_same_preview_never_starts_again(
    visits_client, requests_mock
) -> None:
    token = preview_token(visits_client, requests_mock)
    requests_mock.post(
        START, status_code=202, json={"migrationId": "2022-03-23T11:11:56", "estimatedCount": 5}
    )
    visits_client.post("/visits-migration/start/preview", {"preview_token": token})
    again = visits_client.post("/visits-migration/start/preview", {"preview_token": token})
    assert (
        again["Location"]
        == "/visits-migration/start/confirmation?migrationId=2022-03-23T11%3A11%3A56"
    )
    assert len([r for r in requests_mock.request_history if r.method == "POST"]) == 1


def test_a_start_without_a_valid_preview_token_sends_nothing(visits_client, requests_mock) -> None:
    preview_token(visits_client, requests_mock)
    requests_mock.post(START, status_code=202, json={"migrationId": "x", "estimatedCount": 5})
    response = visits_client.post("/visits-migration/start/preview", {"preview_token": "forged"})
    assert response["Location"] == "/visits-migration/start/preview"
    assert not [r for r in requests_mock.request_history if r.method == "POST"]


def test_a_conflict_says_a_migration_is_already_running_with_a_link(
    visits_client, requests_mock
) -> None:
    token = preview_token(visits_client, requests_mock)
    requests_mock.post(
        START,
        status_code=409,
        json={"status": 409, "userMessage": "Migration already in progress: x"},
    )
    requests_mock.get(ACTIVE, json=active_json("2024-01-01T10:00:00"))
    response = visits_client.post("/visits-migration/start/preview", {"preview_token": token})
    assert response.status_code == 409
    page = text(response)
    assert "A visits migration is already running" in page
    assert 'href="/visits-migration/2024-01-01T10:00:00/"' in page
    [_requested, failed] = AuditEvent.objects.order_by("id")
    assert (failed.outcome, failed.upstream_status) == ("FAILED", 409)


# -- Details, progress, cancel, refresh counts

RUNNING = "2022-03-14T11:45:12"
X = "2024-01-01T10:00:00"
XE = X.replace(":", "%3A")


def test_details_of_a_running_migration_show_live_figures_rate_and_finish(
    visits_client, requests_mock, monkeypatch
) -> None:
    import datetime as dt

    monkeypatch.setattr(
        "migrations_ui.selectors.progress.london_now", lambda: dt.datetime(2022, 3, 14, 11, 55, 12)
    )
    requests_mock.get(
        migration_url(f"/migrate/history/{RUNNING.replace(':', '%3A')}"),
        json=history_json(
            RUNNING,
            status="STARTED",
            ended=None,
            estimated=24200,
            filter='{"fromDateTime":"2016-03-23T00:00:00"}',
        ),
    )
    requests_mock.get(ACTIVE, json=active_json(RUNNING, migrated=1000, failed=100))
    response = visits_client.get(f"/visits-migration/{RUNNING}/")
    page = text(response)
    assert '<dd class="govuk-summary-list__value" data-qa="migratedCount">1,000</dd>' in page
    assert 'data-qa="stillToBeProcessedCount">23,100</dd>' in page
    assert 'data-qa="failedCount">100</dd>' in page
    assert 'data-qa="ended">-</dd>' in page
    assert "23 Mar 2016, 00:00" in page
    # 1,000 in 10 minutes: 100 a minute; 23,100 left -> 231 minutes from 11:55.
    assert "100 records a minute" in page
    assert 'data-qa="estimated-finish">14 Mar 2022, 15:46' in page
    assert "Cancel migration" in page
    # Without JavaScript, "Refresh" reloads the same page.
    assert f'href="/visits-migration/{RUNNING}/" role="button"' in page
    assert "What do all the numbers mean?" in page
    assert "js/migration-progress" in page and 'data-poll-seconds="5"' in page


def test_details_ask_for_the_row_and_the_live_figures_at_once_while_the_page_is_written(
    visits_client, requests_mock, monkeypatch
) -> None:
    # Written after the answer, the page took 1.4-1.6 ms of the path at 100 ms upstream latency.
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="STARTED", ended=None)
    )
    requests_mock.get(ACTIVE, json=active_json(X, migrated=1234))
    meeting_at(
        threading.Barrier(3, timeout=5),
        monkeypatch,
        (MigrationApiClient, "migration"),
        (MigrationApiClient, "active"),
        (DetailsView, "render_html"),
    )
    page = text(visits_client.get(f"/visits-migration/{X}/"))
    assert 'data-qa="migratedCount">1,234</dd>' in page


def test_live_figures_of_another_migration_are_not_shown_as_this_ones(
    visits_client, requests_mock
) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="STARTED", ended=None)
    )
    requests_mock.get(ACTIVE, json=active_json("2024-02-01T10:00:00", migrated=1000))
    assert 'data-qa="migratedCount">0</dd>' in text(visits_client.get(f"/visits-migration/{X}/"))


def test_details_of_a_cancelled_migration_show_its_end_and_no_cancel(
    visits_client, requests_mock
) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"),
        json=history_json(X, status="CANCELLED", migrated=2000, failed=101),
    )
    # Live figures are asked for alongside the history row (to save a round trip while running);
    # for an ended migration they must not be shown.
    requests_mock.get(ACTIVE, json=active_json(X, migrated=7777))
    page = text(visits_client.get(f"/visits-migration/{X}/"))
    assert 'data-qa="ended">14 Mar 2022, 10:14' in page
    assert 'data-qa="stillToBeProcessedCount">None' in page
    assert 'data-qa="migratedCount">2,000' in page
    assert "Cancel migration" not in page and "Refresh counts" not in page
    # The page is written before its figures are known, so it loads the polling script, which
    # stops at once on these figures.
    assert '<div class="migration-progress" data-qa="progress" data-running="false">' in page
    assert "7,777" not in page


def test_completed_migrations_offer_refresh_counts(visits_client, requests_mock) -> None:
    requests_mock.get(migration_url(f"/migrate/history/{XE}"), json=history_json(X))
    requests_mock.post(migration_url(f"/migrate/refresh/{XE}"), status_code=204)
    assert "Refresh counts" in text(visits_client.get(f"/visits-migration/{X}/"))
    response = visits_client.post(f"/visits-migration/{X}/refresh-counts")
    assert response["Location"] == f"/visits-migration/{X}/"
    assert "counts were refreshed" in text(visits_client.get(f"/visits-migration/{X}/"))
    assert [e.outcome for e in AuditEvent.objects.order_by("id")] == ["REQUESTED", "SUCCEEDED"]


def test_the_progress_fragment_is_only_the_figures(visits_client, requests_mock) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="STARTED", ended=None)
    )
    requests_mock.get(ACTIVE, json=active_json(X))
    page = text(visits_client.get(f"/visits-migration/{X}/progress"))
    assert page.strip().startswith('<div class="migration-progress"')
    assert "<html" not in page and 'data-running="true"' in page


def test_the_details_page_holds_the_figures_the_page_polls(visits_client, requests_mock) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="STARTED", ended=None)
    )
    requests_mock.get(ACTIVE, json=active_json(X, migrated=1234, failed=5))
    page = visits_client.get(f"/visits-migration/{X}/").content.decode()
    fragment = visits_client.get(f"/visits-migration/{X}/progress").content.decode().strip()
    assert fragment.startswith('<div class="migration-progress"')
    assert fragment in page
    # Once, where the page polls it, with nothing left of the place kept for it.
    assert page.count('class="migration-progress"') == 1
    assert page.index('id="migration-progress"') < page.index(fragment)
    assert str(FIGURES_SLOT) not in page
    # The link to the failures is one of the figures: polling shows it once there are any.
    assert 'data-qa="failures-link"' in fragment


def test_failures_found_while_the_page_is_open_bring_their_link(
    visits_client, requests_mock
) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"),
        json=history_json(X, status="STARTED", ended=None, failed=0),
    )
    requests_mock.get(ACTIVE, json=active_json(X, migrated=10, failed=0))
    assert "failures-link" not in text(visits_client.get(f"/visits-migration/{X}/"))
    requests_mock.get(ACTIVE, json=active_json(X, migrated=20, failed=3))
    fragment = text(visits_client.get(f"/visits-migration/{X}/progress"))
    link = f'href="/visits-migration/failures/?migrationId={XE}" data-qa="failures-link"'
    assert link in fragment


def test_an_upstream_failure_on_details_is_the_services_page_not_a_half_written_one(
    visits_client, requests_mock
) -> None:
    requests_mock.get(migration_url(f"/migrate/history/{XE}"), status_code=500)
    response = visits_client.get(f"/visits-migration/{X}/")
    assert response.status_code == 502
    page = text(response)
    assert "migration service" in page and 'data-qa="progress"' not in page
    assert str(FIGURES_SLOT) not in page


@pytest.mark.parametrize(
    "path", ["/visits-migration/2022-03-14T10:13:56/", "/visits-migration/2022-03-14T10%3A13%3A56/"]
)
def test_migration_ids_are_accepted_raw_or_percent_encoded(
    visits_client, requests_mock, path
) -> None:
    requests_mock.get(
        migration_url("/migrate/history/2022-03-14T10%3A13%3A56"), json=history_json()
    )
    assert visits_client.get(path).status_code == 200


def test_an_unknown_migration_is_a_404_page(visits_client, requests_mock) -> None:
    requests_mock.get(
        migration_url("/migrate/history/nope"),
        status_code=404,
        json={"status": 404, "userMessage": "Not Found: nope"},
    )
    response = visits_client.get("/visits-migration/nope/")
    assert response.status_code == 404
    assert "Migration not found" in text(response)


def test_cancel_asks_for_confirmation_first_then_redirects(visits_client, requests_mock) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="STARTED", ended=None)
    )
    requests_mock.post(migration_url(f"/migrate/cancel/{XE}"), status_code=202)
    confirm = visits_client.get(f"/visits-migration/{X}/cancel")
    assert "Are you sure you want to cancel this visits migration?" in text(confirm)
    assert not [r for r in requests_mock.request_history if r.method == "POST"]
    response = visits_client.post(f"/visits-migration/{X}/cancel")
    assert response.status_code == 302 and response["Location"] == f"/visits-migration/{X}/"
    assert len([r for r in requests_mock.request_history if r.method == "POST"]) == 1


def test_cancel_is_refused_unless_started(visits_client, requests_mock) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="CANCELLED")
    )
    assert (
        visits_client.get(f"/visits-migration/{X}/cancel")["Location"] == f"/visits-migration/{X}/"
    )
    visits_client.post(f"/visits-migration/{X}/cancel")
    assert not [r for r in requests_mock.request_history if r.method == "POST"]
    assert not AuditEvent.objects.exists()


# -- Failures


def test_failures_list_messages_with_insights_links_and_the_full_json(
    visits_client, requests_mock
) -> None:
    requests_mock.get(
        DLQ,
        json={
            "messagesFoundCount": 353,
            "messagesReturnedCount": 2,
            "messages": [dlq_message_json("m1", "a", 42), dlq_message_json("m2", "b", None)],
        },
    )
    page = text(visits_client.get("/visits-migration/failures/"))
    assert "Showing 2 of 353 failures" in page
    # Each row says what the message was doing, not its id (the error is in App Insights).
    summaries = re.findall(r'data-qa="message-summary">([^<]*)<', page)
    assert summaries == [
        "A record could not be migrated",
        "A page of ids could not be read from NOMIS, so its records were not queued",
    ]
    assert page.count('data-qa="insights-link"') == 2
    assert 'data-qa="entity-id">42</td>' in page
    assert "MIGRATE_BY_PAGE" in page and "Full message" in page
    assert "&#34;visitId&#34;: 42" in page or '"visitId": 42' in page


def test_failures_can_be_filtered_by_migration(visits_client, requests_mock) -> None:
    requests_mock.get(
        DLQ,
        json={
            "messagesFoundCount": 2,
            "messagesReturnedCount": 2,
            "messages": [dlq_message_json("m1", "a"), dlq_message_json("m2", "b")],
        },
    )
    page = text(visits_client.get("/visits-migration/failures/?migrationId=b"))
    assert 'data-qa="message-id">m2<' in page and 'data-qa="message-id">m1<' not in page
    assert 'Showing failures of migration <strong class="app-nowrap">b</strong> only' in page
    assert "Showing 1 of 2 failures" in page
    # Deleting empties the whole queue (M10 has no migration filter), and the page says so.
    scope = re.search(r'data-qa="delete-scope">(.*?)</p>', page).group(1)
    assert "deletes all 2 messages on the visits migration dead letter queue" in scope
    assert (
        'from every migration, not only those of migration <span class="app-nowrap">b</span>'
        in (scope)
    )


def test_no_failures_says_so_rather_than_an_empty_table(visits_client, requests_mock) -> None:
    requests_mock.get(
        DLQ, json={"messagesFoundCount": 0, "messagesReturnedCount": 0, "messages": []}
    )
    page = text(visits_client.get("/visits-migration/failures/"))
    assert "There are no failures still waiting to be resolved" in page
    assert "<table" not in page


@pytest.mark.parametrize("messages", [None, "absent", {"0": {}}])
def test_a_dead_letter_list_without_its_messages_is_malformed_not_empty(
    visits_client, requests_mock, messages
) -> None:
    body: dict = {"messagesFoundCount": 3, "messagesReturnedCount": 3}
    if messages != "absent":
        body["messages"] = messages
    requests_mock.get(DLQ, json=body)
    response = visits_client.get("/visits-migration/failures/")
    assert response.status_code == 502
    assert "There are no failures" not in text(response)


@pytest.mark.parametrize(
    ("origin", "back"),
    [
        ("preview", "/visits-migration/start/preview"),
        ("failures", "/visits-migration/failures/"),
        ("https://evil.example/", "/visits-migration/failures/"),
    ],
)
def test_delete_failures_confirms_then_returns_only_to_known_pages(
    visits_client, requests_mock, origin, back
) -> None:
    requests_mock.delete(DLQ, status_code=204)
    confirm = visits_client.get(f"/visits-migration/failures/delete?from={origin}")
    assert "Are you sure you want to delete the visits failure messages?" in text(confirm)
    assert requests_mock.call_count == 0
    response = visits_client.post("/visits-migration/failures/delete", {"from": origin})
    assert response["Location"] == back
    assert requests_mock.call_count == 1


# -- Upstream failures on each page


@pytest.mark.parametrize(
    ("failure", "status", "title"),
    [
        ({"exc": requests.ReadTimeout}, 504, "The migration service did not respond in time"),
        ({"exc": requests.ConnectionError}, 502, "The migration service could not be reached"),
        ({"status_code": 500}, 502, "The migration service had a problem"),
        ({"status_code": 403, "json": {"status": 403}}, 502, "refused the dashboard&#39;s request"),
        ({"text": "{oops"}, 502, "could not read"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/visits-migration/", "/visits-migration/failures/", f"/visits-migration/{X}/"]
)
def test_upstream_failures_name_the_service_with_a_fitting_status(
    visits_client, requests_mock, failure, status, title, path
) -> None:
    for url in (HISTORY, DLQ, migration_url(f"/migrate/history/{XE}")):
        requests_mock.get(url, **failure)
    response = visits_client.get(path)
    assert response.status_code == status
    page = text(response)
    assert title in page
    assert "Traceback" not in page
