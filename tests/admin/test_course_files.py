"""The content studio's course files: an editor exports a course as a zip and imports one (checked first, with
the importer's problems by file and line); both are in the audit log with the editor as actor."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.core.events import Event
from puchi.learning.course_export import course_zip
from puchi.learning.models import Course, Item
from tests.conftest import post_form
from tests.learning.conftest import SPANISH, _seeded


@pytest.fixture
def spanish(app) -> str:
    return _seeded(app, SPANISH)

PAGE = "/admin/courses"


def _upload(client, payload: bytes, mode: str, name: str = "course.zip"):
    return post_form(client, PAGE, {"mode": mode, "archive": (io.BytesIO(payload), name)},
                     action="/admin/courses/import", content_type="multipart/form-data")


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_an_editor_exports_a_course_and_imports_it_back(app, spanish, staff_client):
    editor, user = staff_client("editor")
    page = editor.get(PAGE)
    assert page.status_code == 200 and SPANISH in page.text
    assert 'href="/admin/courses"' in editor.get("/admin/").text

    exported = post_form(editor, PAGE, {}, action=f"/admin/courses/{SPANISH}/export")
    assert exported.status_code == 200
    assert exported.mimetype == "application/zip"
    assert f'filename={SPANISH}.zip' in exported.headers["Content-Disposition"]
    with app.app_context():
        assert exported.data == course_zip(SPANISH)
        item = db.session.scalar(select(Item).where(Item.text == "hola"))
        assert item is not None
        # The exported file, edited: the course on the server changes only when the zip is imported.
        db.session.delete(item)
        db.session.commit()

    checked = _upload(editor, exported.data, "check")
    assert checked.status_code == 200
    assert "Importing updates the course" in checked.text
    with app.app_context():
        assert db.session.scalar(select(Item).where(Item.text == "hola")) is None  # a check imports nothing

    imported = _upload(editor, exported.data, "import")
    assert imported.status_code == 200
    assert f"Course {SPANISH} imported." in imported.text
    with app.app_context():
        assert db.session.scalar(select(Item).where(Item.text == "hola")) is not None
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SPANISH))
        logged = db.session.execute(select(Event.name, Event.actor_id).where(
            Event.subject_type == "course", Event.subject_id == course_id,
            Event.name.in_(("course.exported", "course.imported"))).order_by(Event.id)).all()
    assert [tuple(row) for row in logged][-2:] == [("course.exported", user.id), ("course.imported", user.id)]


def test_problems_in_an_upload_are_shown_with_file_and_line(app, staff_client):
    editor, _ = staff_client("editor")
    payload = _zip({
        "c/course.yaml": (b"Course:\n  Language: {Name: Spanish, IETF BCP 47: es}\n"
                          b"  For speakers of: {Name: English, IETF BCP 47: en}\nModules: [m/]\n"),
        "c/m/module.yaml": b"Module: {Name: M}\nSkills: [s.yaml]\n",
        "c/m/skills/s.yaml": b"Skill: {Name: S}\nNew words:\n  - Word: sol\n",
    })
    for mode in ("check", "import"):
        response = _upload(editor, payload, mode)
        assert response.status_code == 422
        assert "m/skills/s.yaml:3: &#39;sol&#39; has no Translation:" in response.text
        assert "nothing was imported" in response.text
    with app.app_context():
        assert db.session.scalar(select(Course).where(Course.slug == "es-from-en")) is None


def test_bad_uploads_are_a_form_with_a_message_never_an_error(app, staff_client):
    editor, _ = staff_client("editor")
    assert _upload(editor, b"definitely not a zip", "check").status_code == 422
    unsafe = _upload(editor, _zip({"../../etc/cron.d/evil.yaml": b"x"}), "import")
    assert unsafe.status_code == 422 and "cannot be opened safely" in unsafe.text
    bomb = _upload(editor, _zip({"course.yaml": b" " * (3 * 1024 * 1024)}), "import")
    assert bomb.status_code == 422
    empty = post_form(editor, PAGE, {"mode": "import"}, action="/admin/courses/import")
    assert empty.status_code == 422 and "Choose a zip file" in empty.text


def test_support_cannot_import_or_export(spanish, staff_client):
    support, _ = staff_client("support")
    assert support.get(PAGE).status_code == 403
    assert post_form(support, "/admin/", {}, action=f"/admin/courses/{SPANISH}/export").status_code == 403
