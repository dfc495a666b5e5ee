"""A busy test port stops the run at once, with one line naming the port and the variable.

Each case holds a port the way another program would (listening on it), then runs pytest on a
test that needs it, in a fresh process, with the other port moved to a free one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.testing import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
# A test that needs both the sandbox and the dashboard's live server.
NEEDS_BOTH = "tests/integration/test_sign_in.py"
# Generous: a pytest start-up with Django takes a few seconds on a busy machine; a run that did
# not stop would set up the database and the sandbox first, then fail test after test.
QUICK_SECONDS = 30


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _pytest(*args: str, **ports: int) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, **{name: str(port) for name, port in ports.items()}, "CI": "false"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize("variable", ["TEST_SANDBOX_PORT", "TEST_DASHBOARD_PORT"])
def test_a_busy_port_stops_the_run_at_once_naming_the_port_and_its_variable(
    held_port: int, variable: str
) -> None:
    other = "TEST_DASHBOARD_PORT" if variable == "TEST_SANDBOX_PORT" else "TEST_SANDBOX_PORT"
    result, seconds = _pytest(NEEDS_BOTH, **{variable: held_port, other: free_port()})
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output[-3000:]
    lines = [line for line in output.splitlines() if f"Port {held_port}" in line]
    assert len(lines) == 1, output[-3000:]
    assert f"set {variable} to a free port" in lines[0]
    assert other not in lines[0]
    # Stopped before the first test: nothing passed, failed or errored.
    assert " passed" not in output and " failed" not in output and " error" not in output
    assert seconds < QUICK_SECONDS, seconds


def test_a_run_that_needs_neither_port_is_not_stopped(held_port: int) -> None:
    result, _ = _pytest(
        "tests/unit/test_gunicorn_conf.py",
        TEST_SANDBOX_PORT=held_port,
        TEST_DASHBOARD_PORT=held_port,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert " passed" in result.stdout
