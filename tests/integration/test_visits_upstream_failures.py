"""Every visits page under the sandbox's injected faults: a GOV.UK page or message that names the
service and says what to do, with a fitting status and never a stack trace."""

from __future__ import annotations

import time
from typing import Any

import pytest

from migrations_ui.models import AuditEvent

# Fixtures shared by the visits tests.
pytest_plugins = ["tests.integration.conftest_visits"]

pytestmark = [pytest.mark.django_db(transaction=True)]

SOME_ID = "2024-01-01T10:00:00"

FAULTS = {
    # name: (fault, page status, words on the page)
    "timeout": ({"hang": True}, 504, "The migration service did not respond in time"),
    "refused": ({"drop": True}, 502, "The migration service could not be reached"),
    "500": ({"status": 500}, 502, "The migration service had a problem"),
    "401": ({"status": 401}, 502, "The migration service refused the dashboard&#39;s request"),
    "403": ({"status": 403}, 502, "The migration service refused the dashboard&#39;s request"),
    "malformed": ({"malformed": True}, 502, "could not read"),
    "404": ({"status": 404}, 404, "could not find"),
}

PAGES = {
    # name: (dashboard path, upstream path the fault is put on)
    "history": ("/visits-migration/", "/migrate/history/all"),
    "details": (f"/visits-migration/{SOME_ID}/", "/migrate/history/"),
    "progress": (f"/visits-migration/{SOME_ID}/progress", "/migrate/history/"),
    "failures": ("/visits-migration/failures/", "/migrate/dead-letter-queue"),
}


@pytest.fixture
def quick_timeouts(settings: Any) -> None:
    """Short read timeouts so a hung upstream shows its page in about a second."""
    settings.UPSTREAM_TIMEOUTS = {**settings.UPSTREAM_TIMEOUTS, "nomisMigrationApi": (1.0, 0.3)}
    settings.HEAVY_ESTIMATE_TIMEOUT_SECONDS = 0.3


@pytest.mark.parametrize("fault_name", sorted(FAULTS))
@pytest.mark.parametrize("page_name", sorted(PAGES))
def test_each_page_explains_each_upstream_failure(
    browser_http, sandbox, quick_timeouts, page_name, fault_name
) -> None:
    path, upstream_path = PAGES[page_name]
    fault, status, words = FAULTS[fault_name]
    sandbox.add_fault("nomisMigrationApi", upstream_path, **fault)
    response = browser_http.get(path)
    assert response.status_code == status, response.text[:300]
    text = response.text
    if page_name in {"details", "progress"} and fault_name == "404":
        assert "Migration not found" in text
    else:
        assert words in text
        assert 'data-qa="request-id"' in text
    assert "Traceback" not in text


def test_an_unknown_migration_id_is_a_404_from_the_real_service(browser_http) -> None:
    response = browser_http.get("/visits-migration/1999-01-01T00:00:00/")
    assert response.status_code == 404
    assert "Migration not found" in response.text


def test_a_timed_out_estimate_advises_trying_again_and_the_retry_works(
    browser_http, sandbox, quick_timeouts
) -> None:
    sandbox.add_fault("nomisPrisonerApi", "/visits/ids", hang=True, times=1)
    preview = browser_http.start_preview(prisonIds="HEI", visitTypes="SCON")
    assert preview.status_code == 200
    assert "The estimate is taking too long" in preview.text
    assert "heavy query in NOMIS" in preview.text
    assert 'data-qa="try-again"' in preview.text
    retried = browser_http.get("/visits-migration/start/preview")
    assert "Estimated number of visits to be migrated" in retried.text


@pytest.mark.parametrize(
    ("upstream_path", "fault", "qa_name", "words"),
    [
        (
            "/migrate/visits/rooms/usage",
            {"status": 500},
            "rooms-check-failed",
            "the migration service had a problem",
        ),
        ("/migrate/dead-letter-queue", {"malformed": True}, "dlq-check-failed", "could not read"),
        ("/migrate/history/active", {"drop": True}, "active-check-failed", "could not be reached"),
    ],
)
def test_each_failed_preview_check_is_reported_on_its_own(
    browser_http, sandbox, upstream_path, fault, qa_name, words
) -> None:
    sandbox.add_fault("nomisMigrationApi", upstream_path, **fault)
    preview = browser_http.start_preview(prisonIds="HEI", visitTypes="SCON")
    assert preview.status_code == 200
    assert "Estimated number of visits to be migrated" in preview.text
    assert f'data-qa="{qa_name}"' in preview.text
    assert words in preview.text


def test_a_failed_cancel_names_the_service_and_is_audited(browser_http, sandbox) -> None:
    from tests.integration.test_visits_walkthrough import started_id

    sandbox.update_settings(visit_delay_ms=20.0)
    try:
        migration_id = started_id(
            browser_http.start(browser_http.start_preview(prisonIds="MDI BXI", visitTypes="SCON"))
        )
        confirm = browser_http.get(f"/visits-migration/{migration_id}/cancel")
        sandbox.add_fault("nomisMigrationApi", "/migrate/cancel", status=500)
        response = browser_http.post(f"/visits-migration/{migration_id}/cancel", page=confirm.text)
    finally:
        sandbox.update_settings(visit_delay_ms=0.0)
        sandbox.clear_faults()
    assert response.status_code == 502
    assert "The migration service had a problem" in response.text
    cancel = AuditEvent.objects.filter(action="CANCEL_MIGRATION").order_by("id")
    assert [(e.outcome, e.upstream_status) for e in cancel] == [
        ("REQUESTED", None),
        ("FAILED", 500),
    ]


def test_a_hung_upstream_holds_a_page_no_longer_than_the_request_deadline(
    browser_http, sandbox, settings
) -> None:
    # The upstream's own 60 s read timeout and two retries would hold the page for minutes.
    settings.REQUEST_DEADLINE_SECONDS = 2.0
    sandbox.add_fault("nomisMigrationApi", "/migrate/history/all", hang=True)
    started = time.monotonic()
    response = browser_http.get("/visits-migration/")
    took = time.monotonic() - started
    assert response.status_code == 504
    assert "The migration service did not respond in time" in response.text
    assert took < 4, took
