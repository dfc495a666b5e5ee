"""Deterministic scenario data: ``default``, ``empty``, ``history`` and ``large``.

Each entity plug-in builds its own part of a scenario (sandbox.entities.*); ``empty`` has no data
of any type, ``large`` a 250,000-visit prison, ``history`` earlier runs and leftover DLQ messages.
"""

from __future__ import annotations

from sandbox import entities
from sandbox.state import State
from sandbox.util import now_local

SCENARIOS = ("default", "empty", "history", "large")


class UnknownScenario(ValueError):
    pass


def build(scenario: str, *, history_size: int | None = None) -> State:
    """Build a fresh :class:`State` for ``scenario``."""
    if scenario not in SCENARIOS:
        raise UnknownScenario(scenario)
    now = now_local()
    state = State(scenario, entities.types())
    for entity in entities.every():
        entity.populate(state, scenario, now=now, history_size=history_size)
    state.history.sort(key=lambda m: m.when_started, reverse=True)
    return state
