"""Fixtures shared by the browser walk-throughs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def quick_polling(settings: Any) -> None:
    """Details pages poll their figures every second, so a walk sees them change quickly."""
    settings.MIGRATION_PROGRESS_POLL_SECONDS = 1


@pytest.fixture
def sandbox_settings(sandbox: Any) -> Iterator[Any]:
    """The test may slow parts of the lifecycle down; the session's timings come back after."""
    before = sandbox.update_settings()
    yield sandbox
    sandbox.update_settings(**before)
