"""Health of the dashboard and everything it depends on, in the HMPPS `/health` shape.

Checks are django-health-check plugins run concurrently, each with a short timeout, so `/health`
costs about the slowest check rather than the sum, and a hung upstream cannot hang the probe.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import requests
from django.conf import settings
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from redis.asyncio import Redis as RedisClient


class ComponentDown(ServiceUnavailable):
    """A failed check, with the details shown for it in `/health`."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = details


@dataclasses.dataclass
class UpstreamPing(HealthCheck):
    """GET `<base>/health/ping`; healthy when it answers 2xx and does not say DOWN."""

    url: str
    timeout: dt.timedelta = dataclasses.field(
        default=dt.timedelta(seconds=2), repr=False, compare=False
    )

    def run(self) -> None:
        seconds = self.timeout.total_seconds()
        try:
            response = requests.get(self.url, timeout=(seconds, seconds))
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


def configured_checks() -> dict[str, HealthCheck]:
    """The checks for this deployment, by the component name `/health` reports."""
    timeout = dt.timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    checks: dict[str, HealthCheck] = {"db": Database()}
    if settings.REDIS_URL:
        redis_url = settings.REDIS_URL
        checks["redis"] = Redis(
            client_factory=lambda: RedisClient.from_url(
                redis_url,
                socket_connect_timeout=timeout.total_seconds(),
                socket_timeout=timeout.total_seconds(),
            )
        )
    upstreams = {
        "hmppsAuth": settings.HMPPS_AUTH_URL,
        "nomisMigrationApi": settings.NOMIS_MIGRATION_API_URL,
        "nomisPrisonerApi": settings.NOMIS_PRISONER_API_URL,
        "mappingApi": settings.MAPPING_API_URL,
    }
    if settings.TOKEN_VERIFICATION_ENABLED:
        upstreams["tokenVerification"] = settings.TOKEN_VERIFICATION_API_URL
    for name, base in upstreams.items():
        checks[name] = UpstreamPing(url=f"{base}/health/ping", timeout=timeout)
    for check in checks.values():
        check.timeout = timeout
    return checks


def _component(result: HealthCheckResult) -> dict[str, Any]:
    if result.error is None:
        return {"status": "UP", "details": {"timeTakenMs": round(result.time_taken * 1000, 1)}}
    details = getattr(result.error, "details", None) or {"error": result.error.message}
    return {"status": "DOWN", "details": details}


async def _run_all(checks: dict[str, HealthCheck]) -> dict[str, HealthCheckResult]:
    results = await asyncio.gather(*(check.get_result() for check in checks.values()))
    return dict(zip(checks, results, strict=True))


def run_health_checks() -> dict[str, Any]:
    """Run every check concurrently; return `{"status": "UP"|"DOWN", "components": {...}}`."""
    results = asyncio.run(_run_all(configured_checks()))
    components = {name: _component(result) for name, result in results.items()}
    healthy = all(component["status"] == "UP" for component in components.values())
    return {"status": "UP" if healthy else "DOWN", "components": components}
