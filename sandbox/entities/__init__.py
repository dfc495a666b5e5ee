"""The migration types the sandbox simulates, keyed by ``MigrationType``: one package each here.

Each package beside ``base.py`` is a type: its ``__init__`` defines ``ENTITY``, an
:class:`~sandbox.entities.base.Entity`, its ``urls.py`` the paths it serves, and its module
docstring what it simulates (``python manage.py sandbox --list-entities`` prints them all). The
packages are found here, not listed, so adding a type touches nothing outside its package.

Scenarios are built in the packages' alphabetical order, except that a type comes after those
it reads data of (``Entity.depends_on``).
"""

from __future__ import annotations

import importlib
import pkgutil

from sandbox.entities.base import Entity
from sandbox.queues import Message

_REGISTRY: dict[str, Entity] = {}


def get(migration_type: str) -> Entity | None:
    return _REGISTRY.get(migration_type)


def every() -> list[Entity]:
    return list(_REGISTRY.values())


def types() -> list[str]:
    return list(_REGISTRY)


def _discover() -> dict[str, Entity]:
    """Every package's ``ENTITY``, by ``MigrationType``, in the packages' alphabetical order."""
    found: dict[str, Entity] = {}
    for package in sorted(p.name for p in pkgutil.iter_modules(__path__) if p.ispkg):
        module = importlib.import_module(f"{__name__}.{package}")
        entity = getattr(module, "ENTITY", None)
        if not isinstance(entity, Entity):
            raise TypeError(f"{module.__name__} defines no ENTITY (an Entity instance)")
        found[entity.migration_type] = entity
    return found


def _in_build_order(found: dict[str, Entity]) -> list[Entity]:
    """Each entity after the ones it depends on, otherwise in the order found."""
    ordered: list[Entity] = []

    def place(entity: Entity, waiting: tuple[str, ...]) -> None:
        if entity in ordered:
            return
        if entity.migration_type in waiting:
            chain = " -> ".join((*waiting, entity.migration_type))
            raise ValueError(f"entities depend on each other: {chain}")
        for needed in entity.depends_on:
            if needed not in found:
                raise ValueError(f"{entity.migration_type} depends on unknown type {needed}")
            place(found[needed], (*waiting, entity.migration_type))
        ordered.append(entity)

    for entity in found.values():
        place(entity, ())
    return ordered


def _load() -> None:
    for entity in _in_build_order(_discover()):
        _REGISTRY[entity.migration_type] = entity
        Message.entity_bodies[entity.migration_type] = entity.entity_body


_load()
