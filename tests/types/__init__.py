"""One test module per migration type: `tests/types/test_<slug>.py` for each registered slug.

A type's module holds everything particular to its tests:

- `EXAMPLE`, an `Example`: what the generic page tests (tests/unit/test_type_pages.py) cannot
  know about the type;
- `RUN`, a `Run`: how the lifecycle test (tests/integration/test_every_type_completes.py) starts
  it on the sandbox and what the run ends with; or None where the module says which test runs it;
- its unit tests (its form, estimate and checks, its own pages), with requests-mock at HTTP;
- its sandbox tests (they ask for `sb`): its NOMIS and mapping endpoints, runs to COMPLETED.

conftest.py gives each kind of test the fixtures it had in tests/unit/ or tests/sandbox/.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest


@dataclass(frozen=True)
class Example:
    """A worked example of the type for the generic page tests."""

    # A valid start form.
    form: dict[str, Any]
    # Mocks the estimate (to answer `estimate`) and the type's own checks, with nothing to warn.
    mock_checks: Callable[[Any, int], None]
    # The JSON body the start must send, or None for no body at all.
    start_body: dict[str, Any] | None
    # A stored filter and the line the history shows for it.
    stored_filter: dict[str, Any]
    filter_text: str
    # A dead-letter message's entity body and the id the failures page shows for it.
    entity: Any
    entity_id: str


@dataclass(frozen=True)
class Run:
    """A migration of the type started through its pages, as a user holding its role would."""

    user: str
    form: dict[str, Any] = field(default_factory=dict)
    # What the sandbox's data gives for that filter (the entity's docstring says).
    migrated: int = 0
    failed: int = 0


def _import(slug: str) -> ModuleType | None:
    name = f"{__name__}.test_{slug}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
    return None


def type_module(slug: str) -> ModuleType:
    """The type's test module; a registered type without one fails the test that asks."""
    module = _import(slug)
    if module is not None:
        return module
    pytest.fail(
        f"{slug} is a registered migration type without a test module: add "
        f"tests/types/test_{slug}.py with EXAMPLE and RUN (docs/adding-a-migration-type.md)",
        pytrace=False,
    )


def example_of(slug: str) -> Example:
    found = getattr(type_module(slug), "EXAMPLE", None)
    if not isinstance(found, Example):
        pytest.fail(
            f"tests/types/test_{slug}.py has no EXAMPLE: give it a tests.types.Example for the "
            "generic page tests",
            pytrace=False,
        )
    return found


def run_of(slug: str) -> Run | None:
    module = type_module(slug)
    if not hasattr(module, "RUN"):
        pytest.fail(
            f"tests/types/test_{slug}.py has no RUN: give it a tests.types.Run for the lifecycle "
            "test, or None with a comment naming the test that runs the type",
            pytrace=False,
        )
    found: Run | None = module.RUN
    return found


def declared_run(slug: str) -> Run | None:
    """The type's RUN if its module declares one, for parametrizing (`run_of` fails instead)."""
    module = _import(slug)
    found: Run | None = getattr(module, "RUN", None)
    return found


# -- The preview's CSV blocks (the activities family)


def csv_download(client: Any, preview_html: str, block_id: str) -> Any:
    """Follows a CSV block's "Download CSV" link on a preview page: a CSV file, or fails."""
    import re

    link = re.search(rf'href="([^"]+)" download data-qa="{block_id}-download"', preview_html)
    assert link, f"{block_id} has no download link"
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response


# -- Upstream bodies the examples' mocks answer with


def classic_total(total: int) -> dict[str, Any]:
    """A classic Spring page with only its total (`totalElements` at the top level)."""
    return {"content": [], "totalElements": total, "size": 1, "number": 0}


def paged_model_total(total: int) -> dict[str, Any]:
    """A Spring PagedModel with only its total (under `page`)."""
    return {"content": [], "page": {"size": 1, "number": 0, "totalElements": total}}
