"""Home page tiles: each area registers one, shown to the users who may use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tile:
    title: str
    href: str
    # The permission a user needs to see the tile (and to use the page it links to).
    permission: str


_TILES: dict[str, Tile] = {}


def register_tile(tile: Tile) -> None:
    """Add a tile (idempotent by title, so app reloads do not duplicate it)."""
    _TILES[tile.title] = tile


def tiles_for(user: Any) -> list[Tile]:
    """The tiles this user may use, sorted by title as the existing dashboard does."""
    return sorted(
        (tile for tile in _TILES.values() if user.has_perm(tile.permission)),
        key=lambda tile: tile.title.lower(),
    )


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


# The role a signed-in user with no tile is told to ask for (set by the app that registers tiles).
_ENTRY_ROLE: list[str] = []


def set_entry_role(role: str) -> None:
    _ENTRY_ROLE[:] = [role]


def entry_role() -> str:
    return _ENTRY_ROLE[0] if _ENTRY_ROLE else ""
