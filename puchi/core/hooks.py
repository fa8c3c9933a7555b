"""Seams between domains that must not import each other.

A *gate* lets one domain veto an action of another (progress: "no hearts left, no new lesson") without
the acting domain knowing who asks. A *slot* lets a domain add a fragment to another domain's page
(progress: the XP and streak panel on learning's lesson-complete screen), loaded by HTMX from its URL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from flask import url_for

Gate = Callable[..., None]  # raises a puchi.core.errors error to refuse
Section = Callable[[Any], "tuple[str, dict[str, Any]] | None"]  # user → (template, context) or nothing
_gates: dict[str, list[Gate]] = defaultdict(list)
_slots: dict[str, list[str]] = defaultdict(list)
_sections: dict[str, list[tuple[int, Section]]] = defaultdict(list)


def add_gate(action: str, gate: Gate) -> None:
    if gate not in _gates[action]:
        _gates[action].append(gate)


def check(action: str, **context: Any) -> None:
    """Run every gate of ``action``; the first that refuses raises."""
    for gate in _gates.get(action, ()):
        gate(**context)


def add_slot(slot: str, endpoint: str) -> None:
    if endpoint not in _slots[slot]:
        _slots[slot].append(endpoint)


def slot_urls(slot: str, **values: Any) -> list[str]:
    """The URLs whose fragments fill ``slot`` on a page (used from templates)."""
    return [url_for(endpoint, **values) for endpoint in _slots.get(slot, ())]


def add_section(page: str, section: Section, order: int = 50) -> None:
    """Contribute a part of another domain's page, rendered in the same request (lower order first)."""
    if all(existing is not section for _, existing in _sections[page]):
        _sections[page].append((order, section))
        _sections[page].sort(key=lambda pair: pair[0])


def sections(page: str, user: Any) -> list[tuple[str, dict[str, Any]]]:
    """The (template, context) of every section of ``page`` that has something to show."""
    rendered = []
    for _, section in _sections.get(page, ()):
        part = section(user)
        if part is not None:
            rendered.append(part)
    return rendered
