"""A prison's visit rooms: NOMIS usage joined with the mapping service's mappings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote_plus, urlencode

from django.urls import reverse

import upstream
from migrations_ui.clients.mapping_api import MappingApiClient, RoomMapping
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.selectors import username_of


@dataclass(frozen=True)
class RoomRow:
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
    rows = [RoomRow(u.room, mappings.pop(u.room, None), u.count) for u in usage]
    rows += [RoomRow(room, mapping, None) for room, mapping in sorted(mappings.items())]
    return RoomTable(prison_id=prison_id, future_only=future_only, rows=rows)


class RoomLine(NamedTuple):
    """One row of the room table as the page shows it: its texts and its link, worked out here.

    A prison can have hundreds of rooms. In the template, each row's link query (Jinja's
    `urlencode`) and its conditional texts took about a half of the page's render; worked out
    in Python, the template's loop only prints them.
    """

    nomis_room: str
    dps_room: str  # "Not mapped" when the room has no mapping
    open: str  # "Yes", "No", or "" when the room has no mapping
    usage: str  # "1,234"; "0" when NOMIS has no visits in the room
    mapped: bool
    # Delete the mapping (mapped) or add one, keeping the table's query.
    href: str


def room_lines(table: RoomTable, query: dict[str, str]) -> list[RoomLine]:
    """The table's rows as shown, their links keeping the table's `query` (its prison, "Future
    visits only" and where to go back to)."""
    delete_href, add_href = reverse("room_mappings:delete"), reverse("room_mappings:add")
    table_query = urlencode(query)
    lines = []
    for row in table.rows:
        mapping = row.mapping
        # As urlencode() quotes a value (quote_plus), once a row.
        link_query = f"{table_query}&nomisRoomDescription={quote_plus(row.nomis_room)}"
        lines.append(
            RoomLine(
                nomis_room=row.nomis_room,
                dps_room=mapping.dps_room if mapping else "Not mapped",
                open=("Yes" if mapping.is_open else "No") if mapping else "",
                usage=f"{row.usage:,}" if row.usage is not None else "0",
                mapped=mapping is not None,
                href=f"{delete_href if mapping else add_href}?{link_query}",
            )
        )
    return lines
