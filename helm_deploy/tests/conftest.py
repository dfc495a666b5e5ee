"""Fixtures over the rendered chart, one environment at a time.

Run by `make chart-check`, which puts helm into .tools/ first; plain `make test` never collects
these (pyproject's testpaths is tests/). Without helm they skip locally and fail in CI.
"""

from __future__ import annotations

import pytest
from chart import ENVIRONMENTS, Manifest, render


@pytest.fixture(params=ENVIRONMENTS)
def environment(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def manifests(environment: str) -> tuple[Manifest, ...]:
    return render(environment)
