"""The benchmark's load generator: concurrency means that many requests in flight to the end;
its scaling pair, concurrency 16 with concurrency 1 just before and just after it; and the
workers' CPU a request (issue 30)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench import run
from bench.load import Page, Setting, Target, drive


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept-alive connections, as gunicorn's
    disable_nagle_algorithm = True  # no delayed-ACK stalls between the headers and the body
    served: Counter[int] = Counter()
    first: list[int] = []
    lock = threading.Lock()
    slow_first = True

    def do_GET(self) -> None:
        port = self.client_address[1]
        with self.lock:
            if not self.first:
                self.first.append(port)
            self.served[port] += 1
            slow = self.slow_first and port == self.first[0]
        if slow:
            time.sleep(0.1)  # one connection lands on a busy worker
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    _Handler.served = Counter()
    _Handler.first = []
    _Handler.slow_first = True
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_connections_share_the_requests_so_a_slow_one_does_not_hold_the_others_back(
    server: ThreadingHTTPServer,
) -> None:
    port = server.server_address[1]
    result = drive(Target(port, "", port), Page("page", "/", 0), Setting(0, 4, 40))
    assert result["statuses"] == {200: 40}
    assert sum(_Handler.served.values()) == 40
    slow = _Handler.served[_Handler.first[0]]
    # A fixed share would have been 10 requests each; the slow connection (100 ms a request)
    # takes its next one from what is left, and the fast ones have taken nearly all of it.
    assert slow <= 3, dict(_Handler.served)


def test_concurrency_1_is_measured_just_before_and_after_16_and_its_mean_rate_kept(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every connection as fast as the others; one server plays both the dashboard (page and
    # /ping) and the sandbox (its /health/ping).
    _Handler.slow_first = False
    port = server.server_address[1]
    runs: list[tuple[str, int, int, dict[str, Any]]] = []
    real_drive = run.drive

    def recording_drive(target, page, setting):
        measured = real_drive(target, page, setting)
        runs.append((page.name, setting.concurrency, setting.requests, measured))
        return measured

    monkeypatch.setattr(run, "drive", recording_drive)
    page = Page("home", "/", 0)
    plan = run.Plan(rounds=1, requests=10, smoke=False)
    rows = run.measure_scaling(Target(port, "", port), page, plan, 0)

    home = [(c, n, m) for name, c, n, m in runs if name == "home"]
    # 1 (40), the warm-up (8 at 8), 16 (100), then 1 again (40): nothing else of the page's
    # between them, so both rates at 1 are of the moments around 16.
    assert [(c, n) for c, n, _ in home] == [(1, 40), (8, 8), (16, 100), (1, 40)]
    # The floors (each warmed up, then measured) come just before 16, as for every other page.
    floors = [run.PING, run.PING, run.UPSTREAM_PING, run.UPSTREAM_PING]
    assert [name for name, *_ in runs] == ["home", *floors, "home", "home", "home"]
    sixteen = rows[-1]
    assert (sixteen["page"], sixteen["concurrency"], sixteen["requests"]) == ("home", 16, 100)
    rates = [len(m["latencies"]) / m["elapsed_s"] for c, _, m in (home[0], home[-1])]
    assert sixteen["c1_rps_beside"] == pytest.approx(statistics.mean(rates), abs=0.1)


def test_another_processs_cpu_time_is_read_to_the_millisecond() -> None:
    # A child that spins for 0.3 s of CPU, then sleeps: its CPU clock, read from here.
    script = (
        "import time\nstart = time.process_time()\n"
        "while time.process_time() - start < 0.3: pass\nprint('spun', flush=True)\ntime.sleep(5)"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "spun\n"
        first = run.process_cpu_s(child.pid)
        time.sleep(0.2)
        assert 0.3 <= first < 1.5
        # Asleep, it uses next to nothing, and the clock is finer than /proc's 10 ms ticks.
        assert 0 <= run.process_cpu_s(child.pid) - first < 0.005
    finally:
        child.kill()
        child.wait()


def test_cpu_is_measured_for_ping_then_each_page_alone_in_alternating_order(
    server, monkeypatch
) -> None:
    _Handler.slow_first = False
    port = server.server_address[1]
    driven: list[tuple[str, Setting]] = []
    real_drive = run.drive
    clock = iter(range(0, 1000, 1))  # the workers' CPU: 1 s more at each reading

    def recording_drive(target: Target, page: Page, setting: Setting) -> dict[str, Any]:
        driven.append((page.name, setting))
        return real_drive(target, page, setting)

    monkeypatch.setattr(run, "drive", recording_drive)
    monkeypatch.setattr(run, "workers_cpu_s", lambda master: float(next(clock)))
    pages = [Page("home", "/", 0), Page("taps history", "/taps/", 1)]
    plan = run.Plan(rounds=2, requests=10, smoke=False)
    rows = [
        *run.measure_cpu(Target(port, "", port), None, pages, plan, 0),  # type: ignore[arg-type]
        *run.measure_cpu(Target(port, "", port), None, pages, plan, 1),  # type: ignore[arg-type]
    ]
    names = [name for name, _ in driven]
    assert names == [run.PING, "home", "taps history", run.PING, "taps history", "home"]
    # Alone (no interleaved /ping), at concurrency 1.
    assert {(s.concurrency, s.requests, s.interleave_ping) for _, s in driven} == {(1, 10, False)}
    # 1 s between the readings around 10 requests: 100 ms a request.
    assert {r["cpu_ms"] for r in rows} == {100.0}
    assert [r["statuses"] for r in rows] == [{200: 10}] * 6
