"""Every Python distribution installed is the version constraints.txt pins (container.constraints).

The image's own check is `make image-check`'s step_pinned; this one covers the environment the
tests run in, which `make install` builds with the same constraints.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from container.constraints import CONSTRAINTS, pinned, unpinned

REPO = CONSTRAINTS.parent


def test_every_distribution_installed_here_is_the_pinned_version() -> None:
    installed = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
    problems = unpinned(installed, pinned())
    assert not problems, (
        "installed but not as constraints.txt pins them; `make constraints` re-pins after a change"
        f" to requirements*.txt: {problems}"
    )


@pytest.mark.parametrize("requirements", ["requirements.txt", "requirements-dev.txt"])
def test_every_direct_pin_is_the_constraints_version(requirements: str) -> None:
    chosen = pinned(REPO / requirements)
    assert chosen
    assert {name: pinned().get(name) for name in chosen} == chosen


def test_a_missing_pin_and_another_version_are_reported_and_installers_are_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "constraints.txt"
    path.write_text(
        "# re-pinned by make constraints\n\nDjango==5.2.19\nzope.interface==7.0  # why\n"
        'async-timeout==5.0.1; python_full_version < "3.11.3"\n'
        "-r requirements.txt\npsycopg[binary]==3.3.9\n"
    )
    pins = pinned(path)
    assert pins == {
        "django": "5.2.19",
        "zope-interface": "7.0",
        "async-timeout": "5.0.1",
        "psycopg": "3.3.9",
    }
    installed = {"Django": "5.2.20", "Zope_Interface": "7.0", "requests": "2.34.2", "pip": "26.3"}
    assert unpinned(installed, pins) == [
        "django 5.2.20 (constraints.txt says 5.2.19)",
        "requests 2.34.2 (not in constraints.txt)",
    ]


def test_a_line_that_is_not_an_exact_pin_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "constraints.txt"
    path.write_text("Django>=5.2\n")
    with pytest.raises(ValueError, match="not name==version"):
        pinned(path)
