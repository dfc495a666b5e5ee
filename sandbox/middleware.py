"""WSGI wrapper around Django: injected faults and latency, the request journal, bearer claims.

It sits outside Django so a "drop" fault can close the connection without any response, which a
Django middleware cannot do. The HTTP server (sandbox.server) turns :class:`DropConnection` into
a closed socket.

Most faults act before the request reaches the sandbox's views, so nothing happens. An "after"
fault lets the view run (the migration really starts, the mapping is really added) and then
holds the answer back ("delay") or closes the connection instead of answering ("drop"): the
client cannot tell whether its request was carried out.

The global latency (`POST /__sandbox/latency`) is the time each call takes to be answered, from
the moment its request was read: the view runs at once and its answer is held back for the rest
of it, as a remote service works while its round trip runs. Slept first, the view ran after the
100 ms sleep on a CPU gone idle, 1.6 x slower than straight away on a 2-core VM (issue 30), and
that time was counted as the dashboard's in the benchmark's p50 / critical path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.engine import PREFIX_SERVICES, Engine, Fault, get_engine
from sandbox.util import dumps

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class DropConnection(Exception):
    """Raised to make the server close the connection without answering."""


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            408: "Request Timeout", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}  # fmt: skip


class SandboxMiddleware:
    def __init__(self, app: WsgiApp, engine: Engine | None = None) -> None:
        self.app = app
        self.engine = engine or get_engine()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        head = path[1:].split("/", 1)[0]
        service = PREFIX_SERVICES.get(head)
        if service is None:
            # Control API and unknown paths: no faults, no journal.
            return self.app(environ, start_response)
        engine = self.engine
        claims = None
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if auth[:7].lower() == "bearer ":
            claims = engine.tokens.decode(auth[7:].strip())
        environ["sandbox.claims"] = claims
        entry = {
            "method": environ.get("REQUEST_METHOD", ""),
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "status": None,
            "user": claims.get("user_name") if claims else None,
        }
        answer_at = time.monotonic() + engine.latency_ms / 1000
        try:
            fault = None
            if engine.faults:
                fault, release = engine.take_fault(
                    service, path[len(head) + 1 :], environ.get("REQUEST_METHOD", "")
                )
                if fault is not None and fault.after:
                    return self._after(fault, release, environ, entry, start_response)
                if fault is not None:
                    if fault.hang:
                        # Longer than any client timeout, but ends by itself (or when faults clear).
                        release.wait(engine.settings.hang_seconds)
                    if fault.drop:
                        entry["status"] = 0
                        raise DropConnection
                    # A fault's latency comes before the request is carried out.
                    if fault.latency_ms:
                        time.sleep(fault.latency_ms / 1000)
                        answer_at += fault.latency_ms / 1000
                    if fault.status or fault.malformed:
                        _sleep_until(answer_at)
                    if fault.status:
                        return self._fault_response(fault.status, path, entry, start_response)
                    if fault.malformed:
                        entry["status"] = 200
                        start_response("200 OK", [("Content-Type", "application/json")])
                        return [b'{"status":"UP","content":[{"visitId":']

            def recording_start_response(
                status: str, headers: list[tuple[str, str]], exc_info: Any = None
            ) -> Any:
                entry["status"] = int(status.split(" ", 1)[0])
                return (
                    start_response(status, headers, exc_info)
                    if exc_info
                    else start_response(status, headers)
                )

            if answer_at <= time.monotonic():
                return self.app(environ, recording_start_response)
            return self._held(environ, recording_start_response, answer_at)
        finally:
            engine.record(entry)

    def _held(
        self, environ: dict[str, Any], start_response: StartResponse, answer_at: float
    ) -> list[bytes]:
        """Handle the request now; answer it at `answer_at` (the global latency)."""
        status, headers, payload = self._handled(environ)
        _sleep_until(answer_at)
        start_response(status, headers)
        return [payload]

    def _handled(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """The view's whole answer, not yet sent: status, headers and body."""
        answer: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return lambda data: None

        result = self.app(environ, keep)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = answer
        return status, headers, payload

    def _after(
        self,
        fault: Fault,
        release: threading.Event,
        environ: dict[str, Any],
        entry: dict[str, Any],
        start_response: StartResponse,
    ) -> list[bytes]:
        """Handle the request for real, then hold its answer back or drop the connection."""
        status, headers, payload = self._handled(environ)
        entry["status"] = int(status.split(" ", 1)[0])
        entry["after"] = fault.after
        if fault.after == "drop":
            raise DropConnection
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        else:
            # Longer than any client timeout, but ends by itself (or when faults clear).
            release.wait(self.engine.settings.hang_seconds)
        start_response(status, headers)
        return [payload]

    @staticmethod
    def _fault_response(
        status: int, path: str, entry: dict[str, Any], start_response: StartResponse
    ) -> list[bytes]:
        entry["status"] = status
        body: dict[str, Any]
        if path.endswith("/health/ping") or path.endswith("/health"):
            body = {"status": "DOWN"}
        else:
            body = {
                "status": status,
                "userMessage": f"Sandbox injected fault: {status}",
                "developerMessage": "fault",
            }
        data = dumps(body).encode()
        start_response(
            f"{status} {_REASONS.get(status, 'Injected')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]


def _sleep_until(moment: float) -> None:
    left = moment - time.monotonic()
    if left > 0:
        time.sleep(left)
