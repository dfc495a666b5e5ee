"""Health of the dashboard and everything it depends on, in the HMPPS `/health` shape.

Checks run concurrently, each with a short timeout, so `/health` costs about the slowest check
rather than the sum, and a hung upstream cannot hang the probe.
Probes come often, so each check reuses what the last one opened (the shared upstream connection
pools, one Redis client per URL, the worker thread's database connection) instead of connecting
afresh every time.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import datetime as dt
import functools
import logging
import time
from concurrent.futures import Executor
from typing import Any

import redis
import requests
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connections

from upstream import ApiClient, ContextThreadPoolExecutor, executor

logger = logging.getLogger(__name__)


class ComponentDown(Exception):
    """A failed check, with the details shown for it in `/health`."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclasses.dataclass
class CheckResult:
    error: ComponentDown | None
    time_taken: float  # seconds


class HealthCheck(abc.ABC):
    """One component's check: `run` returns when it is healthy and raises ComponentDown if not.

    Our own rather than django-health-check's: importing that package imports dnspython for its
    DNS check, 2.3 MB of every worker's memory for a check this dashboard does not make (issue 30).
    """

    # The check's budget; configured_checks sets it from HEALTH_CHECK_TIMEOUT_SECONDS.
    timeout = dt.timedelta(seconds=5)

    @abc.abstractmethod
    def run(self) -> None: ...

    async def get_result(self, pool: Executor) -> CheckResult:
        started = time.perf_counter()
        error: ComponentDown | None = None
        try:
            # A second more than the check's own client timeout, so that reports first.
            await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(pool, self.run),
                self.timeout.total_seconds() + 1,
            )
        except ComponentDown as down:
            error = down  # reported in /health; probes come often, so not logged
        except TimeoutError:
            error = ComponentDown(f"Timed out after {self.timeout.total_seconds():g} seconds")
        except Exception:
            logger.exception("Health check %r failed unexpectedly", self)
            error = ComponentDown("unknown error")
        return CheckResult(error, time.perf_counter() - started)


@dataclasses.dataclass
class UpstreamPing(HealthCheck):
    """GET `<base_url>/health/ping`; healthy when it answers 2xx and does not say DOWN."""

    base_url: str
    timeout: dt.timedelta = dataclasses.field(
        default=dt.timedelta(seconds=2), repr=False, compare=False
    )

    def run(self) -> None:
        seconds = self.timeout.total_seconds()
        # Over the upstream's shared, kept-alive connection pool; no retries, the probe reports.
        client = ApiClient(self.base_url, timeout=(seconds, seconds))
        try:
            response = client.get(client.url("health/ping"), timeout=(seconds, seconds))
        except requests.Timeout as exc:
            raise ComponentDown("timed out", {"error": f"Timed out after {seconds:g}s"}) from exc
        except requests.RequestException as exc:
            raise ComponentDown("unreachable", {"error": "Connection failed"}) from exc
        body_status = _body_status(response)
        if not response.ok or body_status == "DOWN":
            raise ComponentDown("unhealthy", {"status": response.status_code})


def _body_status(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) else None


# Database checks run on this one thread, so each worker process holds at most one connection
# for its probes however many arrive at once (SELECT 1 takes well under a millisecond). In a copy
# of the probe's context, like the shared pool: with telemetry on, that is what keeps the probe's
# query out of telemetry (telemetry).
_DATABASE_THREAD = ContextThreadPoolExecutor(max_workers=1, thread_name_prefix="health-db")


@dataclasses.dataclass
class DatabasePing(HealthCheck):
    """`SELECT 1` over the probe thread's own connection, kept between probes.

    The library's check opens and closes a connection per probe (several milliseconds with
    PostgreSQL). Here the connection is treated as Django treats a request's: dropped before and
    after use once it has failed or outlived CONN_MAX_AGE (so with 0, never kept), and after any
    error, so the next probe reconnects.
    """

    alias: str = "default"

    def run(self) -> None:
        connection = connections[self.alias]
        connection.close_if_unusable_or_obsolete()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                result = cursor.fetchone()
        except DatabaseError as exc:
            connection.close()
            raise ComponentDown("unreachable", {"error": "Database query failed"}) from exc
        finally:
            connection.close_if_unusable_or_obsolete()
        if result != (1,):
            raise ComponentDown("unexpected answer", {"error": "SELECT 1 did not return 1"})


@functools.lru_cache(maxsize=4)
def _redis_client(url: str, timeout_seconds: float) -> redis.Redis:
    # One client (and so one small connection pool) per URL for the process's life.
    return redis.Redis.from_url(
        url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds
    )


@dataclasses.dataclass
class RedisPing(HealthCheck):
    """PING over a pooled connection; a broken connection is replaced on the next probe."""

    url: str = dataclasses.field(repr=False)

    def run(self) -> None:
        try:
            _redis_client(self.url, self.timeout.total_seconds()).ping()
        except redis.RedisError as exc:
            raise ComponentDown("unreachable", {"error": "Redis did not answer"}) from exc


def configured_checks() -> dict[str, HealthCheck]:
    """The checks for this deployment, by the component name `/health` reports."""
    timeout = dt.timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    checks: dict[str, HealthCheck] = {"db": DatabasePing()}
    if settings.REDIS_URL:
        checks["redis"] = RedisPing(url=settings.REDIS_URL)
    upstreams = {
        "hmppsAuth": settings.HMPPS_AUTH_URL,
        "nomisMigrationApi": settings.NOMIS_MIGRATION_API_URL,
        "nomisPrisonerApi": settings.NOMIS_PRISONER_API_URL,
        "mappingApi": settings.MAPPING_API_URL,
        "activitiesApi": settings.ACTIVITIES_API_URL,
    }
    if settings.TOKEN_VERIFICATION_ENABLED:
        upstreams["tokenVerification"] = settings.TOKEN_VERIFICATION_API_URL
    for name, base in upstreams.items():
        checks[name] = UpstreamPing(base_url=base, timeout=timeout)
    for check in checks.values():
        check.timeout = timeout
    return checks


def _component(result: CheckResult) -> dict[str, Any]:
    if result.error is None:
        return {"status": "UP", "details": {"timeTakenMs": round(result.time_taken * 1000, 1)}}
    details = result.error.details or {"error": result.error.message}
    return {"status": "DOWN", "details": details}


async def _run_all(checks: dict[str, HealthCheck]) -> dict[str, CheckResult]:
    # On the shared pool of threads: asyncio's default executor would start new threads for every
    # probe (and with them, new database connections).
    pool = executor()
    results = await asyncio.gather(
        *(
            check.get_result(_DATABASE_THREAD if isinstance(check, DatabasePing) else pool)
            for check in checks.values()
        )
    )
    return dict(zip(checks, results, strict=True))


def run_health_checks() -> dict[str, Any]:
    """Run every check concurrently; return `{"status": "UP"|"DOWN", "components": {...}}`."""
    results = asyncio.run(_run_all(configured_checks()))
    components = {name: _component(result) for name, result in results.items()}
    healthy = all(component["status"] == "UP" for component in components.values())
    return {"status": "UP" if healthy else "DOWN", "components": components}
