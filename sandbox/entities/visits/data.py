"""Visit and room mappings of the mapping service (upstream-api §7), and a run's visits data."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.entities.visits.store import VisitStore
from sandbox.util import format_ts


@dataclass(slots=True)
class VisitMapping:
    nomis_id: int
    vsip_id: str
    label: str | None
    mapping_type: str
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"nomisId": self.nomis_id, "vsipId": self.vsip_id}
        if self.label is not None:
            out["label"] = self.label
        out["mappingType"] = self.mapping_type
        out["whenCreated"] = format_ts(self.when_created)
        return out


@dataclass(slots=True)
class RoomMapping:
    prison_id: str
    description: str
    vsip_id: str
    is_open: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "vsipId": self.vsip_id,
            "nomisRoomDescription": self.description,
            "prisonId": self.prison_id,
            "isOpen": self.is_open,
        }


class MappingStore:
    """Visit and room mappings of the mapping service (upstream-api §7)."""

    def __init__(self) -> None:
        self.by_nomis: dict[int, VisitMapping] = {}
        self.by_vsip: dict[str, int] = {}
        self.by_label: dict[str, list[int]] = {}
        self.latest_migrated: int | None = None
        self.rooms: dict[tuple[str, str], RoomMapping] = {}

    def add(self, mapping: VisitMapping) -> None:
        self.by_nomis[mapping.nomis_id] = mapping
        self.by_vsip[mapping.vsip_id] = mapping.nomis_id
        if mapping.mapping_type == "MIGRATED":
            self.latest_migrated = mapping.nomis_id
            if mapping.label is not None:
                self.by_label.setdefault(mapping.label, []).append(mapping.nomis_id)

    def migrated_count(self, label: str) -> int:
        return len(self.by_label.get(label, ()))

    def delete_where(self, predicate: Any) -> None:
        """Delete mappings matching ``predicate`` and rebuild the indexes (rare, admin only)."""
        kept = [m for m in self.by_nomis.values() if not predicate(m)]
        self.by_nomis, self.by_vsip, self.by_label, self.latest_migrated = {}, {}, {}, None
        for mapping in sorted(kept, key=lambda m: m.when_created):
            self.add(mapping)


@dataclass
class VisitsData:
    """NOMIS visits and their mappings for one scenario run."""

    visits: VisitStore
    mappings: MappingStore = field(default_factory=MappingStore)
    vsip_seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next_vsip_reference(self) -> str:
        """A DPS visit reference like ``ab-cd-ef-gh`` (unique within the run)."""
        n = next(self.vsip_seq)
        letters = "abcdefghijklmnopqrstuvwxyz"
        parts = []
        for _ in range(4):
            parts.append(letters[n % 26] + letters[(n // 26) % 26])
            n //= 676
        return "-".join(parts) + "-s"
