"""Unit tests never reach a real HTTP service: requests-mock stands at the boundary."""

from __future__ import annotations

import pytest
import requests.adapters


@pytest.fixture(autouse=True)
def no_real_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any HTTP request that requests-mock did not intercept."""

    def refuse(self, request, *args, **kwargs):
        raise AssertionError(f"Unit test made a real HTTP call: {request.method} {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)


@pytest.fixture(autouse=True)
def idle_migration_types(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The home page asks whether each type is running (M5); most tests are not about that.

    Tests marked `running_tags` get the real check, with the upstream mocked at HTTP.
    """
    if request.node.get_closest_marker("running_tags"):
        return
    monkeypatch.setattr(
        "migrations_ui.selectors.running._in_progress", lambda username, upstream_type: False
    )
