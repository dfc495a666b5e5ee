"""/ping, /info, /health, /metrics and `manage.py healthcheck`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import requests_mock as rm
from django.core.management import call_command
from django.db import OperationalError, connections
from django.test import Client
from django.utils import timezone

from kernel import health
from migrations_ui.audit import metrics
from migrations_ui.models import AuditEvent
from tests.unit.test_audit_review import make_event

pytestmark = pytest.mark.django_db

UPSTREAMS = ("hmppsAuth", "nomisMigrationApi", "nomisPrisonerApi", "mappingApi", "activitiesApi")


def _ping_urls(settings) -> dict[str, str]:
    return {
        "hmppsAuth": f"{settings.HMPPS_AUTH_URL}/health/ping",
        "nomisMigrationApi": f"{settings.NOMIS_MIGRATION_API_URL}/health/ping",
        "nomisPrisonerApi": f"{settings.NOMIS_PRISONER_API_URL}/health/ping",
        "mappingApi": f"{settings.MAPPING_API_URL}/health/ping",
        "activitiesApi": f"{settings.ACTIVITIES_API_URL}/health/ping",
        "tokenVerification": f"{settings.TOKEN_VERIFICATION_API_URL}/health/ping",
    }


@pytest.fixture
def upstreams(settings, requests_mock: rm.Mocker) -> dict[str, str]:
    settings.REDIS_URL = ""
    urls = _ping_urls(settings)
    for url in urls.values():
        requests_mock.get(url, json={"status": "UP"})
    return urls


def test_ping_is_up_without_sign_in() -> None:
    response = Client().get("/ping")
    assert response.status_code == 200
    assert response.json() == {"status": "UP"}


def test_info_reports_build_and_git(settings) -> None:
    settings.BUILD_NUMBER = "2026-11-27.1"
    settings.GIT_REF = "abc123"
    body = Client().get("/info").json()
    assert body["build"]["name"] == "hmpps-nomis-sync-dashboard"
    assert body["build"]["version"] == "2026-11-27.1"
    assert body["build"]["gitRef"] == "abc123"
    assert body["productId"] == "DPS060"
    assert isinstance(body["uptime"], int)


def test_health_is_up_when_everything_answers(upstreams) -> None:
    response = Client().get("/health")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "UP"
    assert set(body["components"]) == {"db", *UPSTREAMS}
    assert all(c["status"] == "UP" for c in body["components"].values())


@pytest.mark.parametrize("name", UPSTREAMS)
@pytest.mark.parametrize(
    ("failure", "expected_details"),
    [
        ({"status_code": 500, "json": {"status": "DOWN"}}, {"status": 500}),
        ({"status_code": 200, "json": {"status": "DOWN"}}, {"status": 200}),
        ({"exc": requests.ConnectionError}, {"error": "Connection failed"}),
        ({"exc": requests.ConnectTimeout}, {"error": "Timed out after 2s"}),
    ],
    ids=["500", "says-down", "refused", "timeout"],
)
def test_health_is_down_when_an_upstream_fails(
    upstreams, requests_mock: rm.Mocker, name, failure, expected_details
) -> None:
    requests_mock.get(upstreams[name], **failure)
    response = Client().get("/health")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "DOWN"
    assert body["components"][name] == {"status": "DOWN", "details": expected_details}
    others = set(UPSTREAMS) - {name}
    assert all(body["components"][other]["status"] == "UP" for other in others)


def test_token_verification_is_checked_only_when_enabled(
    upstreams, settings, requests_mock: rm.Mocker
) -> None:
    settings.TOKEN_VERIFICATION_ENABLED = True
    requests_mock.get(upstreams["tokenVerification"], status_code=500)
    body = Client().get("/health").json()
    assert body["components"]["tokenVerification"]["status"] == "DOWN"
    settings.TOKEN_VERIFICATION_ENABLED = False
    assert "tokenVerification" not in Client().get("/health").json()["components"]


def test_health_is_down_when_the_database_is(upstreams, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    # The check runs on a worker thread, whose connection object is its own: patch the class.
    monkeypatch.setattr(type(connections["default"]), "cursor", refuse)
    body = Client().get("/health").json()
    assert body["status"] == "DOWN"
    assert body["components"]["db"]["status"] == "DOWN"


def test_health_is_down_when_redis_is_unreachable(upstreams, settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/health")
    assert response.status_code == 503
    assert response.json()["components"]["redis"]["status"] == "DOWN"


def test_health_reports_redis_up_when_it_is(upstreams, settings, redis_url) -> None:
    settings.REDIS_URL = redis_url
    body = Client().get("/health").json()
    assert body["components"]["redis"]["status"] == "UP"


def test_healthcheck_command_exits_zero_when_up(upstreams, capsys) -> None:
    call_command("healthcheck", "--json")
    assert json.loads(capsys.readouterr().out)["status"] == "UP"


def test_healthcheck_command_exits_one_when_down(upstreams, requests_mock, capsys) -> None:
    requests_mock.get(upstreams["mappingApi"], status_code=503)
    with pytest.raises(SystemExit) as exit_info:
        call_command("healthcheck")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "mappingApi" in out
    assert "DOWN" in out


# -- Probes with the kubelet's Host header (production settings: ALLOWED_HOSTS is the ingress)


@pytest.fixture
def production_hosts(settings) -> None:
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["nomis-sync-dashboard.hmpps.service.justice.gov.uk"]


@pytest.mark.parametrize("host", ["10.0.0.7:8000", "127.0.0.1:8000", "[fd00::7]:8000"])
def test_a_probe_of_ping_from_the_pods_address_answers_200(production_hosts, host) -> None:
    for method in ("get", "head"):
        response = getattr(Client(), method)("/ping", HTTP_HOST=host)
        assert response.status_code == 200
    assert Client().get("/ping", HTTP_HOST=host).json() == {"status": "UP"}


@pytest.mark.parametrize("path", ["/", "/info", "/health", "/sign-in", "/ping/", "/audit/"])
def test_every_other_path_still_refuses_a_host_that_is_not_allowed(production_hosts, path) -> None:
    assert Client().get(path, HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_a_post_to_ping_from_another_host_is_still_refused(production_hosts) -> None:
    assert Client().post("/ping", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_a_probe_from_the_ingress_host_goes_through_the_whole_stack(production_hosts) -> None:
    response = Client().get("/ping", HTTP_HOST="nomis-sync-dashboard.hmpps.service.justice.gov.uk")
    assert response.status_code == 200
    # Only the full stack's request-id middleware names the request.
    assert response.has_header("X-Request-Id")


# -- /metrics: answered at the pod's address only (Prometheus), never through the ingress


def test_metrics_count_the_last_days_attempts_whose_result_nobody_knows(production_hosts) -> None:
    now = timezone.now()
    unknown = AuditEvent.Outcome.UNKNOWN
    make_event(now - dt.timedelta(hours=1), outcome=unknown)
    make_event(now - dt.timedelta(hours=23), outcome=unknown)
    make_event(now - dt.timedelta(hours=25), outcome=unknown)  # older than the window
    make_event(now - dt.timedelta(hours=2), outcome=AuditEvent.Outcome.FAILED)
    make_event(now - dt.timedelta(minutes=20))  # requested, never an outcome: missing
    make_event(now - dt.timedelta(minutes=2))  # requested just now: may still be running
    answered = make_event(now - dt.timedelta(minutes=30))
    make_event(now - dt.timedelta(minutes=29), attempt_id=answered.attempt_id, outcome="SUCCEEDED")

    response = Client().get("/metrics", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = dict(
        line.split(" ")
        for line in response.content.decode().splitlines()
        if not line.startswith("#")
    )
    assert samples == {
        "nomis_sync_dashboard_audit_outcome_unknown": "2",
        "nomis_sync_dashboard_audit_outcome_missing": "1",
    }
    assert "# TYPE nomis_sync_dashboard_audit_outcome_unknown gauge" in response.content.decode()


def test_metrics_do_not_exist_through_the_ingress_host(production_hosts) -> None:
    response = Client().get(
        "/metrics", HTTP_HOST="nomis-sync-dashboard.hmpps.service.justice.gov.uk"
    )
    assert response.status_code == 404
    assert b"nomis_sync_dashboard" not in response.content
    assert Client().post("/metrics", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_metrics_fail_the_scrape_when_the_database_does_not_answer(
    production_hosts, monkeypatch
) -> None:
    def refuse(**_kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(metrics, "audit_left_unknown_counts", refuse)
    response = Client().get("/metrics", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 503
    assert b"the database did not answer" in response.content


@pytest.mark.parametrize(
    "host", ["10.0.0.7:8000", "nomis-sync-dashboard.hmpps.service.justice.gov.uk"]
)
def test_ping_stays_up_whatever_else_is_down(
    production_hosts, settings, requests_mock, django_assert_num_queries, host
) -> None:
    """Readiness and liveness ask /ping: an outage elsewhere must never empty the Service."""
    requests_mock.get(rm.ANY, exc=requests.ConnectTimeout)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    with django_assert_num_queries(0):
        response = Client().get("/ping", HTTP_HOST=host)
    assert response.status_code == 200
    assert requests_mock.call_count == 0


class _Hangs(health.HealthCheck):
    def run(self) -> None:
        time.sleep(1.5)


class _Breaks(health.HealthCheck):
    def run(self) -> None:
        raise KeyError("a bug in a check")


def test_a_check_that_hangs_past_its_budget_is_down_as_timed_out() -> None:
    check = _Hangs()
    check.timeout = dt.timedelta(seconds=0.2)  # waited for 1 s more, so its client reports first
    with ThreadPoolExecutor(1) as pool:
        result = asyncio.run(check.get_result(pool))
    assert health._component(result) == {
        "status": "DOWN",
        "details": {"error": "Timed out after 0.2 seconds"},
    }
    assert 1.1 < result.time_taken < 1.5


def test_a_check_that_breaks_is_down_without_its_exception_and_is_logged(caplog) -> None:
    with ThreadPoolExecutor(1) as pool:
        result = asyncio.run(_Breaks().get_result(pool))
    assert health._component(result) == {"status": "DOWN", "details": {"error": "unknown error"}}
    assert "a bug in a check" not in json.dumps(health._component(result))
    assert any("failed unexpectedly" in r.getMessage() for r in caplog.records)


def test_health_checks_import_no_dns_library() -> None:
    # django-health-check's package imported dnspython (2.3 MB a worker) for a check not made here.
    code = "import sys, kernel.health; sys.exit('dns' in sys.modules)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nomis_sync.settings"}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0
