"""Home page tiles: each area registers one, shown to the users who may use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import get_template
from markupsafe import Markup


@dataclass(frozen=True)
class Tile:
    title: str
    href: str
    # The permission a user needs to see the tile (and to use the page it links to).
    permission: str
    # The heading home lists it under ("Migrations", "Administration"); groups show in the order
    # their first tile was registered.
    group: str = ""
    # One line under the title: what the area is for.
    description: str = ""


# Home's headings: the migration types, then the tools that look after them.
MIGRATIONS = "Migrations"
ADMINISTRATION = "Administration"

_TILES: dict[str, Tile] = {}
_GROUPS: list[str] = []


def register_tile(tile: Tile) -> None:
    """Add a tile (idempotent by title, so app reloads do not duplicate it)."""
    _TILES[tile.title] = tile
    if tile.group not in _GROUPS:
        _GROUPS.append(tile.group)


def tiles_for(user: Any) -> list[Tile]:
    """The tiles this user may use, sorted by title as the existing dashboard does."""
    # One look through request.user's lazy wrapper rather than one for each tile (1 us each).
    may = user.has_perm
    return sorted(
        (tile for tile in _TILES.values() if may(tile.permission)),
        key=lambda tile: tile.title.lower(),
    )


def grouped(tiles: list[Tile]) -> list[tuple[str, list[Tile]]]:
    """The tiles under their headings, groups in registration order, each group kept sorted."""
    return [
        (group, members)
        for group in _GROUPS
        if (members := [tile for tile in tiles if tile.group == group])
    ]


# A function giving tags for some of a user's tiles, by href ("Running" on a migration type's
# tile while one runs). The area that registers tiles registers it; home works without one.
StatusProvider = Callable[[Any, list[Tile]], dict[str, str]]
_STATUS_PROVIDERS: list[StatusProvider] = []


def register_status_provider(provider: StatusProvider) -> None:
    if provider not in _STATUS_PROVIDERS:
        _STATUS_PROVIDERS.append(provider)


def tile_statuses(user: Any, tiles: list[Tile]) -> dict[str, str]:
    """A tag's text per tile href, from every provider (nothing for most tiles)."""
    statuses: dict[str, str] = {}
    for provider in _STATUS_PROVIDERS:
        statuses.update(provider(user, tiles))
    return statuses


def tiles_html(tiles: list[Tile], statuses: dict[str, str]) -> Markup:
    """Home's tiles under their headings, with their tags, as HTML (`_home_tiles.html`).

    Written once for each set of tiles and tags and kept (`kernel.jinja2.kept_fragment`): they
    differ only by a user's roles and which types are running, and home is the page every
    operator opens. The thirteen tiles of a SYSCON user took 67 us to write and take 3 us to
    find (timeit), on a page of about 1.5-2 ms of CPU.
    """
    # Imported here: kernel.jinja2 reads settings, and the types' registry, which registers
    # tiles, is imported without them (bench.state).
    from kernel.jinja2 import kept_fragment

    key = ("home tiles", tuple(tile.href for tile in tiles), tuple(sorted(statuses.items())))
    return kept_fragment(
        key,
        lambda: get_template("_home_tiles.html").render(
            {"groups": grouped(tiles), "statuses": statuses}
        ),
    )


# The role a signed-in user with no tile is told to ask for (set by the app that registers tiles).
_ENTRY_ROLE: list[str] = []


def set_entry_role(role: str) -> None:
    _ENTRY_ROLE[:] = [role]


def entry_role() -> str:
    return _ENTRY_ROLE[0] if _ENTRY_ROLE else ""
