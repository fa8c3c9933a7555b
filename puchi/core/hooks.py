"""Seams between domains that must not import each other, kept on the app (not in module globals).

A *gate* lets one domain veto an action of another (progress: "no hearts left, no new lesson") without
the acting domain knowing who asks. A *slot* lets a domain add a fragment to another domain's page
(progress: the XP and streak panel on learning's lesson-complete screen), loaded by HTMX from its URL.
A *section* is a part of a page rendered in the same request (each domain's piece of the learner's home).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, url_for

Gate = Callable[..., None]  # raises a puchi.core.errors error to refuse
Section = Callable[[Any], "tuple[str, dict[str, Any]] | None"]  # user → (template, context) or nothing
_KEY = "puchi.hooks"


@dataclass
class Hooks:
    gates: dict[str, list[Gate]] = field(default_factory=lambda: defaultdict(list))
    slots: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sections: dict[str, list[tuple[int, Section]]] = field(default_factory=lambda: defaultdict(list))


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = Hooks()


def _hooks(app: Flask | None = None) -> Hooks:
    hooks: Hooks = (app or current_app).extensions[_KEY]
    return hooks


def add_gate(app: Flask, action: str, gate: Gate) -> None:
    if gate not in _hooks(app).gates[action]:
        _hooks(app).gates[action].append(gate)


def check(action: str, **context: Any) -> None:
    """Run every gate of ``action``; the first that refuses raises."""
    for gate in _hooks().gates.get(action, ()):
        gate(**context)


def add_slot(app: Flask, slot: str, endpoint: str) -> None:
    if endpoint not in _hooks(app).slots[slot]:
        _hooks(app).slots[slot].append(endpoint)


def slot_urls(slot: str, **values: Any) -> list[str]:
    """The URLs whose fragments fill ``slot`` on a page (used from templates)."""
    return [url_for(endpoint, **values) for endpoint in _hooks().slots.get(slot, ())]


def add_section(app: Flask, page: str, section: Section, order: int = 50) -> None:
    """Contribute a part of another domain's page, rendered in the same request (lower order first)."""
    parts = _hooks(app).sections[page]
    if all(existing is not section for _, existing in parts):
        parts.append((order, section))
        parts.sort(key=lambda pair: pair[0])


def sections(page: str, user: Any) -> list[tuple[str, dict[str, Any]]]:
    """The (template, context) of every section of ``page`` that has something to show."""
    rendered = []
    for _, section in _hooks().sections.get(page, ()):
        part = section(user)
        if part is not None:
            rendered.append(part)
    return rendered
