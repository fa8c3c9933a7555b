"""Courses out of the database and back: export → import gives the same course, exports repeat byte for byte,
and uploaded zips are read safely."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.learning.course_export import UnsafeArchive, course_files, course_zip, read_zip, zip_files
from puchi.learning.course_format import CourseFormatError, read_course
from puchi.learning.course_import import import_course
from puchi.learning.models import AuthoredExercise, Course, DictionaryEntry, Item, Skill, Unit
from tests.learning.conftest import BUNDLED, JAPANESE, LIBRELINGO, SPANISH


def dump(slug: str) -> dict[str, Any]:
    """The course as plain data, ids left out: what must survive export → import."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    assert course is not None
    units = db.session.scalars(select(Unit).where(Unit.course_id == course.id).order_by(Unit.position)).all()
    skills = db.session.scalars(select(Skill).where(Skill.course_id == course.id)
                                .order_by(Skill.path_position)).all()
    slug_of = {s.id: s.slug for s in skills}
    unit_of = {u.id: u.slug for u in units}
    items = db.session.scalars(select(Item).where(Item.course_id == course.id)
                               .order_by(Item.skill_id, Item.position)).all()
    exercises = db.session.scalars(select(AuthoredExercise).join(Skill).where(Skill.course_id == course.id)
                                   .order_by(Skill.path_position, AuthoredExercise.position)).all()
    entries = db.session.scalars(select(DictionaryEntry).where(DictionaryEntry.course_id == course.id)).all()
    return {
        "course": {name: getattr(course, name) for name in (
            "slug", "title", "description", "target_language", "target_language_name", "source_language",
            "source_language_name", "licence_name", "licence_short_name", "licence_link", "repository",
            "special_characters", "version", "settings")},
        "units": [(u.slug, u.title, u.position) for u in units],
        "skills": [(unit_of[s.unit_id], s.slug, s.title, s.file_name, s.tips_markdown, s.position, s.path_position,
                    s.item_count, s.settings) for s in skills],
        "items": [(slug_of[i.skill_id], i.kind, i.text, i.translation, i.alternatives, i.alternative_translations,
                   i.romanisation, i.pronunciation, i.audio, i.images, i.extra, i.position, i.search_text)
                  for i in items],
        "exercises": [(slug_of[e.skill_id], e.kind, e.data, e.position) for e in exercises],
        "dictionary": sorted((slug_of[e.skill_id], e.language, e.word, e.meanings) for e in entries),
    }


def _delete_course(slug: str) -> None:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    db.session.delete(course)
    db.session.commit()


@pytest.mark.parametrize("folder", [BUNDLED / SPANISH, BUNDLED / JAPANESE, LIBRELINGO],
                         ids=["spanish", "japanese", "librelingo"])
def test_export_then_import_into_an_empty_database_gives_the_same_course(app, folder):
    with app.app_context():
        slug = import_course(read_course(folder)).course_slug
        before = dump(slug)
        first = course_zip(slug)
        assert course_zip(slug) == first  # exporting twice: the same bytes
        files = course_files(slug)
        assert "course.yaml" in files and any(name.endswith("/module.yaml") for name in files)
        _delete_course(slug)
        assert db.session.scalar(select(Course).where(Course.slug == slug)) is None

        report = import_course(read_zip(first))
        assert report.created and report.course_slug == slug
        assert dump(slug) == before
        assert course_zip(slug) == first  # and the re-imported course exports to the same bytes
        again = import_course(read_zip(first))
        assert not again.changed


def test_zip_files_are_reproducible_and_sorted():
    one = zip_files({"b.yaml": b"b", "a.yaml": b"a"}, "top")
    two = zip_files({"a.yaml": b"a", "b.yaml": b"b"}, "top")
    assert one == two
    assert zipfile.ZipFile(io.BytesIO(one)).namelist() == ["top/a.yaml", "top/b.yaml"]


def _zip(entries: dict[str, bytes], **options: Any) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _messages(error: CourseFormatError) -> list[str]:
    return [str(problem) for problem in error.problems]


@pytest.mark.parametrize("name", ["../evil.yaml", "/etc/evil.yaml", "a/../../evil.yaml", "C:/evil.yaml"])
def test_names_outside_the_folder_are_refused(name):
    with pytest.raises(UnsafeArchive) as refused:
        read_zip(_zip({"course.yaml": b"Course: {}\n", name: b"x"}))
    assert any("outside the course folder" in m for m in _messages(refused.value))


def test_a_link_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("course.yaml")
        info.external_attr = (0o120777) << 16  # a symbolic link to /etc/passwd
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchive) as refused:
        read_zip(buffer.getvalue())
    assert _messages(refused.value) == ["course.yaml: not a regular file (a link or a device)"]


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    with pytest.raises(UnsafeArchive) as refused:
        read_zip(_zip({"course.yaml": b"\0" * (3 * 1024 * 1024)}))
    assert "course.yaml: this file is too large" in _messages(refused.value)
    with pytest.raises(UnsafeArchive) as refused:
        read_zip(_zip({"course.yaml": b" " * (1024 * 1024)}))
    assert "inflates too much" in _messages(refused.value)[0]


def test_only_course_files_are_taken():
    with pytest.raises(UnsafeArchive) as refused:
        read_zip(_zip({"course.yaml": b"x", "run.sh": b"rm -rf /"}))
    assert _messages(refused.value) == ["run.sh: a course folder holds only .yaml and .md files"]
    with pytest.raises(UnsafeArchive):
        read_zip(b"not a zip at all")
    with pytest.raises(UnsafeArchive):
        read_zip(_zip({".git/config": b"x"}))


def test_problems_in_the_files_come_with_file_and_line():
    with pytest.raises(CourseFormatError) as refused:
        read_zip(_zip({
            "c/course.yaml": (b"Course:\n  Language: {Name: Spanish, IETF BCP 47: es}\n"
                              b"  For speakers of: {Name: English, IETF BCP 47: en}\nModules: [m/, gone/]\n"),
            "c/m/module.yaml": b"Module: {Name: M}\nSkills: [s.yaml]\n",
            "c/m/skills/s.yaml": b"Skill: {Name: S}\nNew words:\n  - Word: sol\n",
        }))
    assert not isinstance(refused.value, UnsafeArchive)
    messages = _messages(refused.value)
    assert "m/skills/s.yaml:3: 'sol' has no Translation:" in messages
    assert any(m.startswith("course.yaml:4: unknown module 'gone/'") for m in messages)
