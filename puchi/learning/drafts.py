"""The content studio's drafts: a course being edited, kept apart from what learners see.

A draft is the course in the course format's model (:class:`course_format.CourseData`: units → skills → words
and phrases with their alternatives, authored exercises, tips and the mini-dictionary), stored as JSON in
``course_drafts``, one per course. It is started from the published course on the first edit and checked with
the importer's own rules (:func:`course_format.validate`). Items keep the id of their published row
(``ItemData.ref``), so publishing a fixed typo updates that row and learners keep their cards on it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from puchi.core.db import db
from puchi.learning import course_format
from puchi.learning.course_format import CourseData, ExerciseData, ItemData, Problem, SkillData, UnitData
from puchi.learning.course_import import course_data
from puchi.learning.models import Course, CourseDraft


def to_document(data: CourseData) -> dict[str, Any]:
    document = dataclasses.asdict(data)
    document.pop("warnings", None)
    document.pop("media", None)  # the files stay in storage; items keep their names, publish reads them back
    return document


def from_document(document: dict[str, Any]) -> CourseData:
    values = {k: copy.deepcopy(v) for k, v in document.items() if k not in {"units", "warnings", "media"}}
    data = CourseData(**values)
    for unit in document.get("units", []):
        unit_data = UnitData(slug=unit["slug"], title=unit["title"])
        for skill in unit.get("skills", []):
            skill_values = {k: copy.deepcopy(v) for k, v in skill.items() if k not in {"items", "exercises"}}
            skill_data = SkillData(**skill_values)
            skill_data.items = [ItemData(**copy.deepcopy(item)) for item in skill.get("items", [])]
            skill_data.exercises = [ExerciseData(kind=e["kind"], data=dict(e["data"]))
                                    for e in skill.get("exercises", [])]
            unit_data.skills.append(skill_data)
        data.units.append(unit_data)
    return data


def draft_row(course_id: int) -> CourseDraft | None:
    return db.session.scalar(select(CourseDraft).where(CourseDraft.course_id == course_id))


def published_data(course: Course) -> CourseData:
    return course_data(course, with_refs=True)


def working_copy(course: Course) -> tuple[CourseData, CourseDraft | None]:
    """The draft's data, or (no draft yet) the published course's."""
    row = draft_row(course.id)
    return (from_document(row.document), row) if row is not None else (published_data(course), None)


def problems_of(data: CourseData) -> list[Problem]:
    return course_format.validate(data)


# --- Finding parts of a draft ----------------------------------------------------------------------------

def find_skill(data: CourseData, slug: str) -> tuple[UnitData, SkillData] | None:
    for unit in data.units:
        for skill in unit.skills:
            if skill.slug == slug:
                return unit, skill
    return None


def dictionary_rows(data: CourseData) -> list[tuple[str, str, str, list[str]]]:
    """(skill slug, side, word, meanings) of every mini-dictionary entry, in course order."""
    return [(skill.slug, side, word, meanings)
            for unit in data.units for skill in unit.skills
            for side in ("target", "source") for word, meanings in skill.dictionary.get(side, {}).items()]


def reorder(values: list[Any], order: list[int]) -> list[Any]:
    """``values`` in the order given as their current indices; an order that is not a permutation is refused."""
    if sorted(order) != list(range(len(values))):
        raise ValueError("not a permutation")
    return [values[i] for i in order]


# --- What publishing changes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed", "changed"
    what: str  # "unit", "skill", "word", "phrase", "exercises", "tips", "dictionary", "course"
    label: str  # the title or text it is about
    where: str = ""  # the skill or unit it is in
    detail: str = ""  # for a change: before → after


ITEM_FIELDS = ("text", "translation", "alternatives", "alternative_translations", "romanisation", "pronunciation",
               "audio", "images")


def diff(before: CourseData, after: CourseData) -> list[Change]:
    """What publishing ``after`` over ``before`` adds, removes and changes, in course order."""
    changes: list[Change] = []
    for name in ("title", "description"):
        if getattr(before, name) != getattr(after, name):
            changes.append(Change("changed", "course", name,
                                  detail=_arrow(getattr(before, name), getattr(after, name))))
    old_units = {u.slug: u for u in before.units}
    new_units = {u.slug: u for u in after.units}
    for unit in after.units:
        old_unit = old_units.get(unit.slug)
        if old_unit is None:
            changes.append(Change("added", "unit", unit.title))
        elif old_unit.title != unit.title:
            changes.append(Change("changed", "unit", unit.title, detail=_arrow(old_unit.title, unit.title)))
    changes += [Change("removed", "unit", u.title) for u in before.units if u.slug not in new_units]
    if [u.slug for u in before.units if u.slug in new_units] != [u.slug for u in after.units if u.slug in old_units]:
        changes.append(Change("changed", "course", "order", detail="units"))

    old_skills = {s.slug: s for u in before.units for s in u.skills}
    new_skills = {s.slug: s for u in after.units for s in u.skills}
    for unit in after.units:
        for skill in unit.skills:
            old = old_skills.get(skill.slug)
            if old is None:
                changes.append(Change("added", "skill", skill.title, where=unit.title))
                changes += [Change("added", item.kind, item.text, where=skill.title) for item in skill.items]
                continue
            if old.title != skill.title:
                changes.append(Change("changed", "skill", skill.title, detail=_arrow(old.title, skill.title)))
            if old.tips_markdown != skill.tips_markdown:
                changes.append(Change("changed", "tips", skill.title))
            if [(e.kind, e.data) for e in old.exercises] != [(e.kind, e.data) for e in skill.exercises]:
                changes.append(Change("changed", "exercises", skill.title))
            if old.dictionary != skill.dictionary:
                changes.append(Change("changed", "dictionary", skill.title))
            changes += _item_changes(old, skill)
    changes += [Change("removed", "skill", s.title) for s in old_skills.values() if s.slug not in new_skills]
    return changes


def _item_changes(old: SkillData, new: SkillData) -> list[Change]:
    changes: list[Change] = []
    by_ref = {i.ref: i for i in old.items if i.ref is not None}
    by_key = {(i.kind, i.text): i for i in old.items}
    matched: set[int] = set()
    for item in new.items:
        before = by_ref.get(item.ref) if item.ref is not None else None
        before = before or by_key.get((item.kind, item.text))
        if before is None:
            changes.append(Change("added", item.kind, item.text, where=new.title))
            continue
        matched.add(id(before))
        details = [_arrow(_show(getattr(before, name)), _show(getattr(item, name)))
                   for name in ITEM_FIELDS if getattr(before, name) != getattr(item, name)]
        if details:
            changes.append(Change("changed", item.kind, item.text, where=new.title, detail="; ".join(details)))
    changes += [Change("removed", i.kind, i.text, where=new.title) for i in old.items if id(i) not in matched]
    if [i.text for i in old.items if id(i) in matched] != [i.text for i in new.items if i.ref in by_ref or
                                                            (i.kind, i.text) in by_key] and not changes:
        changes.append(Change("changed", "skill", new.title, detail="order"))
    return changes


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _arrow(before: str, after: str) -> str:
    return f"{before or '∅'} → {after or '∅'}"


Edit = Callable[[CourseData], None]
