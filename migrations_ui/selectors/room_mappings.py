"""A prison's visit rooms: NOMIS usage joined with the mapping service's mappings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import upstream
from migrations_ui.clients.mapping_api import MappingApiClient, RoomMapping
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
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
    """
    username = username_of(user)
    mappings_future = upstream.executor().submit(
        lambda: MappingApiClient(username=username).room_mappings(prison_id)
    )
    usage = NomisPrisonerApiClient(username=username).room_usage_counts(
        prison_id, future_only=future_only
    )
    mappings = {m.nomis_room: m for m in mappings_future.result()}
    rows = [RoomRow(u.room, mappings.pop(u.room, None), u.visits) for u in usage]
    rows += [RoomRow(room, mapping, None) for room, mapping in sorted(mappings.items())]
    return RoomTable(prison_id=prison_id, future_only=future_only, rows=rows)
