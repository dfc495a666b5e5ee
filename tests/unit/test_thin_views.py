"""Views stay thin: short, and an audited action's failures become pages in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIEW_MODULES = sorted(
    path
    for top in ("accounts", "kernel", "migrations_ui", "nomis_sync")
    for path in (ROOT / top).rglob("views.py")
)
LONGEST_VIEW = 30


def _functions(path: Path) -> list[ast.FunctionDef]:
    return [
        node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)
    ]


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_view_is_longer_than_thirty_lines(path: Path) -> None:
    long = {
        f"{function.name} (line {function.lineno})": function.end_lineno - function.lineno + 1
        for function in _functions(path)
        if function.end_lineno and function.end_lineno - function.lineno + 1 > LONGEST_VIEW
    }
    assert long == {}


def _handlers(path: Path) -> list[str]:
    """The exception names a module's `except` clauses catch, with whether they only re-raise."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            reraises = len(node.body) == 1 and isinstance(node.body[0], ast.Raise)
            found += [f"{ast.unparse(name)}{' (re-raised)' if reraises else ''}" for name in names]
    return found


def test_audit_and_lost_answer_failures_become_pages_in_one_place() -> None:
    """Only migrations_ui.actions turns them into pages; a view may at most let one through."""
    translated = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in VIEW_MODULES
        for name in _handlers(path)
        if name.split(".")[-1] in ("AuditUnavailable", "OutcomeUnknown")
    }
    assert {entry for entry in translated if not entry.endswith("(re-raised)")} == set()
    pages = {
        str(path.relative_to(ROOT))
        for top in ("accounts", "kernel", "migrations_ui", "nomis_sync")
        for path in (ROOT / top).rglob("*.py")
        if "outcome_unknown_page(" in path.read_text()
    }
    # Where it is defined, the one translation, and the fallback for any view that has none.
    assert pages == {"kernel/error_pages.py", "migrations_ui/actions.py", "kernel/middleware.py"}


def test_an_audited_view_without_its_not_recorded_page_cannot_be_made() -> None:
    """The page for an unrecordable change is abstract: forgetting it fails at once, not on the
    first audit outage in production."""
    from django.views import View

    from migrations_ui.actions import AuditedActionMixin

    class Forgetful(AuditedActionMixin, View):
        pass

    with pytest.raises(TypeError, match="refused_unrecorded"):
        Forgetful()  # type: ignore[abstract]  # what mypy also catches, at run time
