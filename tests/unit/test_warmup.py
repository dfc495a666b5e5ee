"""Start-up warm-up: a new worker's first requests compile no templates (kernel/warmup.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines

from kernel.warmup import warm_up
from tests.unit.conftest_visits import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the templates compiled from now on, starting from an empty template cache."""
    environment = engines["jinja2"].env  # type: ignore[attr-defined]
    environment.cache.clear()
    names: list[str] = []
    original = environment.compile

    def counting(source: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        names.append(name or "")
        return original(source, name, *args, **kwargs)

    monkeypatch.setattr(environment, "compile", counting)
    return names


def _pages(client: Any) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/visits-migration/start").status_code == 200


def test_a_cold_process_compiles_templates_on_its_first_pages(client, visits_user, compiled):
    sign_in(client, visits_user)
    _pages(client)
    assert "layout.html" in compiled


def test_after_warm_up_pages_compile_nothing(client, visits_user, compiled):
    warm_up()
    warmed = len(compiled)
    sign_in(client, visits_user)
    _pages(client)
    assert warmed > 0
    assert compiled[warmed:] == []
