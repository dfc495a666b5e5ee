"""A prison's visit rooms: NOMIS usage joined with the mapping service's mappings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import upstream
from kernel import caching
from migrations_ui.clients.mapping_api import MappingApiClient, RoomMapping
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient, RoomUsageCount
from migrations_ui.selectors import username_of


class RoomRow(NamedTuple):
    """One room of the table (a tuple, as RoomMapping: a prison can have hundreds)."""

    nomis_room: str
    # None: the room has no DPS mapping.
    mapping: RoomMapping | None
    # Social visits in the room (future ones only, when asked); None when NOMIS has none.
    usage: int | None


@dataclass(frozen=True)
class RoomTable:
    prison_id: str
    future_only: bool
    rows: list[RoomRow]

    def row(self, nomis_room: str) -> RoomRow | None:
        return next((row for row in self.rows if row.nomis_room == nomis_room), None)


def room_table(*, user: Any, prison_id: str, future_only: bool) -> RoomTable:
    """N17 and R1 side by side, joined on the NOMIS room description.

    Every room NOMIS reports usage for is listed, and so is every mapped room, even one with no
    (future) social visits: otherwise a mapping could be neither seen nor deleted (the existing
    dashboard's shortcoming). NOMIS's order first, then mapped rooms without usage.

    Both are asked every time. When both answer byte for byte as last time for this prison and
    filter, the table made from those answers is reused (`caching.room_tables`).
    """
    username = username_of(user)
    key = (prison_id, future_only)
    known: RoomAnswers | None = caching.room_tables.get(key)
    mappings_future = upstream.executor().submit(
        lambda: MappingApiClient(username=username).room_mappings_if_changed(
            prison_id, known_body=known.mappings_body if known else None
        )
    )
    usage_body, usage = NomisPrisonerApiClient(username=username).room_usage_counts_if_changed(
        prison_id, future_only=future_only, known_body=known.usage_body if known else None
    )
    mappings_body, mappings = mappings_future.result()
    if known is not None:
        if mappings is None and usage is None:
            return known.table
        mappings = known.mappings if mappings is None else mappings
        usage = known.usage if usage is None else usage
    # Both were decoded, or are the known ones: None only for a body that was known.
    assert mappings is not None and usage is not None  # noqa: S101
    by_room = {m.nomis_room: m for m in mappings}
    rows = [RoomRow(u.room, by_room.pop(u.room, None), u.visits) for u in usage]
    rows += [RoomRow(room, mapping, None) for room, mapping in sorted(by_room.items())]
    table = RoomTable(prison_id=prison_id, future_only=future_only, rows=rows)
    caching.room_tables.put(key, RoomAnswers(mappings_body, mappings, usage_body, usage, table))
    return table


@dataclass(frozen=True)
class RoomAnswers:
    """The two answers a room table was made from, as sent and as decoded, and the table."""

    mappings_body: bytes
    mappings: list[RoomMapping]
    usage_body: bytes
    usage: list[RoomUsageCount]
    table: RoomTable
