"""Load generation: a fixed number of requests for one page at one concurrency, timed per request.

Plain http.client over keep-alive connections, the cheapest Python client, so the measurement is
the server's. Several processes, so the client is not limited by one interpreter's lock. Sign-in
is the exception: each measured request is a browser's whole redirect round trip with a new
session (requests follows the redirects and keeps the cookies of both hosts).
"""

from __future__ import annotations

import dataclasses
import http.client
import math
import multiprocessing
import re
import socket
import threading
import time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

import requests

PASSWORD = "password123456"  # noqa: S105 - the sandbox's published test password


@dataclasses.dataclass(frozen=True)
class Page:
    """One page under load.

    Its floor (bench.targets) is what the page cannot go below on this machine at this moment:
    `dashboard_requests` x the dashboard's /ping plus `critical_path` x the sandbox's /health/ping
    (upstream round trips the page waits for one after another; concurrent calls count once).
    """

    name: str
    path: str
    critical_path: int
    dashboard_requests: int = 1
    # A form POSTed first, whose redirect (to `path`) completes the user's action; the
    # measurement covers both requests. `form_body` is filled in once a CSRF token is known.
    form_path: str | None = None
    form_body: str = ""
    # "dashboard", "sandbox" (the upstream floor) or "sign-in" (the whole redirect round trip).
    target: str = "dashboard"
    # A share of the round's request count: the CSV export of 100,000 events takes seconds.
    share: float = 1.0
    # The type it belongs to, for the report ("" for pages of the whole dashboard).
    type_slug: str = ""


@dataclasses.dataclass(frozen=True)
class Setting:
    latency_ms: int
    concurrency: int
    requests: int
    # Before each request of the page, the dashboard's /ping on the same connection (so the same
    # worker, at the same moment): the page's own floor, timed apart from it.
    interleave_ping: bool = False


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a page is sent: the dashboard's port and session cookie, the sandbox's port."""

    dashboard_port: int
    cookie: str
    sandbox_port: int
    username: str = "SYSCON_USER"


# -- Signing in through the real flow


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action:
            self.action = values.get("action", "")
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


def sign_in(base_url: str, username: str) -> requests.Session:
    """Sign in through /sign-in and the sandbox's HMPPS Auth form, as a browser would."""
    session = requests.Session()
    form_page = session.get(f"{base_url}/sign-in?next=/", timeout=30)
    form_page.raise_for_status()
    parser = _FormParser()
    parser.feed(form_page.text)
    action = urljoin(form_page.url, parser.action)
    home = session.post(
        action, data={**parser.fields, "username": username, "password": PASSWORD}, timeout=30
    )
    home.raise_for_status()
    if urlparse(home.url).path != "/":
        raise RuntimeError(f"sign-in ended at {home.url}, not the home page")
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(
        f"{c.name}={c.value}" for c in session.cookies if c.domain.startswith("localhost")
    )


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


# -- Driving


def _take(remaining: Any) -> bool:
    """One request from the run's shared count, if any are left."""
    with remaining.get_lock():
        if remaining.value <= 0:
            return False
        remaining.value -= 1
        return True


def _client_process(
    target: Target,
    page: Page,
    remaining: Any,
    threads: int,
    interleave_ping: bool,
    queue: Any,
    ready: Any,
) -> None:
    latencies: list[float] = []
    pings: list[float] = []
    statuses: dict[int | str, int] = {}
    lock = threading.Lock()

    def thread() -> None:
        if page.target == "sign-in":
            local, codes = _sign_in_thread(target, page, remaining, ready)
            local_pings: list[float] = []
        else:
            local, codes, local_pings = _http_thread(
                target, page, remaining, ready, interleave_ping
            )
        with lock:
            latencies.extend(local)
            pings.extend(local_pings)
            for code, seen in codes.items():
                statuses[code] = statuses.get(code, 0) + seen

    workers = [threading.Thread(target=thread) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, statuses, pings))


def _http_thread(
    target: Target, page: Page, remaining: Any, ready: Any, interleave_ping: bool
) -> tuple[list[float], dict[int | str, int], list[float]]:
    port = target.sandbox_port if page.target == "sandbox" else target.dashboard_port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Every client thread starts sending at once, once all are connected.
    ready.wait()
    headers = {"Cookie": target.cookie, "Host": f"localhost:{port}"}
    form_headers = {
        **headers,
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://localhost:{port}{page.form_path}",
    }
    local: list[float] = []
    pings: list[float] = []
    codes: dict[int | str, int] = {}
    while _take(remaining):
        if interleave_ping:
            started = time.perf_counter()
            connection.request("GET", "/ping", headers=headers)
            response = connection.getresponse()
            response.read()
            pings.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                key = f"ping {response.status}"
                codes[key] = codes.get(key, 0) + 1
        started = time.perf_counter()
        if page.form_path:
            connection.request("POST", page.form_path, body=page.form_body, headers=form_headers)
            response = connection.getresponse()
            response.read()
            location = response.getheader("Location", "")
            if response.status != 302 or urlparse(location).path != page.path.split("?")[0]:
                # The form was refused or re-shown: counted apart, so it fails the run.
                key = f"form {response.status}"
                codes[key] = codes.get(key, 0) + 1
                continue
        connection.request("GET", page.path, headers=headers)
        response = connection.getresponse()
        response.read()
        local.append((time.perf_counter() - started) * 1000)
        codes[response.status] = codes.get(response.status, 0) + 1
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection.connect()
    connection.close()
    return local, codes, pings


def _sign_in_thread(
    target: Target, page: Page, remaining: Any, ready: Any
) -> tuple[list[float], dict[int | str, int]]:
    base = f"http://localhost:{target.dashboard_port}"
    ready.wait()
    local: list[float] = []
    codes: dict[int | str, int] = {}
    while _take(remaining):
        started = time.perf_counter()
        try:
            sign_in(base, target.username)
            code: int | str = 200
        except (requests.RequestException, RuntimeError) as error:
            code = f"sign-in {type(error).__name__}"
        else:
            local.append((time.perf_counter() - started) * 1000)
        codes[code] = codes.get(code, 0) + 1
    return local, codes


def drive(target: Target, page: Page, setting: Setting) -> dict[str, Any]:
    """`setting.requests` requests of `page` at `setting.concurrency`; latencies and statuses."""
    processes = min(4, max(1, setting.concurrency // 4))
    threads = max(1, setting.concurrency // processes)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    # Every connection takes its next request from one shared count, so all of them stay busy
    # until the run's requests are done. With a fixed share each, the connections on the less
    # loaded gunicorn worker finished theirs early and that worker sat half idle (0.48 of a CPU
    # against 0.93 with 6 of the 16 connections against 10): the figure was the slower worker's
    # makespan, not what the dashboard serves at concurrency 16.
    remaining = context.Value("i", setting.requests)
    # The clock starts when every client thread has connected, so requests a second measure the
    # server, not the client processes starting.
    ready = context.Barrier(processes * threads + 1)
    children = [
        context.Process(
            target=_client_process,
            args=(target, page, remaining, threads, setting.interleave_ping, queue, ready),
        )
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    ready.wait(timeout=120)
    started = time.perf_counter()
    latencies: list[float] = []
    pings: list[float] = []
    statuses: dict[int | str, int] = {}
    for _ in children:
        part, codes, part_pings = queue.get(timeout=900)
        latencies.extend(part)
        pings.extend(part_pings)
        for code, seen in codes.items():
            statuses[code] = statuses.get(code, 0) + seen
    elapsed = time.perf_counter() - started
    for child in children:
        child.join()
    return {"latencies": latencies, "statuses": statuses, "elapsed_s": elapsed, "pings": pings}


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `pct` % of them at or below.

    So the p99 of 100 requests is the second slowest, not the slowest (rounding 99.5 to even
    made it the slowest, and any one hiccup in a round its p99).
    """
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[index]
