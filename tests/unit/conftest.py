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
