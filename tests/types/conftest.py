"""Fixtures for the type modules, whose tests are of three kinds, told apart by what they ask for.

- A sandbox test asks for `sb`: a sandbox of its own, set up as the sandbox tests' is
  (tests/sandbox/conftest.py), reset before each test, and real HTTP to it.
- An integration test asks for the live dashboard (`dashboard`, `browser_as`, ...): the fixtures
  of tests/conftest.py and tests/integration/, and real HTTP.
- Any other test is a unit test and gets what tests/unit/conftest.py gives one: a real HTTP call
  fails it, and the home page's "Running" tags are stubbed unless it is marked `running_tags`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.testing import SandboxServer
from tests.sandbox import conftest as sandbox_tests
from tests.sandbox.conftest import http, system  # noqa: F401 (fixtures, used through `sb`)
from tests.unit import conftest as unit_tests
from tests.unit.conftest import assert_audit_reads  # noqa: F401 (a fixture)

# Fixtures that stand for a real server: a test asking for one is not a unit test.
REAL_SERVERS = frozenset({"sb", "live_server"})


def _is_unit_test(request: pytest.FixtureRequest) -> bool:
    return REAL_SERVERS.isdisjoint(request.fixturenames)


@pytest.fixture(autouse=True)
def no_real_http(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if _is_unit_test(request):
        unit_tests.refuse_real_http(monkeypatch)


@pytest.fixture(autouse=True)
def idle_migration_types(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if _is_unit_test(request):
        unit_tests.idle_running_tags(request, monkeypatch)


@pytest.fixture(scope="session")
def entity_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    # Not named `sandbox`: that stays tests/conftest.py's, which the live dashboard talks to.
    with sandbox_tests.sandbox_for_tests(tmp_path_factory) as server:
        yield server


@pytest.fixture
def sb(entity_sandbox: SandboxServer) -> SandboxServer:
    """The sandbox, reset to the default scenario with fast settings."""
    return sandbox_tests.reset_for_test(entity_sandbox)
