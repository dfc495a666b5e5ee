"""The sandbox finds its migration types itself: each package of ``sandbox/entities/`` is one.

Nothing lists them, so these tests check what a list used to guarantee: every package is served,
data is built in an order that works, the migration service knows exactly the entities' types
and the ones it does not simulate, and ``--list-entities`` describes each from the entity itself.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

import sandbox.entities
from sandbox import entities
from sandbox.state import UNSIMULATED_TYPES
from tests.conftest import run_manage

API = "/nomis-migration-api"


def test_every_entity_package_is_a_registered_type_with_its_own_names() -> None:
    packages = {p.name for p in pkgutil.iter_modules(sandbox.entities.__path__) if p.ispkg}
    registered = entities.every()
    assert {type(e).__module__.rsplit(".", 1)[-1] for e in registered} == packages
    for field in ("migration_type", "slug", "queue_id", "event_prefix"):
        values = [getattr(e, field) for e in registered]
        assert len(set(values)) == len(values), field
    assert [entities.get(t) for t in entities.types()] == registered


def test_each_entity_is_built_after_the_types_it_depends_on() -> None:
    order = entities.types()
    for entity in entities.every():
        for needed in entity.depends_on:
            assert order.index(needed) < order.index(entity.migration_type)


def _fake(migration_type: str, *depends_on: str) -> SimpleNamespace:
    return SimpleNamespace(migration_type=migration_type, depends_on=depends_on)


def test_a_dependency_comes_first_whatever_its_name_and_the_rest_keep_their_order() -> None:
    found = {t: _fake(t) for t in ("A", "B", "Z")}
    found["A"] = _fake("A", "Z")
    ordered = entities._in_build_order(found)  # type: ignore[arg-type]
    assert [e.migration_type for e in ordered] == ["Z", "A", "B"]


@pytest.mark.parametrize(
    ("found", "message"),
    [
        (
            {"A": _fake("A", "B"), "B": _fake("B", "A")},
            "entities depend on each other: A -> B -> A",
        ),
        ({"A": _fake("A", "NOPE")}, "A depends on unknown type NOPE"),
    ],
)
def test_a_circular_or_unknown_dependency_is_refused_by_name(found, message) -> None:
    with pytest.raises(ValueError, match=message):
        entities._in_build_order(found)


@pytest.mark.parametrize("path", ["/migrate/history/all/{t}", "/migrate/dead-letter-queue/{t}"])
def test_the_service_knows_the_simulated_and_the_unsimulated_types_and_no_others(
    sb, system, path
) -> None:
    for migration_type in (*entities.types(), *UNSIMULATED_TYPES):
        url = f"{sb.url}{API}{path.format(t=migration_type)}"
        assert requests.get(url, headers=system, timeout=5).status_code == 200, migration_type
    unknown = requests.get(f"{sb.url}{API}{path.format(t='NOT_A_TYPE')}", headers=system)
    assert unknown.status_code == 400
    assert set(UNSIMULATED_TYPES).isdisjoint(entities.types())


def test_list_entities_describes_each_type_from_the_entity_itself() -> None:
    listed = run_manage("sandbox", "--list-entities")
    assert listed.returncode == 0, listed.stderr
    text = listed.stdout
    for entity in entities.every():
        package = import_module(type(entity).__module__)
        assert f"{entity.migration_type} ({Path(*package.__name__.split('.'))}/)" in text
        assert f"  queues: {entity.queue_name}, {entity.dlq_name}" in text
        assert f"  serves: /nomis-migration-api/migrate/{entity.slug}\n" in text
        for pattern in getattr(import_module(entity.urls_module), "nomis_patterns", []):
            assert f"  serves: /nomis-prisoner-api/{pattern.pattern}\n" in text
        assert f"\n  {package.__doc__.splitlines()[0]}\n" in text
    # In build order: each after what it depends on.
    positions = [f"\n{text}".index(f"\n{t} (sandbox/entities/") for t in entities.types()]
    assert positions == sorted(positions)
