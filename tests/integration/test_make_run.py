"""`make run` on other ports than the defaults: the README's "make run" works end to end.

Starts `make run PORT=… SANDBOX_PORT=…` as a newcomer would (assets are already built by the
test run), signs in through the sandbox's HMPPS Auth form and reaches the home page.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from sandbox.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_until_up(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[int, int]]:
    port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SANDBOX_URL", "INGRESS_URL", "ALLOWED_HOSTS"}
        and not k.startswith(("PYTEST", "DJANGO_"))
    }
    log = (tmp_path / "make-run.log").open("w")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", f"SANDBOX_PORT={sandbox_port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://localhost:{sandbox_port}/auth/health/ping")
        wait_until_up(f"http://localhost:{port}/ping")
        yield port, sandbox_port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_make_run_on_other_ports_signs_in_end_to_end(make_run: tuple[int, int]) -> None:
    port, sandbox_port = make_run
    with requests.Session() as http:
        page = http.get(f"http://localhost:{port}/", timeout=10)
        assert page.url.startswith(f"http://localhost:{sandbox_port}/auth/"), page.url
        action = re.search(r'<form[^>]*action="([^"]*)"', page.text)
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
        fields.update(username="VISITS_USER", password="password123456")
        home = http.post(
            urljoin(page.url, action.group(1) if action else ""), data=fields, timeout=10
        )
        assert home.url == f"http://localhost:{port}/", home.url
        assert "Visits migration" in home.text
