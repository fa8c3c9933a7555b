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
    assert _messages(refused.value) == [
        "run.sh: a course folder holds only .yaml and .md files (and pictures and recordings in media/)"]
    with pytest.raises(UnsafeArchive):
        read_zip(_zip({"course.yaml": b"x", "skills/evil.png": b"x"}))  # pictures only in media/
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


def test_pictures_and_recordings_travel_in_the_folder(app):
    from PIL import Image

    from puchi.core.db import action
    from puchi.core.storage import storage
    from puchi.learning.media import media_key

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 90, 200)).save(buffer, "PNG")
    picture, recording = buffer.getvalue(), b"OggS" + b"\x00" * 60
    with app.app_context():
        import_course(read_course(BUNDLED / SPANISH))
        with action():
            item = db.session.scalar(select(Item).where(Item.text == "hola"))
            item.image_key = media_key(item.id, "image", picture, "png")
            item.audio_key = media_key(item.id, "audio", recording, "ogg")
            storage().put(item.image_key, picture, "image/png")
            storage().put(item.audio_key, recording, "audio/ogg")
        files = course_files(SPANISH)
        media_files = {name: content for name, content in files.items() if name.startswith("media/")}
        assert sorted(media_files.values()) == sorted([picture, recording])
        skill_file = next(content for name, content in files.items() if b"Word: hola" in content)
        assert b"Image file: media/image-" in skill_file and b"Audio file: media/audio-" in skill_file

        first = course_zip(SPANISH)
        before = dump(SPANISH)
        old_keys = db.session.execute(select(Item.image_key, Item.audio_key).where(Item.text == "hola")).one()
        _delete_course(SPANISH)
        for key in old_keys:
            storage().delete(key)

        import_course(read_zip(first))
        item = db.session.scalar(select(Item).where(Item.text == "hola"))
        assert item.image_key and item.audio_key
        assert storage().open(item.image_key).data == picture
        assert storage().open(item.audio_key).data == recording
        assert course_zip(SPANISH) == first
        after = dump(SPANISH)
    assert after["items"] == before["items"] and after["skills"] == before["skills"]


def test_a_media_file_named_but_missing_is_a_problem_on_its_line():
    with pytest.raises(CourseFormatError) as refused:
        read_zip(_zip({
            "course.yaml": (b"Course:\n  Language: {Name: Spanish, IETF BCP 47: es}\n"
                            b"  For speakers of: {Name: English, IETF BCP 47: en}\nModules: [m/]\n"),
            "m/module.yaml": b"Module: {Name: M}\nSkills: [s.yaml]\n",
            "m/skills/s.yaml": (b"Skill: {Name: S}\nNew words:\n  - Word: sol\n    Translation: sun\n"
                                b"    Image file: media/sol.png\n  - Word: luna\n    Translation: moon\n"
                                b"    Audio file: ../../etc/passwd\n"),
        }))
    assert _messages(refused.value) == [
        "m/skills/s.yaml:3: media/sol.png does not exist",
        "m/skills/s.yaml:6: '../../etc/passwd' must be a file in media/ (lower-case letters, digits, . _ -)",
    ]
