"""Home page tiles: each area registers one, shown to the users who may use it."""

from __future__ import annotations

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
