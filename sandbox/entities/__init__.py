"""Registry of the migration types the sandbox simulates, keyed by ``MigrationType``.

Adding a type: a package beside ``visits/`` with an :class:`~sandbox.entities.base.Entity`
subclass and a ``urls.py``, then one line in ``_register`` below.
"""

from __future__ import annotations

from sandbox.entities.base import Entity
from sandbox.queues import Message

_REGISTRY: dict[str, Entity] = {}


def _register(entity: Entity) -> None:
    _REGISTRY[entity.migration_type] = entity
    Message.entity_bodies[entity.migration_type] = entity.entity_body


def get(migration_type: str) -> Entity | None:
    return _REGISTRY.get(migration_type)


def every() -> list[Entity]:
    return list(_REGISTRY.values())


def types() -> list[str]:
    return list(_REGISTRY)


def _load() -> None:
    # Imported here, not at the top, so each plug-in module may import sandbox.entities.base.
    from sandbox.entities.activities import Activities
    from sandbox.entities.allocations import Allocations
    from sandbox.entities.appointments import Appointments
    from sandbox.entities.core_person import CorePerson
    from sandbox.entities.court_sentencing import CourtSentencing
    from sandbox.entities.official_visits import OfficialVisits
    from sandbox.entities.prison_balance import PrisonBalance
    from sandbox.entities.prisoner_balance import PrisonerBalance
    from sandbox.entities.taps import Taps
    from sandbox.entities.visit_slots import VisitSlots
    from sandbox.entities.visits import Visits

    # Court sentencing before the types that read its prisoners (core person, taps, balances).
    for entity in (
        Visits(),
        VisitSlots(),
        CourtSentencing(),
        CorePerson(),
        OfficialVisits(),
        PrisonBalance(),
        PrisonerBalance(),
        Taps(),
        Activities(),
        Allocations(),
        Appointments(),
    ):
        _register(entity)


_load()
