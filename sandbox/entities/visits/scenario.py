"""The visits part of each scenario: NOMIS visits, room and visit mappings, earlier runs.

Everything comes from seeded RNGs. Dates are laid out relative to the day of the reset so that
"future" visits stay in the future whenever the sandbox runs.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.entities.visits.data import RoomMapping, VisitMapping, VisitsData
from sandbox.entities.visits.store import NO_ROOM, VisitFilter, VisitStore, to_seconds
from sandbox.queues import DeadLetterQueue
from sandbox.state import Migration, State
from sandbox.util import dumps, format_dt

SLOT_HOURS = (9, 10, 11, 14, 15)


@dataclass(frozen=True)
class Room:
    description: str
    scon_weight: float
    offi_weight: float
    # (vsipId, isOpen) when the room is mapped; None leaves it unmapped.
    mapping: tuple[str, bool] | None


@dataclass(frozen=True)
class Prison:
    code: str
    visits: int
    rooms: tuple[Room, ...]


DEFAULT_PRISONS = (
    Prison(
        "HEI",
        3000,
        (
            Room("HEI-VISITS-SOC_VIS", 0.8, 0.0, ("Visits Main Hall", True)),
            Room("HEI-VISITS-CLOSED VISITS", 0.2, 0.0, ("Closed Visits Room", False)),
            Room("HEI-VISITS-OFF_VIS", 0.0, 1.0, ("Legal Visits Room", True)),
        ),
    ),
    Prison(
        "MDI",
        2500,
        (
            Room("MDI-VISITS-SOC_VIS", 0.6, 0.0, ("Visits Main Hall", True)),
            Room("MDI-VISITS-VISITS HALL 2", 0.3, 0.0, ("Visits Hall Two", True)),
            Room("MDI-VISITS-FAMILY ROOM", 0.1, 0.0, None),
            Room("MDI-VISITS-OFF_VIS", 0.0, 1.0, ("Legal Visits Room", True)),
        ),
    ),
    Prison(
        "BXI",
        2000,
        (
            Room("BXI-VISITS-SOC_VIS", 0.85, 0.0, ("Visits Main Hall", True)),
            Room("BXI-VISITS-CLOSED", 0.15, 0.0, ("Closed Visits Room", False)),
            Room("BXI-VISITS-OFF_VIS", 0.0, 1.0, ("Official Visits Room", True)),
        ),
    ),
    Prison(
        "WWI",
        1500,
        (
            Room("WWI-VISITS-SOC_VIS", 1.0, 0.0, ("Visits Main Hall", True)),
            Room("WWI-VISITS-LEGAL VISITS", 0.0, 1.0, None),
        ),
    ),
    Prison(
        "AGI",
        1000,
        (
            Room("AGI-VISITS-SOC_VIS", 0.9, 0.0, ("Visits Main Hall", True)),
            Room("AGI-VISITS-3RD SECTOR", 0.1, 0.0, None),
            Room("AGI-VISITS-OFF_VIS", 0.0, 1.0, ("Legal Visits Room", True)),
        ),
    ),
)

LARGE_PRISON = Prison(
    "MDI",
    250_000,
    (
        Room("MDI-VISITS-SOC_VIS", 0.6, 0.0, ("Visits Main Hall", True)),
        Room("MDI-VISITS-VISITS HALL 2", 0.4, 0.0, ("Visits Hall Two", True)),
        Room("MDI-VISITS-OFF_VIS", 0.0, 1.0, ("Legal Visits Room", True)),
    ),
)

# The label of the "earlier migration" whose mappings make some default visits already migrated.
EARLIER_MIGRATION_ID = "2023-03-01T09:00:00"


def build(state: State, scenario: str, *, now: datetime, history_size: int | None) -> VisitsData:
    """The visits data of ``scenario``; ``history`` also adds earlier runs to ``state``."""
    if scenario == "empty":
        store = VisitStore(40_000_000, 0, [], [])
        store.finish()
        return VisitsData(store)
    if scenario == "large":
        data = VisitsData(_visits((LARGE_PRISON,), now, seed=250, first_year=2015, offi_share=0.05))
        _room_mappings(data, (LARGE_PRISON,))
        return data
    data = VisitsData(_visits(DEFAULT_PRISONS, now, seed=44, first_year=2019, offi_share=0.1))
    _room_mappings(data, DEFAULT_PRISONS)
    _earlier_migrated(data)
    if scenario == "history":
        _history(
            state,
            data,
            state.dlqs["VISITS"],
            now,
            8 if history_size is None else max(0, history_size),
        )
    return data


def _visits(
    prisons: tuple[Prison, ...], now: datetime, *, seed: int, first_year: int, offi_share: float
) -> VisitStore:
    rng = random.Random(seed)  # noqa: S311 - deterministic scenario data, not secrets
    rooms: list[tuple[str, str]] = []
    room_tables: list[tuple[list[int], list[float], list[int], list[float]]] = []
    for prison in prisons:
        scon_ids, scon_w, offi_ids, offi_w = [], [], [], []
        for prison_room in prison.rooms:
            rooms.append((prison.code, prison_room.description))
            if prison_room.scon_weight:
                scon_ids.append(len(rooms) - 1)
                scon_w.append(prison_room.scon_weight)
            if prison_room.offi_weight:
                offi_ids.append(len(rooms) - 1)
                offi_w.append(prison_room.offi_weight)
        room_tables.append((scon_ids, scon_w, offi_ids, offi_w))
    store = VisitStore(
        30_000_000 if len(prisons) > 1 else 50_000_000, seed, [p.code for p in prisons], rooms
    )

    total = sum(p.visits for p in prisons)
    # Work in whole seconds since the store's epoch: datetime arithmetic in this loop would make
    # the 250,000-visit scenario too slow to reset.
    first = to_seconds(datetime(first_year, 1, 1, 8, 0))
    last = to_seconds(now - timedelta(hours=1))
    today_day = last // 86400
    recent = to_seconds(now - timedelta(days=60))
    if len(prisons) > 1:
        # One prison per visit, in proportion to each prison's size.
        prison_for = [i for i, p in enumerate(prisons) for _ in range(p.visits)]
        rng.shuffle(prison_for)
    else:
        prison_for = [0] * total
    span = last - first
    rand = rng.random
    offsets = sorted(int(rand() * span) for _ in range(total))
    cumulative = []
    for scon_ids, scon_w, offi_ids, offi_w in room_tables:
        cumulative.append(
            (
                scon_ids,
                list(itertools.accumulate(scon_w)),
                offi_ids,
                list(itertools.accumulate(offi_w)),
            )
        )
    created_col, start_col, prison_col = store.created, store.start, store.prison
    type_col, room_col = store.vtype, store.room
    n_slots = len(SLOT_HOURS)
    for i in range(total):
        created = first + offsets[i]
        p = prison_for[i]
        vtype = 1 if rand() < offi_share else 0
        scon_ids, scon_cum, offi_ids, offi_cum = cumulative[p]
        ids, cum = (offi_ids, offi_cum) if vtype else (scon_ids, scon_cum)
        room = ids[bisect.bisect_right(cum, rand() * cum[-1])] if ids else NO_ROOM
        day = created // 86400 + 1 + int(rand() * (56 if created >= recent else 28))
        # About 1 in 100 past visits has no room recorded, as happens in NOMIS.
        if day < today_day and rand() < 0.01:
            room = NO_ROOM
        created_col.append(created)
        start_col.append(day * 86400 + SLOT_HOURS[i % n_slots] * 3600)
        prison_col.append(p)
        type_col.append(vtype)
        room_col.append(room)
    store.finish()
    return store


def _room_mappings(data: VisitsData, prisons: tuple[Prison, ...]) -> None:
    for prison in prisons:
        for room in prison.rooms:
            if room.mapping is not None:
                data.mappings.rooms[(prison.code, room.description)] = RoomMapping(
                    prison.code, room.description, room.mapping[0], room.mapping[1]
                )


def _earlier_migrated(data: VisitsData) -> None:
    """AGI visits created before June 2020 were migrated by an earlier run (so they are skipped)."""
    store = data.visits
    when = datetime(2023, 3, 1, 9, 5)
    flt = VisitFilter(prison_ids=("AGI",), to_dt=datetime(2020, 6, 1))
    for n, row in enumerate(store.matching_rows(flt)):
        data.mappings.add(
            VisitMapping(
                store.id_base + row, f"earlier-{n:05d}-m", EARLIER_MIGRATION_ID, "MIGRATED", when
            )
        )


def _filter_json(
    prisons: list[str], types: list[str], to_dt: datetime | None = None
) -> tuple[str, dict[str, Any]]:
    flt: dict[str, Any] = {"prisonIds": prisons, "visitTypes": types}
    if to_dt is not None:
        flt["toDateTime"] = format_dt(to_dt)
    flt["ignoreMissingRoom"] = False
    return dumps(flt), flt


def _history(
    state: State, data: VisitsData, dlq: DeadLetterQueue, now: datetime, size: int
) -> None:
    """Earlier completed, cancelled and failed migrations, plus leftover DLQ messages."""
    rng = random.Random(1234)  # noqa: S311 - deterministic scenario data, not secrets
    store = data.visits
    base = (now - timedelta(days=1)).replace(microsecond=0)
    # The latest run migrated HEI social visits created before 2021: real mappings, so M5 and
    # refresh report it correctly and a new HEI run skips those visits.
    latest_to = datetime(2021, 1, 1)
    latest_flt = VisitFilter(prison_ids=("HEI",), visit_types=("SCON",), to_dt=latest_to)
    patterns: list[tuple[list[str], list[str], str, float]] = [
        (["BXI"], ["SCON"], "COMPLETED", 0.0),
        (["MDI"], ["SCON"], "CANCELLED", 0.0),
        (["MDI", "BXI"], ["SCON", "OFFI"], "COMPLETED", 0.01),  # failures; multi-prison (§13.1)
        ([], ["SCON"], "COMPLETED", 0.0),
        (["WWI"], ["OFFI"], "COMPLETED", 0.05),
        (["AGI"], ["SCON"], "CANCELLED", 0.0),
        (["HEI"], ["OFFI"], "COMPLETED", 0.0),
    ]
    dlq_depth = 6
    for k in range(size):
        started = base - timedelta(
            hours=7 * k, minutes=rng.randrange(60), seconds=rng.randrange(60)
        )
        started = started.replace(microsecond=rng.randrange(1_000_000))
        if k == 0:
            text, flt = _filter_json(["HEI"], ["SCON"], latest_to)
            estimate = store.count(latest_flt)
            status, migrated, failed = "COMPLETED", estimate, dlq_depth
            ended = started + timedelta(minutes=max(1, estimate // 250))
        else:
            prisons, types, status, fail_rate = patterns[(k - 1) % len(patterns)]
            text, flt = _filter_json(prisons, types)
            estimate = store.count(VisitFilter(prison_ids=tuple(prisons), visit_types=tuple(types)))
            if status == "CANCELLED":
                migrated = int(estimate * rng.uniform(0.1, 0.6))
                failed = 0
            else:
                failed = int(estimate * fail_rate)
                migrated = estimate - failed
            ended = started + timedelta(minutes=max(1, estimate // 250), seconds=rng.randrange(60))
        migration = Migration(
            migration_id=started.strftime("%Y-%m-%dT%H:%M:%S"),
            migration_type="VISITS",
            when_started=started,
            estimated=estimate,
            filter_json=text,
            filter=flt,
            status=status,
            when_ended=ended,
            records_migrated=migrated,
            records_failed=failed,
        )
        if migration.migration_id in state.by_id:
            continue
        state.by_id[migration.migration_id] = migration
        state.history.append(migration)
        if k == 0:
            for n, row in enumerate(store.matching_rows(latest_flt)):
                data.mappings.add(
                    VisitMapping(
                        store.id_base + row,
                        f"hist-{n:05d}-m",
                        migration.migration_id,
                        "MIGRATED",
                        ended,
                    )
                )
    state.history.sort(key=lambda m: m.when_started, reverse=True)
    latest = state.latest("VISITS")
    if latest is None:
        return
    context = {
        "type": "VISITS",
        "migrationId": latest.migration_id,
        "estimatedCount": latest.estimated,
        "properties": {},
    }
    # Leftover failures: five visit records and one page message (readers must tolerate both).
    mdi_future = [
        store.id_base + r
        for r in store.matching_rows(VisitFilter(prison_ids=("MDI",)))
        if store.start_of(r).date() >= date.today() - timedelta(days=400)
    ][:5]
    for visit_id in mdi_future:
        dlq.add(
            _uuid(rng),
            {"type": "MIGRATE_ENTITY", "context": {**context, "body": {"visitId": visit_id}}},
        )
    page_body = {
        "filter": latest.filter,
        "pageKey": {"@type": "ByPageNumber", "pageNumber": 3},
        "pageSize": 1000,
    }
    dlq.add(_uuid(rng), {"type": "MIGRATE_BY_PAGE", "context": {**context, "body": page_body}})


def _uuid(rng: random.Random) -> str:
    return "%08x-%04x-4%03x-a%03x-%012x" % (  # noqa: UP031 - fixed-width hex fields
        rng.getrandbits(32),
        rng.getrandbits(16),
        rng.getrandbits(12),
        rng.getrandbits(12),
        rng.getrandbits(48),
    )
