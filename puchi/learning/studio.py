"""The content studio's rules: editing a course's draft, publishing it, previewing it as a learner.

Every function checks that the user may edit content (``Capability.CONTENT``). Edits change the draft only
(``drafts.py``), each in one action that records ``course.draft_edited`` with the editor as actor; learners keep
seeing the published rows until :func:`publish_draft` applies the draft through the importer.

Each edit also keeps the document as it was before it (``course_draft_revisions``, the last
:data:`HISTORY_SIZE`), so an editor can undo the latest edit or restore the draft to before a chosen one. Both
check the draft's stamp (as publishing does): an editor acting on a draft that changed since they looked at it
is refused with :class:`Conflict` rather than undoing someone else's edit.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db, now
from puchi.core.errors import Conflict, Invalid, NotFound
from puchi.learning import drafts, exercises, grading, lesson_builder
from puchi.learning.course_format import CourseData, ExerciseData, ItemData, Problem, SkillData, UnitData
from puchi.learning.course_import import ImportReport, apply_course
from puchi.learning.drafts import Change
from puchi.learning.events import CourseDraftEdited, CoursePublished
from puchi.learning.grading import Verdict
from puchi.learning.models import PHRASE, WORD, AuthoredExercise, Course, CourseDraft, CourseDraftRevision, Item
from puchi.learning.steps import ExerciseType, Step

MAX_LIST = 20  # accepted alternatives per item
MAX_TIPS = 20_000
HISTORY_SIZE = 50  # edits kept per draft for undo and restore


@dataclass(frozen=True)
class StudioCourse:
    course: Course
    has_draft: bool


@dataclass
class StudioState:
    course: Course
    data: CourseData
    draft: CourseDraft | None
    problems: list[Problem] = field(default_factory=list)
    last_edit: CourseDraftRevision | None = None  # the edit Undo would take back

    @property
    def stamp(self) -> str:
        """What an undo must send back: the draft as shown (see :func:`undo_edit`)."""
        return _stamp(self.course, self.draft) if self.draft is not None else ""

    def dictionary_rows(self) -> list[tuple[str, str, str, list[str]]]:
        return drafts.dictionary_rows(self.data)

    def problems_at(self, prefix: str) -> list[Problem]:
        return [p for p in self.problems if p.where == prefix or p.where.startswith(prefix + ":")]


def _editor(user: User) -> None:
    accounts.require_capability(user, accounts.Capability.CONTENT)


def _course(course_id: int, *, lock: bool = False) -> Course:
    query = select(Course).where(Course.id == course_id)
    course = db.session.scalar(query.with_for_update() if lock else query)
    if course is None:
        raise NotFound
    return course


def studio_courses(user: User) -> list[StudioCourse]:
    _editor(user)
    drafted = set(db.session.scalars(select(CourseDraft.course_id)))
    return [StudioCourse(course, course.id in drafted)
            for course in db.session.scalars(select(Course).order_by(Course.title))]


def studio_course(user: User, course_id: int) -> StudioState:
    """The course as the studio shows it: the draft if there is one, else the published course. Reads only."""
    _editor(user)
    course = _course(course_id)
    data, row = drafts.working_copy(course)
    return StudioState(course=course, data=data, draft=row, problems=drafts.problems_of(data),
                       last_edit=_last_edit(row.id) if row is not None else None)


def _last_edit(draft_id: int) -> CourseDraftRevision | None:
    return db.session.scalar(select(CourseDraftRevision).where(CourseDraftRevision.draft_id == draft_id)
                             .order_by(CourseDraftRevision.id.desc()).limit(1))


# --- Edits ---------------------------------------------------------------------------------------------------

def _edit(user: User, course_id: int, change: str, target: str,
          apply: Callable[[CourseData], str | None]) -> StudioState:
    """Apply one edit to the course's draft (started from the published course if there is none). ``apply``
    changes the data and returns the prefix of the fields it touched: if the course rules find a problem there,
    nothing is saved and :class:`Invalid` names the fields."""
    _editor(user)
    course = _course(course_id, lock=True)
    row = db.session.scalar(select(CourseDraft).where(CourseDraft.course_id == course.id).with_for_update())
    data = drafts.from_document(row.document) if row is not None else drafts.published_data(course)
    before = drafts.to_document(data)
    touched = apply(data)
    problems = drafts.problems_of(data)
    if touched is not None:
        mine = [p for p in problems if p.where == touched or p.where.startswith(touched + ":")]
        if mine:
            fields: dict[str, list[str]] = {}
            for problem in mine:
                name = problem.where.rsplit(":", 1)[-1]
                fields.setdefault("sentence" if name.isdigit() else name, []).append(problem.message)
            raise Invalid(fields=fields)
    if row is None:
        row = CourseDraft(course_id=course.id, base_version=course.version, document={})
        db.session.add(row)
    row.document = drafts.to_document(data)
    row.updated_by_id = user.id
    row.updated_at = now()
    events.record(CourseDraftEdited(change=change, target=target[:200]), actor_id=user.id,
                  subject=("course", course.id))
    db.session.flush()
    revision = _keep_revision(row, before, change, target, user)
    return StudioState(course=course, data=data, draft=row, problems=problems, last_edit=revision)


def _keep_revision(row: CourseDraft, before: dict[str, Any], change: str, summary: str,
                   user: User) -> CourseDraftRevision:
    """Remember the document as it was before an edit, forgetting all but the last :data:`HISTORY_SIZE`."""
    revision = CourseDraftRevision(draft_id=row.id, before=before, change=change,
                                   summary=" ".join(summary.split())[:200], editor_id=user.id,
                                   created_at=row.updated_at)
    db.session.add(revision)
    db.session.flush()
    oldest_kept = db.session.scalar(select(CourseDraftRevision.id).where(CourseDraftRevision.draft_id == row.id)
                                    .order_by(CourseDraftRevision.id.desc()).offset(HISTORY_SIZE - 1).limit(1))
    if oldest_kept is not None:
        db.session.execute(delete(CourseDraftRevision).where(CourseDraftRevision.draft_id == row.id,
                                                             CourseDraftRevision.id < oldest_kept))
    return revision


def _skill(data: CourseData, slug: str) -> tuple[UnitData, SkillData]:
    found = drafts.find_skill(data, slug)
    if found is None:
        raise NotFound
    return found


def _unit(data: CourseData, index: int) -> UnitData:
    if not 0 <= index < len(data.units):
        raise NotFound
    return data.units[index]


def _lines(text: str) -> list[str]:
    values: list[str] = []
    for line in re.split(r"[\n\r]+", text or ""):
        value = line.strip()
        if value and value not in values:
            values.append(value)
    return values[:MAX_LIST]


def _new_slug(title: str, taken: set[str], fallback: str) -> str:
    base = re.sub(r"[^\w]+", "-", title.strip().lower(), flags=re.UNICODE).strip("-")[:60] or fallback
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@action
def save_course(user: User, course_id: int, title: str, description: str) -> StudioState:
    def apply(data: CourseData) -> str:
        data.title, data.description = title.strip(), description.strip()
        return "course:title"
    return _edit(user, course_id, "course.saved", title, apply)


@action
def add_unit(user: User, course_id: int, title: str) -> StudioState:
    def apply(data: CourseData) -> str:
        slug = _new_slug(title, {u.slug for u in data.units}, "unit")
        data.units.append(UnitData(slug=slug, title=title.strip()))
        return f"unit:{len(data.units) - 1}"
    return _edit(user, course_id, "unit.added", title, apply)


@action
def save_unit(user: User, course_id: int, index: int, title: str) -> StudioState:
    def apply(data: CourseData) -> str:
        _unit(data, index).title = title.strip()
        return f"unit:{index}"
    return _edit(user, course_id, "unit.saved", title, apply)


@action
def delete_unit(user: User, course_id: int, index: int) -> StudioState:
    def apply(data: CourseData) -> None:
        _unit(data, index)
        del data.units[index]
    return _edit(user, course_id, "unit.deleted", str(index), apply)


@action
def add_skill(user: User, course_id: int, unit_index: int, title: str) -> StudioState:
    def apply(data: CourseData) -> str:
        slug = _new_slug(title, {s.slug for u in data.units for s in u.skills}, "skill")
        _unit(data, unit_index).skills.append(SkillData(slug=slug, title=title.strip(), file_name=f"{slug}.yaml"))
        return f"skill:{slug}"
    return _edit(user, course_id, "skill.added", title, apply)


@action
def save_skill(user: User, course_id: int, slug: str, title: str, tips: str) -> StudioState:
    def apply(data: CourseData) -> str:
        skill = _skill(data, slug)[1]
        skill.title, skill.tips_markdown = title.strip(), tips.strip()[:MAX_TIPS]
        return f"skill:{slug}:title"
    return _edit(user, course_id, "skill.saved", slug, apply)


@action
def delete_skill(user: User, course_id: int, slug: str) -> StudioState:
    def apply(data: CourseData) -> None:
        unit, skill = _skill(data, slug)
        unit.skills.remove(skill)
    return _edit(user, course_id, "skill.deleted", slug, apply)


@dataclass(frozen=True)
class ItemInput:
    text: str
    translation: str
    alternatives: str = ""  # one a line
    alternative_translations: str = ""
    kind: str = WORD


@action
def save_item(user: User, course_id: int, slug: str, index: int | None, values: ItemInput) -> StudioState:
    """Change item ``index`` of the skill, or add one (``index`` None). Its published row stays its own."""
    def apply(data: CourseData) -> str:
        skill = _skill(data, slug)[1]
        if index is None:
            skill.items.append(ItemData(kind=values.kind if values.kind in {WORD, PHRASE} else WORD, text="",
                                        translation=""))
            index_ = len(skill.items) - 1
        elif 0 <= index < len(skill.items):
            index_ = index
        else:
            raise NotFound
        item = skill.items[index_]
        item.text, item.translation = values.text.strip(), values.translation.strip()
        item.alternatives = _lines(values.alternatives)
        item.alternative_translations = _lines(values.alternative_translations)
        return f"skill:{slug}:item:{index_}"
    return _edit(user, course_id, "item.added" if index is None else "item.saved", values.text, apply)


@action
def delete_item(user: User, course_id: int, slug: str, index: int) -> StudioState:
    def apply(data: CourseData) -> None:
        skill = _skill(data, slug)[1]
        if not 0 <= index < len(skill.items):
            raise NotFound
        del skill.items[index]
    return _edit(user, course_id, "item.deleted", f"{slug}:{index}", apply)


@action
def save_exercise(user: User, course_id: int, slug: str, index: int | None, sentence: str, answer: str,
                  distractors: str, translation: str) -> StudioState:
    """Change or add (``index`` None) a fill-in-the-blank of the skill."""
    def apply(data: CourseData) -> str:
        skill = _skill(data, slug)[1]
        exercise = ExerciseData(kind="fill_blank", data={
            "sentence": sentence.strip(), "answer": answer.strip(), "distractors": _lines(distractors),
            "translation": translation.strip()})
        if index is None:
            skill.exercises.append(exercise)
            return f"skill:{slug}:exercise:{len(skill.exercises) - 1}"
        if not 0 <= index < len(skill.exercises):
            raise NotFound
        skill.exercises[index] = exercise
        return f"skill:{slug}:exercise:{index}"
    return _edit(user, course_id, "exercise.saved", slug, apply)


@action
def delete_exercise(user: User, course_id: int, slug: str, index: int) -> StudioState:
    def apply(data: CourseData) -> None:
        skill = _skill(data, slug)[1]
        if not 0 <= index < len(skill.exercises):
            raise NotFound
        del skill.exercises[index]
    return _edit(user, course_id, "exercise.deleted", slug, apply)


@action
def save_dictionary_entry(user: User, course_id: int, slug: str, side: str, word: str, meanings: str,
                          old_word: str | None = None) -> StudioState:
    """Add or change a mini-dictionary entry of the skill (``side`` "target" or "source")."""
    def apply(data: CourseData) -> str:
        if side not in {"target", "source"}:
            raise Invalid(fields={"side": [_("Choose a language.")]})
        key, wanted = word.strip().lower(), _lines(meanings)
        if not key or not wanted:
            raise Invalid(fields={"word" if not key else "meanings": [_("This field is required.")]})
        skill = _skill(data, slug)[1]
        entries = skill.dictionary.setdefault(side, {})
        if old_word and old_word != key:
            entries.pop(old_word, None)
        entries[key] = wanted
        return f"skill:{slug}:dictionary"
    return _edit(user, course_id, "dictionary.saved", word, apply)


@action
def delete_dictionary_entry(user: User, course_id: int, slug: str, side: str, word: str) -> StudioState:
    def apply(data: CourseData) -> None:
        skill = _skill(data, slug)[1]
        if skill.dictionary.get(side, {}).pop(word, None) is None:
            raise NotFound
    return _edit(user, course_id, "dictionary.deleted", word, apply)


@action
def reorder(user: User, course_id: int, scope: str, order: list[int]) -> StudioState:
    """Put the units (``scope`` "units"), a unit's skills ("unit:<index>") or a skill's items ("skill:<Id>")
    in ``order``, given as their current positions."""
    def apply(data: CourseData) -> None:
        try:
            if scope == "units":
                data.units = drafts.reorder(data.units, order)
            elif scope.startswith("unit:") and scope[5:].isdigit():
                unit = _unit(data, int(scope[5:]))
                unit.skills = drafts.reorder(unit.skills, order)
            elif scope.startswith("skill:"):
                skill = _skill(data, scope[6:])[1]
                skill.items = drafts.reorder(skill.items, order)
            else:
                raise NotFound
        except ValueError:
            raise Invalid(fields={"order": [_("The new order does not match the list.")]}) from None
    return _edit(user, course_id, "order.changed", scope, apply)


@action
def discard_draft(user: User, course_id: int) -> None:
    _editor(user)
    course = _course(course_id, lock=True)
    row = drafts.draft_row(course.id)
    if row is not None:
        db.session.delete(row)
        events.record(CourseDraftEdited(change="draft.discarded", target=course.slug), actor_id=user.id,
                      subject=("course", course.id))


# --- History: undo and restore ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Revision:
    id: int
    change: str  # as in course.draft_edited ("item.saved", "draft.restored", ...)
    summary: str  # what it was about
    editor: str  # the editor's name ("" once their account is gone)
    at: datetime


@dataclass(frozen=True)
class DraftHistory:
    course: Course
    draft: CourseDraft | None
    revisions: list[Revision]  # newest first
    stamp: str  # what undo and restore must send back
    size: int = HISTORY_SIZE  # how many edits are kept


def draft_history(user: User, course_id: int) -> DraftHistory:
    """The draft's recent edits, newest first, with who made each. Reads only. :raises Forbidden, NotFound."""
    _editor(user)
    course = _course(course_id)
    row = drafts.draft_row(course.id)
    if row is None:
        return DraftHistory(course=course, draft=None, revisions=[], stamp="")
    rows = db.session.execute(
        select(CourseDraftRevision.id, CourseDraftRevision.change, CourseDraftRevision.summary,
               CourseDraftRevision.created_at, User.display_name)
        .outerjoin(User, User.id == CourseDraftRevision.editor_id)
        .where(CourseDraftRevision.draft_id == row.id).order_by(CourseDraftRevision.id.desc())
        .limit(HISTORY_SIZE)).all()
    return DraftHistory(course=course, draft=row, stamp=_stamp(course, row),
                        revisions=[Revision(r.id, r.change, r.summary, r.display_name or "", r.created_at)
                                   for r in rows])


def _draft_as_seen(course: Course, stamp: str) -> CourseDraft:
    """Inside an action: the course's draft, locked, if it is still the one the editor saw."""
    row = db.session.scalar(select(CourseDraft).where(CourseDraft.course_id == course.id).with_for_update())
    if row is None or stamp != _stamp(course, row):
        raise Conflict(_("The draft changed since you looked at it (someone else may have edited or undone "
                         "something): look at its history again."), code="draft_changed")
    return row


@action
def undo_edit(user: User, course_id: int, stamp: str) -> Revision:
    """Take back the draft's latest edit: its document goes back to how it was before, and the edit leaves the
    history. ``stamp`` is :attr:`StudioState.stamp` as shown: a draft changed since refuses, so two editors
    undoing at once take back one edit, not two. Returns the edit undone.

    :raises Forbidden: not an editor. :raises NotFound: no such course.
    :raises Conflict: the draft changed since (or is gone), or it has no edit to undo."""
    _editor(user)
    course = _course(course_id, lock=True)
    row = _draft_as_seen(course, stamp)
    latest = db.session.scalar(select(CourseDraftRevision).where(CourseDraftRevision.draft_id == row.id)
                               .order_by(CourseDraftRevision.id.desc()).limit(1))
    if latest is None:
        raise Conflict(_("There is no edit left to undo."), code="nothing_to_undo")
    undone = _revision(latest)
    row.document = latest.before
    row.updated_by_id, row.updated_at = user.id, now()
    db.session.delete(latest)
    events.record(CourseDraftEdited(change="draft.undone", target=f"{latest.change}: {latest.summary}"[:200]),
                  actor_id=user.id, subject=("course", course.id))
    return undone


@action
def restore_revision(user: User, course_id: int, revision_id: int, stamp: str) -> Revision:
    """Put the draft back as it was before edit ``revision_id``. The later edits are not lost: the restore is
    itself an edit in the history, which Undo takes back. Returns the edit restored to before.

    :raises Forbidden: not an editor. :raises NotFound: no such course, or no such edit in its draft's history.
    :raises Conflict: the draft changed since it was shown (or is gone)."""
    _editor(user)
    course = _course(course_id, lock=True)
    row = _draft_as_seen(course, stamp)
    chosen = db.session.get(CourseDraftRevision, revision_id)
    if chosen is None or chosen.draft_id != row.id:
        raise NotFound(_("That edit is no longer in the draft's history."), code="no_such_revision")
    current, restored = row.document, _revision(chosen)
    row.document = chosen.before
    row.updated_by_id, row.updated_at = user.id, now()
    events.record(CourseDraftEdited(change="draft.restored", target=f"{chosen.change}: {chosen.summary}"[:200]),
                  actor_id=user.id, subject=("course", course.id))
    db.session.flush()
    _keep_revision(row, current, "draft.restored", restored.summary, user)
    return restored


def _revision(row: CourseDraftRevision) -> Revision:
    return Revision(row.id, row.change, row.summary, "", row.created_at)


# --- Publishing ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishPlan:
    course: Course
    changes: list[Change]
    problems: list[Problem]
    stamp: str  # what the confirmation must send back: the draft it was shown
    outdated: bool  # the published course changed (an import) since the draft was started


def _stamp(course: Course, row: CourseDraft) -> str:
    updated: datetime = row.updated_at
    return f"{course.version}:{updated.isoformat()}"


def publish_plan(user: User, course_id: int) -> PublishPlan:
    """What publishing the draft would change, for the confirmation page. :raises NotFound: no draft."""
    _editor(user)
    course = _course(course_id)
    row = drafts.draft_row(course.id)
    if row is None:
        raise NotFound(_("This course has no draft to publish."), code="no_draft")
    data = drafts.from_document(row.document)
    return PublishPlan(course=course, changes=drafts.diff(drafts.published_data(course), data),
                       problems=drafts.problems_of(data), stamp=_stamp(course, row),
                       outdated=row.base_version != course.version)


@action
def publish_draft(user: User, course_id: int, stamp: str) -> ImportReport:
    """Apply the draft to the published course through the importer (learners' progress on kept items survives),
    raise the version and drop the draft. ``stamp`` is the plan's: a draft changed since refuses.

    :raises NotFound: no draft. :raises Conflict: the draft changed since. :raises Invalid: it breaks a rule."""
    _editor(user)
    course = _course(course_id, lock=True)
    row = db.session.scalar(select(CourseDraft).where(CourseDraft.course_id == course.id).with_for_update())
    if row is None:
        raise NotFound(_("This course has no draft to publish."), code="no_draft")
    if stamp != _stamp(course, row):
        raise Conflict(_("The draft changed since you looked at it: check the changes again."), code="draft_changed")
    data = drafts.from_document(row.document)
    problems = drafts.problems_of(data)
    if problems:
        raise Invalid(fields={"draft": [p.message for p in problems]}, code="draft_invalid")
    data.slug = course.slug
    data.version = course.version + 1
    data.media = drafts.published_data(course).media  # the pictures and recordings the items still name
    report = apply_course(data, actor_id=user.id)
    db.session.delete(row)
    events.record(CoursePublished(slug=course.slug, course_version=data.version, changes=len(report.changes)),
                  actor_id=user.id, subject=("course", course.id))
    return report


# --- Preview as a learner ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preview:
    course: Course
    skill: SkillData
    steps: list[Step]
    items: dict[int, Item]
    seed: int


def _transient_course(course: Course, data: CourseData) -> Course:
    return Course(id=course.id, slug=course.slug, title=data.title, target_language=data.target_language,
                  target_language_name=data.target_language_name, source_language=data.source_language,
                  source_language_name=data.source_language_name, special_characters=list(data.special_characters))


def preview(user: User, course_id: int, slug: str, seed: int) -> Preview:
    """A lesson of the skill built from the draft (or the published course when there is no draft) by the
    lesson builder, as a new learner would get it. Nothing is stored: the same seed gives the same lesson."""
    _editor(user)
    course = _course(course_id)
    data, _row = drafts.working_copy(course)
    skill = _skill(data, slug)[1]
    shown = _transient_course(course, data)
    items: dict[int, Item] = {}
    skill_items: list[Item] = []
    next_id = 1
    for unit in data.units:
        for other in unit.skills:
            for item_data in other.items:
                item = Item(id=10_000_000 + next_id, course_id=course.id, skill_id=0 if other is not skill else 1,
                            kind=item_data.kind, text=item_data.text, translation=item_data.translation,
                            alternatives=list(item_data.alternatives),
                            alternative_translations=list(item_data.alternative_translations),
                            romanisation=item_data.romanisation, pronunciation=item_data.pronunciation,
                            audio=item_data.audio, images=list(item_data.images), extra={}, position=next_id)
                next_id += 1
                items[item.id] = item
                if other is skill:
                    skill_items.append(item)
    authored = [AuthoredExercise(id=n + 1, skill_id=1, kind=e.kind, data=dict(e.data), position=n)
                for n, e in enumerate(skill.exercises)]
    vocabulary = [w for u in data.units for s in u.skills for w in s.dictionary.get("target", {})]
    material = lesson_builder.LessonMaterial(course=shown, skill_items=skill_items, cards={}, review_items=[],
                                             pool=list(items.values()), vocabulary=vocabulary, authored=authored)
    steps = lesson_builder.build_lesson(material, seed) if skill_items or authored else []
    return Preview(course=shown, skill=skill, steps=steps, items=items, seed=seed)


@dataclass(frozen=True)
class PreviewResult:
    verdict: Verdict
    expected: str
    answer: str


def preview_answer(user: User, course_id: int, slug: str, seed: int, index: int, answer: str,
                   pairs: list[str] | None = None) -> tuple[Preview, PreviewResult]:
    """Grade an answer to step ``index`` of the preview as a lesson would, recording nothing."""
    shown = preview(user, course_id, slug, seed)
    if not 0 <= index < len(shown.steps):
        raise NotFound
    step = shown.steps[index]
    answer = answer[:500]
    if step.type is ExerciseType.MATCH:
        expected_pairs = [shown.items[i].translation for i in step.item_ids if i in shown.items]
        verdict = Verdict.CORRECT if (pairs or []) == expected_pairs else Verdict.WRONG
        return shown, PreviewResult(verdict, " | ".join(expected_pairs), " | ".join(pairs or []))
    item = shown.items.get(step.item_id or 0)
    expectation = exercises.expectation(step, item, shown.course)
    if expectation.exact_choice and answer not in step.choices:
        graded: grading.Grade = expectation.grade("")
        verdict = Verdict.WRONG
    else:
        graded = expectation.grade(answer)
        verdict = graded.result
        if expectation.exact_choice and verdict is Verdict.ALMOST:
            verdict = Verdict.WRONG
    return shown, PreviewResult(verdict, graded.expected, answer)


def preview_seed(user: User) -> int:
    """A new preview's seed (the lesson it builds)."""
    _editor(user)
    return random.SystemRandom().randrange(1, 1_000_000)
