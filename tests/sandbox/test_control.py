"""Control API (``/__sandbox/``): reset, faults of each kind, latency, journal; and raw speed."""

from __future__ import annotations

import http.client
import statistics
import threading
import time

import pytest
import requests

from sandbox.testing import SandboxError

from .conftest import system_token, user_token

PING = "/nomis-migration-api/health/ping"


def test_reset_switches_scenarios_and_rejects_unknown_ones(sb):
    assert sb.reset("empty")["visits"] == 0
    assert sb.reset("history")["history"] == 8
    assert sb.reset("default")["visits"] == 10_000
    with pytest.raises(SandboxError, match="400"):
        sb.reset("nonsense")


def test_large_scenario_resets_quickly(sb):
    started = time.monotonic()
    summary = sb.reset("large")
    elapsed = time.monotonic() - started
    assert summary["visits"] == 250_000
    assert elapsed < 3, f"reset to large took {elapsed:.2f} s"
    headers = {"Authorization": f"Bearer {system_token(sb)}"}
    count = requests.get(
        f"{sb.url}/nomis-prisoner-api/visits/ids",
        params={"prisonIds": "MDI", "size": 1},
        headers=headers,
    ).json()
    assert count["totalElements"] == 250_000


def test_status_fault_forces_a_health_ping_down_for_n_calls(sb, http):
    fault = sb.add_fault("nomisMigrationApi", "/health/ping", status=503, times=2)
    assert fault["status"] == 503
    for _ in range(2):
        down = http.get(f"{sb.url}{PING}", timeout=5)
        assert down.status_code == 503 and down.json() == {"status": "DOWN"}
    assert http.get(f"{sb.url}{PING}", timeout=5).status_code == 200


def test_url_prefix_service_names_and_other_services_unaffected(sb, http):
    sb.add_fault("mapping-api", "", status=500)
    assert http.get(f"{sb.url}/mapping-api/health/ping", timeout=5).status_code == 500
    assert http.get(f"{sb.url}/auth/health/ping", timeout=5).status_code == 200
    error = http.get(f"{sb.url}/mapping-api/mapping/visits/nomisId/1", timeout=5)
    assert error.status_code == 500 and error.json()["status"] == 500
    sb.clear_faults()
    assert http.get(f"{sb.url}/mapping-api/health/ping", timeout=5).status_code == 200


def test_latency_fault_and_global_latency(sb, http):
    sb.add_fault("hmppsAuth", "/health", latency_ms=150, times=1)
    started = time.monotonic()
    assert http.get(f"{sb.url}/auth/health/ping", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.15
    sb.set_latency(100)
    started = time.monotonic()
    http.get(f"{sb.url}/verification/health/ping", timeout=5)
    assert time.monotonic() - started >= 0.1
    # A status fault is answered no sooner than any other call.
    sb.add_fault("nomisMigrationApi", "/health", status=503, times=1)
    started = time.monotonic()
    assert http.get(f"{sb.url}{PING}", timeout=5).status_code == 503
    assert time.monotonic() - started >= 0.1
    sb.set_latency(0)


def test_malformed_and_dropped_responses(sb, http):
    sb.add_fault("nomisPrisonerApi", "/health", malformed=True, times=1)
    malformed = http.get(f"{sb.url}/nomis-prisoner-api/health/ping", timeout=5)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    sb.add_fault("tokenVerification", "/token/verify", drop=True, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{sb.url}/verification/token/verify", timeout=5)
    assert requests.post(f"{sb.url}/verification/token/verify", timeout=5).status_code == 200


def test_hang_outlasts_client_timeouts_and_is_released_by_clearing_faults(sb):
    sb.add_fault("nomisMigrationApi", "/health", hang=True)
    with pytest.raises(requests.Timeout):
        requests.get(f"{sb.url}{PING}", timeout=0.3)
    result: dict[str, float] = {}

    def call() -> None:
        started = time.monotonic()
        requests.get(f"{sb.url}{PING}", timeout=10)
        result["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.2)
    sb.clear_faults()
    thread.join(5)
    assert 0.15 < result["elapsed"] < 2


def test_hang_ends_by_itself(sb):
    sb.update_settings(hang_seconds=0.3)
    sb.add_fault("nomisMigrationApi", "/health", hang=True, times=1)
    started = time.monotonic()
    assert requests.get(f"{sb.url}{PING}", timeout=5).status_code == 200
    assert 0.3 <= time.monotonic() - started < 2


def test_faults_apply_to_the_migration_services_own_downstream_calls(sb):
    headers = {"Authorization": f"Bearer {system_token(sb)}"}
    sb.add_fault("nomisPrisonerApi", "/visits/ids", status=500, times=1)
    failed = requests.post(f"{sb.url}/nomis-migration-api/migrate/visits", json={}, headers=headers)
    assert failed.status_code == 500 and failed.json()["status"] == 500
    history = requests.get(
        f"{sb.url}/nomis-migration-api/migrate/history/all/VISITS", headers=headers
    ).json()
    assert history == []  # the estimate failed, so no migration was created


# -- Faults after the request was handled: the change happens, the answer is lost


def _start_visits(sb, *, timeout: float = 5) -> requests.Response:
    headers = {"Authorization": f"Bearer {system_token(sb, 'visits_user')}"}
    return requests.post(
        f"{sb.url}/nomis-migration-api/migrate/visits",
        json={"prisonIds": ["HEI"], "visitTypes": ["SCON"]},
        headers=headers,
        timeout=timeout,
    )


def _visits_history(sb) -> list[dict]:
    headers = {"Authorization": f"Bearer {system_token(sb)}"}
    return requests.get(
        f"{sb.url}/nomis-migration-api/migrate/history/all/VISITS", headers=headers, timeout=5
    ).json()


def test_global_latency_is_the_whole_answer_time_and_the_call_is_carried_out_at_once(sb):
    """The latency a call takes is the latency set, its work done inside it (a remote service
    works while its round trip runs): not the view run after the sleep on an idled CPU."""
    sb.reset("default")
    headers = {"Authorization": f"Bearer {system_token(sb, 'visits_user')}"}
    sb.set_latency(700)
    answer: dict[str, float] = {}

    def call() -> None:
        started = time.monotonic()
        answer["status"] = requests.post(
            f"{sb.url}/nomis-migration-api/migrate/visits",
            json={"prisonIds": ["HEI"], "visitTypes": ["SCON"]},
            headers=headers,
            timeout=5,
        ).status_code
        answer["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=call)
    try:
        thread.start()
        time.sleep(0.3)
        # The control API has no latency: it shows the migration started before it answered.
        assert sb.control("GET", "state")["history"] == 1
        assert "status" not in answer
        thread.join(timeout=5)
    finally:
        sb.set_latency(0)
    assert answer["status"] == 202
    assert 0.7 <= answer["seconds"] < 1.2


def test_an_after_drop_fault_carries_the_request_out_then_closes_without_answering(sb):
    sb.reset("default")
    sb.add_fault("nomisMigrationApi", "/migrate/visits", method="POST", after="drop", times=1)
    with pytest.raises(requests.ConnectionError):
        _start_visits(sb)
    assert len(_visits_history(sb)) == 1, "the migration really started"
    entry = next(e for e in sb.journal() if e["path"].endswith("/migrate/visits"))
    assert (entry["status"], entry["after"]) == (202, "drop")


def test_an_after_delay_fault_carries_the_request_out_then_answers_too_late(sb):
    sb.reset("default")
    sb.add_fault(
        "nomisMigrationApi", "/migrate/visits", method="POST", after="delay", latency_ms=600
    )
    with pytest.raises(requests.ReadTimeout):
        _start_visits(sb, timeout=0.3)
    assert len(_visits_history(sb)) == 1, "the migration really started"
    sb.clear_faults()


def test_an_after_delay_without_latency_holds_the_answer_until_faults_clear(sb):
    sb.reset("default")
    sb.add_fault("nomisMigrationApi", "/migrate/visits", after="delay", times=1)
    answer: dict[str, int] = {}

    def call() -> None:
        answer["status"] = _start_visits(sb, timeout=10).status_code

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    assert "status" not in answer
    sb.clear_faults()
    thread.join(5)
    assert answer["status"] == 202
    assert len(_visits_history(sb)) == 1


def test_a_fault_for_one_method_leaves_the_others_alone(sb):
    sb.add_fault("nomisMigrationApi", "/health", method="POST", status=500)
    assert requests.get(f"{sb.url}{PING}", timeout=5).status_code == 200
    assert requests.post(f"{sb.url}{PING}", timeout=5).status_code == 500
    sb.clear_faults()


def test_bad_fault_specs_are_400(sb):
    for spec in (
        {"service": "nope", "status": 500},
        {"service": "mappingApi"},
        {"status": 99},
        {"after": "later"},
        {"after": "drop", "status": 500},
        {"after": "delay", "drop": True},
        {"method": "P O S T", "status": 500},
    ):
        response = requests.post(f"{sb.url}/__sandbox/faults", json=spec, timeout=5)
        assert response.status_code == 400
    assert requests.get(f"{sb.url}/__sandbox/faults", timeout=5).json() == []


def test_journal_records_requests_with_the_token_user_since_reset(sb, http):
    token = system_token(sb, "visits_user")
    http.get(
        f"{sb.url}/nomis-migration-api/migrate/history/all/VISITS?prisonId=MDI",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    http.get(f"{sb.url}/auth/health/ping", timeout=5)
    journal = sb.journal()
    entry = next(e for e in journal if e["path"].endswith("/history/all/VISITS"))
    assert entry == {
        "method": "GET",
        "path": "/nomis-migration-api/migrate/history/all/VISITS",
        "query": "prisonId=MDI",
        "status": 200,
        "user": "VISITS_USER",
    }
    assert journal[-1]["path"] == "/auth/health/ping" and journal[-1]["user"] is None
    assert all(not e["path"].startswith("/__sandbox") for e in journal)
    sb.reset("default")
    assert sb.journal() == []


def test_settings_endpoint_validates(sb):
    assert sb.update_settings(page_size=10)["page_size"] == 10
    assert (
        requests.post(f"{sb.url}/__sandbox/settings", json={"nope": 1}, timeout=5).status_code
        == 400
    )
    assert (
        requests.post(f"{sb.url}/__sandbox/settings", json={"workers": "x"}, timeout=5).status_code
        == 400
    )


def test_users_listing_and_dashboard_env(sb):
    users = requests.get(f"{sb.url}/__sandbox/users", timeout=5).json()
    assert {"SYSCON_USER", "VISITS_USER", "NO_ROLE_USER"} <= {u["username"] for u in users}
    env = sb.env_for_dashboard()
    assert env["NOMIS_MIGRATION_API_URL"] == f"{sb.url}/nomis-migration-api"
    assert env["HMPPS_AUTH_URL"] == f"{sb.url}/auth"
    assert env["AUTH_CODE_CLIENT_ID"] == "nomis-sync-dashboard-ui"


def test_simple_get_latency_on_loopback(sb, capsys):
    """Median of 500 keep-alive GETs; printed for the record (the bar is "well under 2 ms")."""
    headers = {"Authorization": f"Bearer {system_token(sb)}"}
    url = f"{sb.url}/nomis-migration-api/migrate/history/active/VISITS"
    samples = []
    with requests.Session() as session:
        for _ in range(20):
            session.get(url, headers=headers, timeout=5)
        for _ in range(500):
            started = time.perf_counter()
            session.get(url, headers=headers, timeout=5)
            samples.append((time.perf_counter() - started) * 1000)
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    # The same calls through bare http.client show how much of that is requests' own overhead.
    connection = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=5)
    raw = []
    for _ in range(500):
        started = time.perf_counter()
        connection.request("GET", url.removeprefix(sb.url), headers=headers)
        connection.getresponse().read()
        raw.append((time.perf_counter() - started) * 1000)
    connection.close()
    with capsys.disabled():
        print(
            f"\nsandbox GET active-migration: median {median:.3f} ms, "
            f"p95 {p95:.3f} ms over 500 calls (http.client: median {statistics.median(raw):.3f} ms)"
        )
    assert median < 5


def test_user_token_is_journaled_too(sb, http):
    token = user_token(sb, "NO_ROLE_USER")
    http.post(
        f"{sb.url}/verification/token/verify",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert sb.journal()[-1]["user"] == "NO_ROLE_USER"
