"""NOMIS visits held in compact columns so that even 250,000 visits build in well under 2 s.

Rows are kept in creation order and visit ids are consecutive (``id_base + row``), which is how
NOMIS ids look: a sequence. Filters by prison and type use a per-(prison, type) index of row
numbers with the creation times alongside, so counts are two binary searches per index and pages
need only the matching rows of one filter (cached, because the lifecycle asks for every page).
"""

from __future__ import annotations

import heapq
import random
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.util import format_dt

EPOCH = datetime(2000, 1, 1)
NO_ROOM = 0xFFFF
VISIT_TYPES = ("SCON", "OFFI")
VISIT_TYPE_DESCRIPTIONS = {"SCON": "Social Contact", "OFFI": "Official Visit"}
_FIRST_NAMES = ("John", "Mary", "Ahmed", "Chloe", "David", "Aisha", "Tom", "Grace", "Liam", "Zoe")
_LAST_NAMES = ("Smith", "Jones", "Khan", "Williams", "Brown", "Taylor", "Patel", "Evans", "Walker")
_PAST_STATUSES = (("NORM", "Normal Completion"),) * 8 + (("CANC", "Cancelled"), ("EXP", "Expired"))
_OUTCOMES = (
    ("VISCANC", "Visitor Cancelled"),
    ("OFFCANC", "Offender Cancelled"),
    ("NSHOW", "No Show"),
)


def to_seconds(value: datetime) -> int:
    return int((value - EPOCH).total_seconds())


def from_seconds(value: int) -> datetime:
    return EPOCH + timedelta(seconds=value)


@dataclass(frozen=True)
class VisitFilter:
    """The NOMIS ``/visits/ids`` filter (prison and type lists; creation-time bounds)."""

    prison_ids: tuple[str, ...] = ()
    visit_types: tuple[str, ...] = ()
    from_dt: datetime | None = None
    to_dt: datetime | None = None


class VisitStore:
    """Immutable after building: readers need no lock."""

    def __init__(
        self, id_base: int, seed: int, prisons: list[str], rooms: list[tuple[str, str]]
    ) -> None:
        self.id_base = id_base
        self.seed = seed
        self.prisons = prisons
        self.rooms = rooms  # (prisonId, description)
        self.created = array("q")
        self.start = array("q")
        self.prison = array("B")
        self.vtype = array("B")
        self.room = array("H")
        self._index: dict[tuple[int, int], tuple[array, array]] = {}
        self._page_cache: dict[VisitFilter, list[int]] = {}
        self._future_rows: list[int] | None = None

    def __len__(self) -> int:
        return len(self.created)

    # -- Building

    def append(
        self, created: datetime, start: datetime, prison: int, vtype: int, room: int
    ) -> None:
        """Append one visit; rows must arrive in creation order."""
        self.created.append(to_seconds(created))
        self.start.append(to_seconds(start))
        self.prison.append(prison)
        self.vtype.append(vtype)
        self.room.append(room)

    def finish(self) -> None:
        index: dict[tuple[int, int], tuple[array, array]] = {}
        created = self.created
        for row, key in enumerate(zip(self.prison, self.vtype, strict=True)):
            entry = index.get(key)
            if entry is None:
                entry = index[key] = (array("l"), array("q"))
            entry[0].append(row)
            entry[1].append(created[row])
        self._index = index

    # -- Queries

    def row_of(self, visit_id: int) -> int | None:
        row = visit_id - self.id_base
        return row if 0 <= row < len(self.created) else None

    def _ranges(self, flt: VisitFilter) -> list[tuple[array, int, int]]:
        prisons = (
            [i for i, p in enumerate(self.prisons) if p in flt.prison_ids]
            if flt.prison_ids
            else range(len(self.prisons))
        )
        types = (
            [i for i, t in enumerate(VISIT_TYPES) if t in flt.visit_types]
            if flt.visit_types
            else range(len(VISIT_TYPES))
        )
        lo_key = to_seconds(flt.from_dt) if flt.from_dt else None
        # Bounds are on whole seconds; a fractional upper bound still includes its own second.
        hi_key = to_seconds(flt.to_dt) if flt.to_dt else None
        out = []
        for p in prisons:
            for t in types:
                entry = self._index.get((p, t))
                if entry is None:
                    continue
                rows, created = entry
                lo = bisect_left(created, lo_key) if lo_key is not None else 0
                hi = bisect_right(created, hi_key) if hi_key is not None else len(created)
                if hi > lo:
                    out.append((rows, lo, hi))
        return out

    def count(self, flt: VisitFilter) -> int:
        return sum(hi - lo for _, lo, hi in self._ranges(flt))

    def matching_rows(self, flt: VisitFilter) -> list[int]:
        """All matching rows in creation order (cached per filter; the store never changes)."""
        cached = self._page_cache.get(flt)
        if cached is None:
            ranges = self._ranges(flt)
            if len(ranges) == 1:
                rows, lo, hi = ranges[0]
                cached = list(rows[lo:hi])
            else:
                cached = list(heapq.merge(*(rows[lo:hi] for rows, lo, hi in ranges)))
            if len(self._page_cache) > 32:
                self._page_cache.clear()
            self._page_cache[flt] = cached
        return cached

    def page_ids(self, flt: VisitFilter, page: int, size: int) -> tuple[list[int], int]:
        """One page of visit ids and the total, ordered by creation ascending."""
        total = self.count(flt)
        offset = page * size
        if offset >= total:
            return [], total
        ranges = self._ranges(flt)
        if len(ranges) == 1:
            rows, lo, hi = ranges[0]
            chosen: Sequence[int] = rows[lo + offset : min(hi, lo + offset + size)]
        else:
            chosen = self.matching_rows(flt)[offset : offset + size]
        base = self.id_base
        return [base + r for r in chosen], total

    def room_usage(
        self, flt: VisitFilter, *, today: date, future_only: bool
    ) -> list[dict[str, Any]]:
        """``/visits/rooms/usage-count`` rows, ordered by room description (upstream-api §6.3)."""
        if future_only:
            # "Future" here means dated after today and before today + 1 year (quirk §13.10).
            lo = to_seconds(datetime.combine(today + timedelta(days=1), datetime.min.time()))
            hi = to_seconds(datetime.combine(today + timedelta(days=365), datetime.min.time()))
            wanted = set(self.matching_rows(flt)) if (flt.from_dt or flt.to_dt) else None
            rows: Any = (
                r
                for r in self.future_rows(lo)
                if self.start[r] < hi
                and (not flt.prison_ids or self.prisons[self.prison[r]] in flt.prison_ids)
                and (not flt.visit_types or VISIT_TYPES[self.vtype[r]] in flt.visit_types)
                and (wanted is None or r in wanted)
            )
        else:
            rows = self.matching_rows(flt)
        counts: Counter[int] = Counter(self.room[r] for r in rows)
        out = []
        for room, count in counts.items():
            if room == NO_ROOM:
                continue
            prison_id, description = self.rooms[room]
            out.append(
                {
                    "agencyInternalLocationDescription": description,
                    "count": count,
                    "prisonId": prison_id,
                }
            )
        out.sort(key=lambda r: (r["agencyInternalLocationDescription"], r["prisonId"]))
        return out

    def future_rows(self, lo: int) -> list[int]:
        """Rows whose start is at or after ``lo`` (cached: future visits are a small minority)."""
        if self._future_rows is None:
            self._future_rows = [r for r, s in enumerate(self.start) if s >= lo]
        return [r for r in self._future_rows if self.start[r] >= lo]

    def visit(self, visit_id: int, *, today: date) -> dict[str, Any] | None:
        """``VisitResponse`` (§6.2); descriptive fields derive from the id, deterministically."""
        row = self.row_of(visit_id)
        if row is None:
            return None
        # Seeded, non-cryptographic: made-up descriptive data must be the same on every call.
        rng = random.Random(self.seed * 1_000_003 + visit_id)  # noqa: S311
        start = from_seconds(self.start[row])
        created = from_seconds(self.created[row])
        prison_id = self.prisons[self.prison[row]]
        vtype = VISIT_TYPES[self.vtype[row]]
        person = 4_000_000 + rng.randrange(900_000)
        visit: dict[str, Any] = {
            "visitId": visit_id,
            "offenderNo": (
                f"{rng.choice('ABGH')}{rng.randrange(1000, 9999)}"
                f"{rng.choice('ABCDEFGH')}{rng.choice('ABCDEFGH')}"
            ),
            "prisonId": prison_id,
            "startDateTime": format_dt(start),
            "endDateTime": format_dt(start + timedelta(hours=1)),
            "visitType": {"code": vtype, "description": VISIT_TYPE_DESCRIPTIONS[vtype]},
            "visitors": [{"personId": person, "leadVisitor": True}]
            + [
                {"personId": person + i, "leadVisitor": False}
                for i in range(1, rng.randrange(1, 4))
            ],
            "leadVisitor": {
                "personId": person,
                "fullName": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
                "telephones": [f"07700 9{rng.randrange(10000, 99999)}"],
            },
            "whenCreated": format_dt(created),
            "createUserId": rng.choice(("JSMITH_GEN", "KJONES_ADM", "TBROWN")),
        }
        if start.date() >= today:
            visit["visitStatus"] = {"code": "SCH", "description": "Scheduled"}
        else:
            code, description = rng.choice(_PAST_STATUSES)
            visit["visitStatus"] = {"code": code, "description": description}
            if code == "CANC":
                outcome = rng.choice(_OUTCOMES)
                visit["visitOutcome"] = {"code": outcome[0], "description": outcome[1]}
            visit["whenUpdated"] = format_dt(start + timedelta(hours=2))
            visit["modifyUserId"] = "BATCH"
        room = self.room[row]
        if room != NO_ROOM:
            description = self.rooms[room][1]
            visit["agencyInternalLocation"] = {
                "code": description.rsplit("-", 1)[-1][:10],
                "description": description,
            }
        if rng.random() < 0.1:
            visit["commentText"] = "Visitor requires wheelchair access"
        return visit

    def start_of(self, row: int) -> datetime:
        return from_seconds(self.start[row])

    def room_of(self, row: int) -> tuple[str, str] | None:
        room = self.room[row]
        return None if room == NO_ROOM else self.rooms[room]
