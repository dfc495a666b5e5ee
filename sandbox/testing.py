"""``SandboxServer``: run the sandbox as a subprocess for integration, browser and benchmark tests.

with SandboxServer(scenario="default", fast=True) as sandbox:
    env = sandbox.env_for_dashboard()
    sandbox.add_fault("nomisMigrationApi", "/migrate/visits", status=500, times=1)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

UI_CLIENT_ID = "nomis-sync-dashboard-ui"
UI_CLIENT_SECRET = "sandbox-ui-secret"
SYSTEM_CLIENT_ID = "nomis-sync-dashboard-system"
SYSTEM_CLIENT_SECRET = "sandbox-system-secret"

# Lifecycle timings that make a small migration complete in well under a second.
FAST_ENV = {
    "SANDBOX_WORKERS": "4",
    "SANDBOX_VISIT_DELAY_MS": "0",
    "SANDBOX_FIRST_CHECK_DELAY_S": "0.05",
    "SANDBOX_RECHECK_DELAY_S": "0.05",
    # Completion counts only visible messages (upstream-api §5.5, §13.5), so a failing record
    # between its deliveries does not hold it back. Three readings 0.02 s apart were about as long
    # as a record's retries (0.02 s apart), and beside a bench-check court sentencing completed
    # with 4 of its 5 failures on the DLQ. 0.1 s apart they outlast the retries, as the real
    # service's readings (11, 1 s apart) outlast its 1 s retries: with retries slowed to 0.1 s,
    # the 11 sandbox tests that count failures at completion fail at 0.02 and pass at 0.1.
    "SANDBOX_EMPTY_CHECK_INTERVAL_S": "0.1",
    "SANDBOX_EMPTY_READINGS": "3",
    "SANDBOX_CANCEL_PURGE_INTERVAL_S": "0.02",
    "SANDBOX_CANCEL_PURGE_TOTAL_S": "0.1",
    "SANDBOX_RETRY_DELAY_S": "0.02",
    "SANDBOX_DLQ_VISIBILITY_S": "0.5",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxError(RuntimeError):
    pass


class SandboxServer:
    """Start ``manage.py sandbox`` on a free port; stop it on exit."""

    def __init__(
        self,
        scenario: str = "default",
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        fast: bool = False,
        extra_redirect_uris: list[str] | None = None,
        startup_timeout: float = 15.0,
        verbose: bool = False,
    ) -> None:
        self.scenario = scenario
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self._env = {**(FAST_ENV if fast else {}), **(env or {})}
        if extra_redirect_uris:
            self._env["SANDBOX_EXTRA_REDIRECT_URIS"] = ",".join(extra_redirect_uris)
        self._startup_timeout = startup_timeout
        self._verbose = verbose
        self.process: subprocess.Popen[bytes] | None = None

    # -- Process

    def start(self) -> SandboxServer:
        env = {**os.environ, **self._env}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        cmd = [sys.executable, str(REPO_ROOT / "manage.py"), "sandbox", "--port", str(self.port)]
        cmd += ["--host", self.host, "--scenario", self.scenario]
        if self._verbose:
            cmd.append("--verbose")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=None
        )
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SandboxError(f"sandbox exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/auth/health/ping", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        raise SandboxError(f"sandbox did not answer on {self.url} within {self._startup_timeout} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- Control API

    def control(self, method: str, path: str, body: Any = None, *, timeout: float = 30) -> Any:
        """Call ``/__sandbox/<path>`` and return the parsed JSON (None for an empty body)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - our own local URL
            f"{self.url}/__sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise SandboxError(
                f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}"
            ) from exc
        return json.loads(raw) if raw else None

    def reset(self, scenario: str | None = None, **extra: Any) -> dict[str, Any]:
        """Reset all state to ``scenario`` (default: the start one); e.g. ``history_size=5000``."""
        return self.control("POST", "reset", {"scenario": scenario or self.scenario, **extra})

    def add_fault(
        self,
        service: str | None,
        path_prefix: str = "",
        *,
        latency_ms: float | None = None,
        status: int | None = None,
        hang: bool = False,
        malformed: bool = False,
        drop: bool = False,
        method: str | None = None,
        after: str | None = None,
        times: int | None = None,
    ) -> dict[str, Any]:
        """Add a fault; ``after="delay"``/``"drop"`` acts once the request has been handled."""
        spec = {
            "service": service,
            "path_prefix": path_prefix,
            "latency_ms": latency_ms,
            "status": status,
            "hang": hang,
            "malformed": malformed,
            "drop": drop,
            "method": method,
            "after": after,
            "times": times,
        }
        return self.control("POST", "faults", {k: v for k, v in spec.items() if v is not None})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def set_latency(self, ms: float) -> None:
        self.control("POST", "latency", {"ms": ms})

    def journal(self) -> list[dict[str, Any]]:
        return self.control("GET", "journal")

    def update_settings(self, **settings: Any) -> dict[str, Any]:
        return self.control("POST", "settings", settings)

    def add_redirect_uri(self, uri: str, client_id: str = UI_CLIENT_ID) -> None:
        self.control("POST", "redirect-uris", {"client_id": client_id, "uri": uri})

    def telemetry(self) -> dict[str, Any]:
        return self.control("GET", "telemetry")

    # -- Service helpers

    def system_token(self, username: str | None = None) -> str:
        """A client-credentials token for the dashboard's system client."""
        from base64 import b64encode
        from urllib.parse import urlencode

        form = {"grant_type": "client_credentials", **({"username": username} if username else {})}
        basic = b64encode(f"{SYSTEM_CLIENT_ID}:{SYSTEM_CLIENT_SECRET}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/auth/oauth/token",
            data=urlencode(form).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return str(json.loads(response.read())["access_token"])

    def migration_status(self, migration_id: str) -> str:
        from urllib.parse import quote

        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/nomis-migration-api/migrate/history/{quote(migration_id)}",
            headers={"Authorization": f"Bearer {self.system_token()}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return str(json.loads(response.read())["status"])

    def wait_for_status(self, migration_id: str, status: str, timeout: float = 10.0) -> None:
        """Poll the migration's history row until it has ``status``."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.migration_status(migration_id)
            if last == status:
                return
            time.sleep(0.05)
        raise SandboxError(f"migration {migration_id} is {last}, not {status}, after {timeout} s")

    def env_for_dashboard(self) -> dict[str, str]:
        """Environment variables that point the dashboard at this sandbox."""
        return {
            "HMPPS_AUTH_URL": f"{self.url}/auth",
            "HMPPS_AUTH_EXTERNAL_URL": f"{self.url}/auth",
            "NOMIS_MIGRATION_API_URL": f"{self.url}/nomis-migration-api",
            "NOMIS_PRISONER_API_URL": f"{self.url}/nomis-prisoner-api",
            "MAPPING_API_URL": f"{self.url}/mapping-api",
            "TOKEN_VERIFICATION_API_URL": f"{self.url}/verification",
            "ACTIVITIES_API_URL": f"{self.url}/activities-api",
            "AUTH_CODE_CLIENT_ID": UI_CLIENT_ID,
            "AUTH_CODE_CLIENT_SECRET": UI_CLIENT_SECRET,
            "CLIENT_CREDS_CLIENT_ID": SYSTEM_CLIENT_ID,
            "CLIENT_CREDS_CLIENT_SECRET": SYSTEM_CLIENT_SECRET,
        }
