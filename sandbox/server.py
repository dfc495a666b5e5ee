"""One threaded HTTP/1.1 server with keep-alive and TCP_NODELAY.

``wsgiref`` answers one request per connection and adds per-request overhead; benchmarks need the
sandbox to stay well under 2 ms per call, so this small handler keeps connections open and writes
each response with a single ``sendall``.
"""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import time
from collections.abc import Callable, Iterable
from socketserver import StreamRequestHandler, ThreadingTCPServer
from typing import Any
from urllib.parse import unquote

from sandbox.middleware import DropConnection

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SandboxHTTPServer(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: WsgiApp, *, verbose: bool = False) -> None:
        self.app = app
        self.verbose = verbose
        super().__init__(address, Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return  # clients going away is normal (timeouts, dropped-connection faults)
        super().handle_error(request, client_address)


class Handler(StreamRequestHandler):
    """A lean HTTP/1.1 request loop (``http.server``'s e-mail header parsing is slow)."""

    # Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    server: SandboxHTTPServer

    def handle(self) -> None:
        try:
            while self._handle_one():
                pass
        except (TimeoutError, ConnectionError, ValueError):
            return

    def _handle_one(self) -> bool:
        """Serve one request; False when the connection should close."""
        line = self.rfile.readline(65537)
        if not line:
            return False
        if len(line) > 65536:
            self._simple_error(414, "URI Too Long")
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            if parts:
                self._simple_error(400, "Bad Request")
            return False
        method, target, version = parts
        headers: list[tuple[str, str]] = []
        while True:
            raw = self.rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
            if len(headers) > 100:
                self._simple_error(431, "Request Header Fields Too Large")
                return False
        lowered = {k.lower(): v for k, v in headers}
        connection = lowered.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        if lowered.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self._read_body(lowered)
        started = time.perf_counter()
        environ = self._environ(method, target, version, headers, lowered, body)
        status_headers: list[Any] = []

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            status_headers[:] = [status, response_headers]
            return lambda data: None

        try:
            result = self.server.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DropConnection:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return False
        status, response_headers = status_headers
        lines = [f"HTTP/1.1 {status}"]
        for key, value in response_headers:
            if key.lower() != "content-length":
                lines.append(f"{key}: {value}")
        lines.append(f"Content-Length: {len(payload)}")
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (b"" if method == "HEAD" else payload))
        if self.server.verbose:
            elapsed = (time.perf_counter() - started) * 1000
            sys.stderr.write(f"{method} {target} {status.split(' ', 1)[0]} {elapsed:.2f} ms\n")
        return keep_alive

    def _simple_error(self, code: int, reason: str) -> None:
        self.wfile.write(
            f"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )

    def _read_body(self, lowered: dict[str, str]) -> bytes:
        if lowered.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Skip any trailers up to the blank line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(lowered.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _environ(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[tuple[str, str]],
        lowered: dict[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "iso-8859-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": lowered.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in headers:
            name = key.upper().replace("-", "_")
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                continue
            name = "HTTP_" + name
            environ[name] = f"{environ[name]},{value}" if name in environ else value
        return environ
