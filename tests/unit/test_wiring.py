"""The wiring is done in one place from plain data, and generic code names no migration type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.permissions import permissions_for_roles
from kernel import tiles
from migrations_ui import room_mappings, types
from migrations_ui.types.base import SYSCON_ROLE, MigrationType

ROOT = Path(__file__).resolve().parents[2]
# Code shared by every type: the kernel, the shell, sign-in and the generic dashboard.
GENERIC = (
    "accounts",
    "kernel",
    "nomis_sync",
    "upstream",
    "telemetry",
    "migrations_ui",
    "templates",
)


def _type_folders() -> list[Path]:
    """Each registered type's own places: its package and its template overrides."""
    return [
        folder
        for t in types.REGISTERED
        for folder in (
            ROOT / "migrations_ui" / "types" / t.slug,
            ROOT / "templates" / "migrations_ui" / t.slug,
        )
    ]


def _source_files() -> list[Path]:
    return [
        path
        for top in GENERIC
        for path in (ROOT / top).rglob("*")
        if path.suffix in (".py", ".html")
        # Migrations are history, as written at the time.
        and not path.is_relative_to(ROOT / "migrations_ui" / "migrations")
    ]


def _names_of(migration_type: MigrationType) -> list[str]:
    """How code names a type: its upstream name, URL prefix and roles, and its slug as a module,
    template folder, URL namespace or string (prose about, say, "activities" is not naming it)."""
    slug = re.escape(migration_type.slug)
    return [
        rf"[\"']{re.escape(migration_type.upstream_type)}[\"']",
        rf"(?<![\w-]){re.escape(migration_type.url_prefix)}",
        *(re.escape(role) for role in migration_type.roles),
        *_module_names(migration_type),
        rf"[\"']{slug}[\"':]",
    ]


def _module_names(migration_type: MigrationType) -> list[str]:
    slug = re.escape(migration_type.slug)
    return [rf"\btypes[./]{slug}\b", rf"migrations_ui/{slug}/"]


# Room mappings are visits' own admin pages (reference-dashboard.md §3): they may name visits.
ALLOWED = {
    "visits": (ROOT / "migrations_ui" / "room_mappings", ROOT / "templates" / "room_mappings")
}


def _mentions(pattern: re.Pattern[str], paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]


@pytest.mark.parametrize("migration_type", types.REGISTERED, ids=lambda t: t.slug)
def test_generic_code_never_names_a_type(migration_type: MigrationType) -> None:
    own_places = (*_type_folders(), *ALLOWED.get(migration_type.slug, ()))
    registry = ROOT / "migrations_ui" / "types" / "__init__.py"  # its one line per type
    generic = [
        path
        for path in _source_files()
        if path != registry and not any(path.is_relative_to(place) for place in own_places)
    ]
    assert _mentions(re.compile("|".join(_names_of(migration_type))), generic) == []


@pytest.mark.parametrize("migration_type", types.REGISTERED, ids=lambda t: t.slug)
def test_no_other_type_imports_a_types_modules_or_templates(
    migration_type: MigrationType,
) -> None:
    """Types that share code share a module of their family, not each other's package."""
    others = [folder for folder in _type_folders() if folder.name != migration_type.slug]
    paths = [path for path in _source_files() if any(path.is_relative_to(f) for f in others)]
    assert _mentions(re.compile("|".join(_module_names(migration_type))), paths) == []


def test_every_type_has_a_tile_and_its_roles_and_syscon_its_permissions() -> None:
    titles = {tile.title for tile in tiles._TILES.values()}
    for migration_type in types.REGISTERED:
        assert migration_type.tile_title in titles
        for role in (*migration_type.roles, SYSCON_ROLE):
            assert set(migration_type.permissions) <= permissions_for_roles([role])


def test_room_mappings_go_to_whoever_runs_visits_migrations() -> None:
    visits = types.get("visits")
    for role in (*visits.roles, SYSCON_ROLE):
        assert room_mappings.PERMISSION in permissions_for_roles([role])
    others = {role for t in types.REGISTERED for role in t.roles} - set(visits.roles)
    for role in others:
        assert room_mappings.PERMISSION not in permissions_for_roles([role])


def test_the_entry_role_is_the_first_registered_type_with_a_role_of_its_own() -> None:
    first = next(t for t in types.REGISTERED if t.roles)
    assert tiles.entry_role() == first.roles[0]


def test_the_types_registry_imports_without_django_settings() -> None:
    """The benchmark plans its pages from the registry before any Django settings exist
    (bench.state), so no type may reach settings when it is imported."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", "import migrations_ui.types, bench.state"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
