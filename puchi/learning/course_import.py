"""Courses between files and the database: idempotent import (progress survives) and export."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select

from puchi.core import events
from puchi.core.db import action, db, now
from puchi.core.storage import storage
from puchi.learning import course_format, media
from puchi.learning.course_format import CourseData, ExerciseData, ItemData, SkillData, UnitData
from puchi.learning.events import CourseImported
from puchi.learning.models import AuthoredExercise, Course, DictionaryEntry, Item, Skill, Unit
from puchi.learning.text_folding import fold


@dataclass
class ImportReport:
    course_slug: str
    created: bool = False
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # liberties the files took ("file:line: ..."), nothing refused

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changes)


def import_course_folder(folder: str | Path) -> ImportReport:
    """Read and import a course folder. Commits. :raises CourseFormatError: nothing is imported."""
    return import_course(course_format.read_course(folder))


@action
def import_course(data: CourseData, *, actor_id: int | None = None) -> ImportReport:
    """Create or update a course to match ``data``. Learners' cards and progress on kept items survive.

    Items are matched by (skill Id, kind, text), skills by Id, units by folder name; what the files no
    longer contain is removed. Commits once; re-importing the same data changes nothing.
    :raises CourseFormatError: ``data`` breaks the course rules (``course_format.validate``).
    """
    return apply_course(data, actor_id=actor_id)


def apply_course(data: CourseData, *, actor_id: int | None = None) -> ImportReport:
    """:func:`import_course` inside the caller's action (the studio's publish). Items with a ``ref`` (drafts)
    are matched by their row first, so an edited text keeps the item and learners' cards on it."""
    problems = course_format.validate(data)
    if problems:
        raise course_format.CourseFormatError(problems)
    report = ImportReport(course_slug=data.slug, warnings=[str(warning) for warning in data.warnings])
    course = db.session.scalar(select(Course).where(Course.slug == data.slug))
    if course is None:
        course = Course(slug=data.slug)
        db.session.add(course)
        report.created = True
    _assign(course, report, f"course {data.slug}", {
        "title": data.title, "description": data.description, "target_language": data.target_language,
        "target_language_name": data.target_language_name, "source_language": data.source_language,
        "source_language_name": data.source_language_name, "licence_name": data.licence_name,
        "licence_short_name": data.licence_short_name, "licence_link": data.licence_link,
        "repository": data.repository, "special_characters": data.special_characters, "version": data.version,
        "settings": data.settings,
    })
    db.session.flush()

    units = {u.slug: u for u in db.session.scalars(select(Unit).where(Unit.course_id == course.id))}
    skills = {s.slug: s for s in db.session.scalars(select(Skill).where(Skill.course_id == course.id))}
    items: dict[tuple[int, str, str], Item] = {
        (i.skill_id, i.kind, i.text): i for i in db.session.scalars(select(Item).where(Item.course_id == course.id))
    }
    by_id = {item.id: item for item in items.values()}
    exercises: dict[int, list[AuthoredExercise]] = {}
    for exercise in db.session.scalars(
            select(AuthoredExercise).join(Skill).where(Skill.course_id == course.id)
            .order_by(AuthoredExercise.position)):
        exercises.setdefault(exercise.skill_id, []).append(exercise)
    entries = {(e.language, e.word): e
               for e in db.session.scalars(select(DictionaryEntry).where(DictionaryEntry.course_id == course.id))}

    # The mini-dictionary is course-wide: a word met in several skills keeps every meaning, under the first.
    wanted_entries: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for unit_data in data.units:
        for skill_data in unit_data.skills:
            for side, words in skill_data.dictionary.items():
                for word, meanings in words.items():
                    first, merged = wanted_entries.setdefault((side, word), (skill_data.slug, []))
                    merged.extend(m for m in meanings if m not in merged)

    kept_units: set[str] = set()
    kept_skills: set[str] = set()
    kept_items: set[tuple[int, str, str]] = set()
    kept_entries: set[tuple[str, str]] = set()
    path_position = 0
    with_media: list[tuple[Item, ItemData]] = []
    for unit_position, unit_data in enumerate(data.units):
        unit = units.get(unit_data.slug)
        if unit is None:
            unit = units[unit_data.slug] = Unit(course_id=course.id, slug=unit_data.slug)
            db.session.add(unit)
            report.changes.append(f"unit {unit_data.slug} added")
        _assign(unit, report, f"unit {unit_data.slug}", {"title": unit_data.title, "position": unit_position})
        db.session.flush()
        kept_units.add(unit_data.slug)
        for skill_position, skill_data in enumerate(unit_data.skills):
            skill = skills.get(skill_data.slug)
            if skill is None:
                skill = skills[skill_data.slug] = Skill(course_id=course.id, slug=skill_data.slug)
                db.session.add(skill)
                report.changes.append(f"skill {skill_data.slug} added")
            _assign(skill, report, f"skill {skill_data.slug}", {
                "unit_id": unit.id, "title": skill_data.title, "file_name": skill_data.file_name,
                "tips_markdown": skill_data.tips_markdown, "position": skill_position,
                "path_position": path_position, "item_count": len(skill_data.items),
                "settings": skill_data.settings,
            })
            db.session.flush()
            path_position += 1
            kept_skills.add(skill_data.slug)
            for item_position, item_data in enumerate(skill_data.items):
                item_key = (skill.id, item_data.kind, item_data.text)
                item = items.get(item_key)
                renamed = by_id.get(item_data.ref) if item_data.ref is not None and item is None else None
                if renamed is not None and (renamed.skill_id, renamed.kind, renamed.text) not in kept_items:
                    # A draft's edit of an item's text (a typo fixed): the same row, so learners keep its card.
                    old_key = (renamed.skill_id, renamed.kind, renamed.text)
                    if items.get(old_key) is renamed:
                        del items[old_key]
                    report.changes.append(f"{renamed.kind} {renamed.text!r}: text changed to {item_data.text!r}")
                    renamed.skill_id, renamed.kind, renamed.text = skill.id, item_data.kind, item_data.text
                    item = items[item_key] = renamed
                if item is None:
                    item = items[item_key] = Item(course_id=course.id, skill_id=skill.id, kind=item_data.kind,
                                                  text=item_data.text)
                    db.session.add(item)
                    report.changes.append(f"{item_data.kind} {item_data.text!r} added to {skill_data.slug}")
                _assign(item, report, f"{item_data.kind} {item_data.text!r}", {
                    "translation": item_data.translation, "alternatives": item_data.alternatives,
                    "alternative_translations": item_data.alternative_translations,
                    "romanisation": item_data.romanisation, "pronunciation": item_data.pronunciation,
                    "audio": item_data.audio, "images": item_data.images, "extra": item_data.extra,
                    "position": item_position,
                })
                item.search_text = _search_text(item_data)  # derived from the fields above: not a change of its own
                kept_items.add(item_key)
                with_media.append((item, item_data))
            _sync_exercises(skill, skill_data.exercises, exercises.get(skill.id, []), report)
            for side, words in skill_data.dictionary.items():
                for word in words:
                    entry_key = (side, word)
                    first_skill, meanings = wanted_entries[entry_key]
                    if first_skill != skill_data.slug or entry_key in kept_entries:
                        continue
                    entry = entries.get(entry_key)
                    if entry is None:
                        entry = entries[entry_key] = DictionaryEntry(course_id=course.id, skill_id=skill.id,
                                                                     language=side, word=word, meanings=[])
                        db.session.add(entry)
                        report.changes.append(f"dictionary {side} {word!r} added")
                    _assign(entry, report, f"dictionary {word!r}", {"meanings": meanings, "skill_id": skill.id})
                    kept_entries.add(entry_key)

    for item_key, item in items.items():
        if item_key not in kept_items and item.id is not None:
            db.session.delete(item)
            report.changes.append(f"{item.kind} {item.text!r} removed")
    for entry_key, entry in entries.items():
        if entry_key not in kept_entries and entry.id is not None:
            db.session.delete(entry)
            report.changes.append(f"dictionary {entry.word!r} removed")
    for slug, skill in skills.items():
        if slug not in kept_skills and skill.id is not None:
            db.session.delete(skill)
            report.changes.append(f"skill {slug} removed")
    for slug, unit in units.items():
        if slug not in kept_units and unit.id is not None:
            db.session.delete(unit)
            report.changes.append(f"unit {slug} removed")
    db.session.flush()
    for item, item_data in with_media:
        _sync_media(item, item_data, data.media, report)
    if report.changed and not report.created:
        course.updated_at = now()  # a new version of the course: what was derived from the old one is rebuilt
    db.session.flush()
    if report.changed:
        events.record(CourseImported(slug=course.slug, created=report.created, changes=len(report.changes)),
                      actor_id=actor_id, subject=("course", course.id))
    return report


def _assign(obj: Any, report: ImportReport, label: str, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if getattr(obj, name) != value:
            if obj.id is not None:
                report.changes.append(f"{label}: {name} changed")
            setattr(obj, name, value)


def _sync_media(item: Item, item_data: ItemData, files: dict[str, bytes], report: ImportReport) -> None:
    """Store the picture and recording the files give the item (by content, so the same bytes change nothing)."""
    for kind, name, check in ((media.IMAGE, item_data.image_file, media.check_image),
                              (media.AUDIO, item_data.audio_file, media.check_audio)):
        key = None
        if name:
            content = files[name]
            checked = check(content)
            if checked is None:
                report.warnings.append(f"{name}: not a picture or recording Puchi can use; left out")
            else:
                key = media.media_key(item.id, kind, content, checked.extension)
                if key != getattr(item, f"{kind}_key"):
                    storage().put(key, content, checked.content_type)
        _assign(item, report, f"{item.kind} {item.text!r}", {f"{kind}_key": key})


def _sync_exercises(skill: Skill, wanted: list[ExerciseData], existing: list[AuthoredExercise],
                    report: ImportReport) -> None:
    current = [(e.kind, e.data) for e in existing]
    target = [(e.kind, e.data) for e in wanted]
    if current == target:
        return
    for exercise in existing:
        db.session.delete(exercise)
    for position, wanted_exercise in enumerate(wanted):
        db.session.add(AuthoredExercise(skill_id=skill.id, kind=wanted_exercise.kind, data=wanted_exercise.data,
                                        position=position))
    if existing or wanted:
        report.changes.append(f"skill {skill.slug}: exercises changed")


def _search_text(item: ItemData) -> str:
    parts = [item.text, *item.alternatives, item.translation, *item.alternative_translations]
    if item.romanisation:
        parts.append(item.romanisation)
    return fold(" | ".join(parts))


# --- Export ------------------------------------------------------------------------------------------

def course_data(course: Course, *, with_refs: bool = False) -> CourseData:
    """The course as file data, ready for :func:`course_format.write_course`; ``with_refs`` keeps each item's
    row id (``ItemData.ref``), as a studio draft does."""
    units = list(db.session.scalars(select(Unit).where(Unit.course_id == course.id).order_by(Unit.position)))
    skills = list(db.session.scalars(select(Skill).where(Skill.course_id == course.id).order_by(Skill.path_position)))
    items = list(db.session.scalars(select(Item).where(Item.course_id == course.id).order_by(Item.position)))
    exercises = list(db.session.scalars(select(AuthoredExercise).join(Skill).where(Skill.course_id == course.id)
                                        .order_by(AuthoredExercise.position)))
    entries = list(db.session.scalars(select(DictionaryEntry).where(DictionaryEntry.course_id == course.id)
                                      .order_by(DictionaryEntry.id)))
    data = CourseData(
        slug=course.slug, title=course.title, description=course.description,
        target_language=course.target_language, target_language_name=course.target_language_name,
        source_language=course.source_language, source_language_name=course.source_language_name,
        licence_name=course.licence_name, licence_short_name=course.licence_short_name,
        licence_link=course.licence_link, repository=course.repository,
        special_characters=list(course.special_characters), version=course.version, settings=dict(course.settings),
    )
    skill_data: dict[int, SkillData] = {}
    for unit in units:
        unit_data = UnitData(slug=unit.slug, title=unit.title)
        data.units.append(unit_data)
        for skill in (s for s in skills if s.unit_id == unit.id):
            skill_data[skill.id] = SkillData(slug=skill.slug, title=skill.title, file_name=skill.file_name,
                                             tips_markdown=skill.tips_markdown, settings=dict(skill.settings))
            unit_data.skills.append(skill_data[skill.id])
    for item in items:
        skill_data[item.skill_id].items.append(ItemData(
            kind=item.kind, text=item.text, translation=item.translation, alternatives=list(item.alternatives),
            alternative_translations=list(item.alternative_translations), romanisation=item.romanisation,
            pronunciation=item.pronunciation, audio=item.audio, images=list(item.images), extra=dict(item.extra),
            image_file=_media_file(item.image_key, data.media), audio_file=_media_file(item.audio_key, data.media),
            ref=item.id if with_refs else None))
    for exercise in exercises:
        skill_data[exercise.skill_id].exercises.append(ExerciseData(kind=exercise.kind, data=dict(exercise.data)))
    for entry in entries:
        skill_data[entry.skill_id].dictionary[entry.language][entry.word] = list(entry.meanings)
    return data


def _media_file(key: str | None, files: dict[str, bytes]) -> str | None:
    """The stored file ``key`` in the folder's media/, read into ``files``; None when there is none (or it is lost)."""
    if not key:
        return None
    name = f"{course_format.MEDIA_FOLDER}/{PurePosixPath(key).name}"
    if name not in files:
        stored = storage().open(key)
        if stored is None:
            return None
        files[name] = stored.data
    return name


def export_course(slug: str, folder: str | Path) -> Path:
    """Write the course with this slug to ``folder``. :raises LookupError: no such course."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise LookupError(f"no course {slug!r}")
    return course_format.write_course(course_data(course), folder)


