"""constraints.txt: every Python distribution the dashboard, its tests and tools install, pinned.

requirements.txt and requirements-dev.txt pin what we chose; their dependencies' dependencies
would otherwise come at whatever version PyPI has on the day, so two builds of one commit could
differ. `make constraints` resolves both files afresh and writes every version into
constraints.txt, which `make install` and the Dockerfile pass to pip (`-c`). The unit tests check
the development environment against it, and `make image-check` the production image.
"""

from __future__ import annotations

import re
from pathlib import Path

CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"
# What `pip freeze` leaves out by default: the installer itself, not a dependency.
INSTALLERS = frozenset({"pip", "setuptools", "wheel", "distribute"})


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares them (Django-Stubs, django_stubs: django-stubs)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(path: Path = CONSTRAINTS) -> dict[str, str]:
    """{canonical name: version} from constraints.txt or a requirements file: `name==version`
    lines, each with or without extras and an environment marker; comments, blank lines and
    options (`-r requirements.txt`) skipped."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        # A pin for other Pythons than the one resolved on keeps its marker (async-timeout).
        match = re.fullmatch(
            r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)\s*(;.*)?", line
        )
        if match is None:
            raise ValueError(f"{path.name}: not name==version: {line!r}")
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def unpinned(installed: dict[str, str], pins: dict[str, str]) -> list[str]:
    """Each installed distribution that `pins` does not hold at the installed version, as text."""
    found = []
    for name, version in sorted((canonical(n), v) for n, v in installed.items()):
        if name in INSTALLERS:
            continue
        if name not in pins:
            found.append(f"{name} {version} (not in {CONSTRAINTS.name})")
        elif pins[name] != version:
            found.append(f"{name} {version} ({CONSTRAINTS.name} says {pins[name]})")
    return found
