"""Each domain has one public face (DESIGN.md §2): a module of one domain never imports another domain's views,
and imports another domain's models only for type hints, so it cannot query that domain's tables.

Accounts is the layer every domain stands on (core ← accounts ← the rest): its ``User`` is every domain's learner,
so its models stay importable. The import-linter contracts check the layers as a whole; this checks, line by line,
the one thing a contract cannot see: whether an import of ``models`` sits under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "puchi"
DOMAINS = sorted(path.name for path in PACKAGE.iterdir()
                 if (path / "__init__.py").exists() and path.name not in {"core", "translations"})
SHARED_MODELS = {"accounts"}


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or not node.module:
        return []  # relative imports stay inside their package
    if node.module.count(".") == 1:  # from puchi.<domain> import models, views, …
        return [f"{node.module}.{alias.name}" for alias in node.names]
    return [node.module]


def _typing_only(tree: ast.Module) -> set[ast.AST]:
    """The import statements inside ``if TYPE_CHECKING:`` blocks."""
    guarded: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(child for statement in node.body for child in ast.walk(statement))
    return guarded


def _crossings(source: str, name: str, domain: str) -> list[str]:
    """What a module of ``domain`` (its text, its name for messages) imports against the rule."""
    tree = ast.parse(source, filename=name)
    typing_only = _typing_only(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for module in _imported_modules(node):
            parts = module.split(".")
            if len(parts) < 3 or parts[0] != "puchi" or parts[1] not in DOMAINS or parts[1] == domain:
                continue
            other, part = parts[1], parts[2]
            where = f"{name}:{node.lineno} imports {module}"
            if part == "views":
                found.append((node.lineno, f"{where}: another domain's views"))
            elif part == "models" and other not in SHARED_MODELS and node not in typing_only:
                found.append((node.lineno, f"{where}: another domain's tables (import its models under "
                                           "TYPE_CHECKING, call its services for data)"))
    return [line for _lineno, line in sorted(found)]


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_domain_uses_another_only_through_its_public_face(domain):
    crossings = [line for path in sorted((PACKAGE / domain).rglob("*.py"))
                 for line in _crossings(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)),
                                        domain)]
    assert crossings == []


def test_the_check_sees_a_forbidden_import():
    """The rule above fails on the imports it is meant to catch, and lets type hints and accounts' User pass."""
    source = ("from typing import TYPE_CHECKING\n"
              "from puchi.accounts.models import User\n"
              "from puchi.progress.models import ProgressProfile\n"
              "from puchi.progress import services, views\n"
              "import puchi.learning.views\n"
              "if TYPE_CHECKING:\n"
              "    from puchi.learning.models import Course\n"
              "def f():\n"
              "    from puchi.notifications.models import Notification\n"
              "    from puchi.social.models import Follow\n")
    found = _crossings(source, "sample.py", "social")
    assert [line.split(": ")[0] for line in found] == [
        "sample.py:3 imports puchi.progress.models", "sample.py:4 imports puchi.progress.views",
        "sample.py:5 imports puchi.learning.views", "sample.py:9 imports puchi.notifications.models"]
