"""The single shared object behind every view: state, settings, auth data, faults and journal.

Locking: one lock (``Engine.lock``) guards the scenario state, faults and journal. Workers and
hung requests never sleep while holding it. The token service keeps its own small lock because it
is independent of scenario state and survives resets.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import scenarios
from sandbox.config import Client, SandboxSettings, User, default_clients, default_users
from sandbox.state import State
from sandbox.tokens import TokenService

# Fault services by name, and the URL prefix each one is served under.
SERVICE_PREFIXES = {
    "hmppsAuth": "/auth",
    "tokenVerification": "/verification",
    "nomisMigrationApi": "/nomis-migration-api",
    "nomisPrisonerApi": "/nomis-prisoner-api",
    "mappingApi": "/mapping-api",
    "activitiesApi": "/activities-api",
}
PREFIX_SERVICES = {prefix.lstrip("/"): name for name, prefix in SERVICE_PREFIXES.items()}


class FaultError(ValueError):
    pass


# Faults applied after the request was handled (see Fault.after).
AFTER_FAULTS = ("delay", "drop")


@dataclass
class Fault:
    id: int
    service: str | None  # None: every upstream service
    path_prefix: str
    latency_ms: float | None = None
    status: int | None = None
    hang: bool = False
    malformed: bool = False
    drop: bool = False
    # Only requests of this method ("POST"); None: any.
    method: str | None = None
    # Faults that act once the request has been handled (the change really happened): "delay"
    # holds the answer back (for latency_ms, else like a hang), "drop" closes the connection
    # instead of answering. None: the fault acts before, and the request is never handled.
    after: str | None = None
    times: int | None = None  # remaining uses; None: until cleared
    hits: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "path_prefix": self.path_prefix,
            "latency_ms": self.latency_ms,
            "status": self.status,
            "hang": self.hang,
            "malformed": self.malformed,
            "drop": self.drop,
            "method": self.method,
            "after": self.after,
            "times": self.times,
            "hits": self.hits,
        }


def resolve_service(name: str | None) -> str | None:
    """Accept ``nomisMigrationApi`` or the URL prefix form ``nomis-migration-api`` (or None/"*")."""
    if name in (None, "", "*"):
        return None
    if name in SERVICE_PREFIXES:
        return name
    stripped = str(name).strip("/")
    if stripped in PREFIX_SERVICES:
        return PREFIX_SERVICES[stripped]
    raise FaultError(f"unknown service {name!r}; use one of {sorted(SERVICE_PREFIXES)}")


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    username: str
    expires: float
    challenge: str | None
    method: str | None


@dataclass
class RefreshToken:
    client_id: str
    username: str
    expires: float


@dataclass
class AuthData:
    clients: dict[str, Client] = field(default_factory=default_clients)
    users: dict[str, User] = field(default_factory=default_users)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # session cookie -> username
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)


class Engine:
    def __init__(self, settings: SandboxSettings | None = None) -> None:
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.settings = settings or SandboxSettings.from_env()
        self.tokens = TokenService()
        self.auth = AuthData()
        self.state: State = scenarios.build("empty")
        self.faults: list[Fault] = []
        self._fault_ids = itertools.count(1)
        # Set by clearing faults (or reset): wakes every request held by a "hang" fault.
        self.release = threading.Event()
        self.latency_ms: float = 0.0
        self.journal: deque[dict[str, Any]] = deque(maxlen=200_000)
        self._workers: list[threading.Thread] = []
        self._worker: Callable[[Engine, int], None] | None = None
        self._started = False

    # -- Scenario

    def reset(self, scenario: str, *, history_size: int | None = None) -> State:
        """Build the scenario outside the lock, then swap it in and clear faults and journal."""
        new_state = scenarios.build(scenario, history_size=history_size)
        with self.cond:
            self.state = new_state
            self.journal.clear()
            self._clear_faults_locked()
            self.latency_ms = 0.0
            self.auth.codes.clear()
            self.cond.notify_all()
        return new_state

    # -- Faults

    def add_fault(self, spec: dict[str, Any]) -> Fault:
        service = resolve_service(spec.get("service"))
        prefix = str(spec.get("path_prefix") or spec.get("path") or "")
        if service and prefix.startswith(SERVICE_PREFIXES[service] + "/"):
            prefix = prefix[len(SERVICE_PREFIXES[service]) :]
        elif service is None:
            # A full path like "/mapping-api/mapping/visits" names its service too.
            head = prefix.strip("/").split("/", 1)[0]
            if head in PREFIX_SERVICES:
                service = PREFIX_SERVICES[head]
                prefix = (
                    prefix[len(SERVICE_PREFIXES[service]) :] if "/" in prefix.strip("/") else ""
                )
        status = spec.get("status")
        if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
            raise FaultError("status must be an HTTP status code")
        latency = spec.get("latency_ms")
        if latency is not None and (not isinstance(latency, (int, float)) or latency < 0):
            raise FaultError("latency_ms must be a non-negative number")
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise FaultError("times must be a positive integer")
        method = spec.get("method")
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise FaultError("method must be an HTTP method such as POST")
        after = spec.get("after")
        if after not in (None, *AFTER_FAULTS):
            raise FaultError(f"after must be one of {list(AFTER_FAULTS)}")
        if after and (status is not None or spec.get("hang") or spec.get("malformed")):
            raise FaultError(
                "an after fault answers with the real response: no status, hang or malformed"
            )
        if after and spec.get("drop"):
            raise FaultError('use "after": "drop" alone to drop the connection after handling')
        fault = Fault(
            id=next(self._fault_ids),
            service=service,
            path_prefix=prefix,
            latency_ms=latency,
            status=status,
            hang=bool(spec.get("hang")),
            malformed=bool(spec.get("malformed")),
            drop=bool(spec.get("drop")),
            method=method.upper() if method else None,
            after=after,
            times=times,
        )
        if not (
            fault.latency_ms
            or fault.status
            or fault.hang
            or fault.malformed
            or fault.drop
            or fault.after
        ):
            raise FaultError(
                "a fault needs one of latency_ms, status, hang, malformed, drop or after"
            )
        with self.lock:
            if self.release.is_set():
                self.release = threading.Event()
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self._clear_faults_locked()

    def _clear_faults_locked(self) -> None:
        self.faults.clear()
        self.release.set()

    def take_fault(
        self, service: str, path: str, method: str = ""
    ) -> tuple[Fault | None, threading.Event]:
        """The first fault matching ``service``, the service-relative ``path`` and ``method``.

        Uses one of its ``times``.
        """
        with self.lock:
            for fault in self.faults:
                if (
                    (fault.service is None or fault.service == service)
                    and path.startswith(fault.path_prefix)
                    and (fault.method is None or fault.method == method.upper())
                ):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault, self.release
            return None, self.release

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.journal.append(entry)

    # -- Workers

    def start(
        self, *, worker: Callable[[Engine, int], None], scheduler: Callable[[Engine], None]
    ) -> None:
        """Start the worker pool and the scheduler thread (idempotent).

        The loops come from the caller (sandbox.lifecycle.run) so this module, which the
        lifecycle uses, need not import it.
        """
        with self.lock:
            if self._started:
                return
            self._started = True
            self._worker = worker
        self.ensure_workers()
        threading.Thread(
            target=scheduler, args=(self,), name="sandbox-scheduler", daemon=True
        ).start()

    def ensure_workers(self) -> None:
        """Grow the pool to ``settings.workers``; surplus ones idle."""
        worker = self._worker
        if not self._started or worker is None:
            return
        while len(self._workers) < self.settings.workers:
            index = len(self._workers)
            thread = threading.Thread(
                target=worker,
                args=(self, index),
                name=f"sandbox-worker-{index}",
                daemon=True,
            )
            self._workers.append(thread)
            thread.start()
        with self.cond:
            self.cond.notify_all()

    def now(self) -> float:
        return time.monotonic()


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine
