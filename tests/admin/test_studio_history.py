"""The content studio's edit history: every edit is kept (the last fifty) with its editor, time and summary;
Undo takes back the latest and Restore puts the draft back as it was before a chosen edit, each one action,
recorded with the editor; an editor acting on a draft that changed since they looked at it gets a 409."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.errors import Conflict, Forbidden
from puchi.core.events import Event
from puchi.learning import drafts, studio
from puchi.learning.models import Course, CourseDraft, CourseDraftRevision
from tests.conftest import CSRF_RE, HtmxClient, post_form
from tests.learning.conftest import spanish  # noqa: F401 - the studio needs a course

PHRASE = "¡Hola! ¿Qué tal?"
STAMP_RE = re.compile(r'name="stamp" value="([^"]*)"')


@pytest.fixture
def editor(app, staff_client, spanish):  # noqa: F811 - the fixture
    client, user = staff_client("editor", display_name="Eva Editor")
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == spanish))
    return client, user, course_id


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _phrase_index(page: str) -> int:
    match = re.search(r'<li id="item-(\d+)"[^>]*>(?:(?!</li>).)*?' + re.escape(PHRASE), page, re.S)
    assert match, "the phrase is not on the page"
    return int(match.group(1))


def _skill_titles(app, course_id: int) -> list[str]:
    with app.app_context():
        data, _ = drafts.working_copy(db.session.get(Course, course_id))
        return [skill.title for unit in data.units for skill in unit.skills]


def test_undo_takes_back_the_latest_edit_and_restore_goes_back_further(app, editor):
    _, eva, course_id = editor
    with app.app_context():
        me = _user(eva.id)
        original = [s.title for u in studio.studio_course(me, course_id).data.units for s in u.skills]
        studio.add_unit(me, course_id, "Travel")
        studio.save_skill(me, course_id, "greetings", "Hellos", "")
        state = studio.studio_course(me, course_id)
        assert state.last_edit is not None and state.last_edit.change == "skill.saved"
        history = studio.draft_history(me, course_id)
        assert [(r.change, r.summary, r.editor) for r in history.revisions] == [
            ("skill.saved", "greetings", "Eva Editor"), ("unit.added", "Travel", "Eva Editor")]

        undone = studio.undo_edit(me, course_id, state.stamp)
        assert undone.change == "skill.saved"
    titles = _skill_titles(app, course_id)
    assert titles == original
    with app.app_context():
        me = _user(eva.id)
        history = studio.draft_history(me, course_id)
        assert [r.change for r in history.revisions] == ["unit.added"]
        studio.restore_revision(me, course_id, history.revisions[0].id, history.stamp)
        data = studio.studio_course(me, course_id).data
        assert "Travel" not in [u.title for u in data.units]
        history = studio.draft_history(me, course_id)
        assert [r.change for r in history.revisions] == ["draft.restored", "unit.added"]
        studio.undo_edit(me, course_id, history.stamp)  # the restore itself can be undone
        assert "Travel" in [u.title for u in studio.studio_course(me, course_id).data.units]
        changes = list(db.session.scalars(select(Event.payload["change"].as_string()).where(
            Event.name == "course.draft_edited", Event.actor_id == eva.id).order_by(Event.id)))
        assert changes == ["unit.added", "skill.saved", "draft.undone", "draft.restored", "draft.undone"]


def test_a_stale_undo_is_refused_and_only_editors_may_undo(app, editor, staff_client):
    _, eva, course_id = editor
    _, support = staff_client("support")
    with app.app_context():
        me = _user(eva.id)
        studio.add_unit(me, course_id, "Travel")
        stamp = studio.studio_course(me, course_id).stamp
        studio.add_unit(me, course_id, "Food")  # someone edits after the page was shown
        with pytest.raises(Conflict) as refused:
            studio.undo_edit(me, course_id, stamp)
        assert refused.value.code == "draft_changed"
        with pytest.raises(Forbidden):
            studio.undo_edit(_user(support.id), course_id, studio.studio_course(me, course_id).stamp)
        with pytest.raises(Forbidden):
            studio.draft_history(_user(support.id), course_id)
        units = [u.title for u in studio.studio_course(me, course_id).data.units]
        assert units[-2:] == ["Travel", "Food"]  # nothing was undone


def test_two_editors_undoing_at_once_take_back_one_edit(app, editor, staff_client):
    _, eva, course_id = editor
    _, other = staff_client("admin", email="otto@staff.example.com")
    with app.app_context():
        me = _user(eva.id)
        studio.add_unit(me, course_id, "Travel")
        studio.add_unit(me, course_id, "Food")
        stamp = studio.studio_course(me, course_id).stamp
    results: list[str] = []
    start = threading.Barrier(2)

    def undo(user_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                studio.undo_edit(_user(user_id), course_id, stamp)
                results.append("undone")
            except Conflict:
                results.append("conflict")

    threads = [threading.Thread(target=undo, args=(user_id,)) for user_id in (eva.id, other.id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["conflict", "undone"]
    with app.app_context():
        units = [u.title for u in studio.studio_course(_user(eva.id), course_id).data.units]
        assert "Travel" in units and "Food" not in units
        assert db.session.scalar(select(func.count(CourseDraftRevision.id))) == 1


def test_the_history_keeps_the_last_fifty_edits(app, editor):
    _, eva, course_id = editor
    with app.app_context():
        me = _user(eva.id)
        for n in range(studio.HISTORY_SIZE + 3):
            studio.save_course(me, course_id, f"Spanish {n}", "")
        history = studio.draft_history(me, course_id)
        assert len(history.revisions) == studio.HISTORY_SIZE
        assert history.revisions[0].summary == f"Spanish {studio.HISTORY_SIZE + 2}"
        assert history.revisions[-1].summary == "Spanish 3"
        studio.discard_draft(me, course_id)  # the history goes with its draft
        assert db.session.scalar(select(func.count(CourseDraftRevision.id))) == 0
        assert db.session.scalar(select(func.count(CourseDraft.id))) == 0


def test_edit_then_undo_over_htmx_shows_the_old_value(app, editor):
    client, _, course_id = editor
    skill_url = f"/admin/studio/{course_id}/skills/greetings"
    page = client.get(skill_url).text
    index = _phrase_index(page)
    token = CSRF_RE.search(page).group(1)
    hx = HtmxClient(client)
    saved = hx.post(f"{skill_url}/items/{index}", data={
        "csrf_token": token, "text": "¡Hola! ¿Qué tal hoy?", "translation": "Hi! How are you today?"})
    assert saved.status_code == 200 and "¡Hola! ¿Qué tal hoy?" in saved.text
    # the draft bar comes along out of band, with Undo and the stamp of the draft as it is now
    assert 'id="draft-bar" hx-swap-oob="true"' in saved.text and f'/admin/studio/{course_id}/undo' in saved.text
    stamp = STAMP_RE.search(saved.text).group(1)

    undone = hx.post(f"/admin/studio/{course_id}/undo", data={"csrf_token": token, "stamp": stamp,
                                                             "next": skill_url})
    assert undone.status_code == 302 and undone.headers["Location"] == skill_url
    row = hx.get(f"{skill_url}/items/{index}?edit=1")
    assert f'value="{PHRASE}"' in row.text and "Qué tal hoy" not in row.text
    after = client.get(skill_url).text
    assert "Undone: Word or phrase edited" in after and PHRASE in after

    again = hx.post(f"/admin/studio/{course_id}/undo", data={"csrf_token": token, "stamp": stamp})
    assert again.status_code == 409 and "The draft changed since you looked at it" in again.text


def test_the_history_page_lists_edits_and_restores_one(app, editor):
    client, _, course_id = editor
    post_form(client, f"/admin/studio/{course_id}", {"title": "Travel"}, action=f"/admin/studio/{course_id}/units")
    post_form(client, f"/admin/studio/{course_id}", {"title": "Food"}, action=f"/admin/studio/{course_id}/units")
    page = client.get(f"/admin/studio/{course_id}")
    assert f'href="/admin/studio/{course_id}/history"' in page.text
    history = client.get(f"/admin/studio/{course_id}/history")
    assert history.status_code == 200
    assert history.text.index("Food") < history.text.index("Travel") and "Eva Editor" in history.text
    assert "Unit added" in history.text
    with app.app_context():
        travel = db.session.scalar(select(CourseDraftRevision.id).where(CourseDraftRevision.summary == "Travel"))
    restored = post_form(client, f"/admin/studio/{course_id}/history",
                         {"stamp": STAMP_RE.search(history.text).group(1)},
                         action=f"/admin/studio/{course_id}/history/{travel}/restore")
    assert restored.status_code == 302
    course_page = client.get(f"/admin/studio/{course_id}").text
    assert 'value="Travel"' not in course_page and 'value="Food"' not in course_page
    missing = post_form(client, f"/admin/studio/{course_id}/history",
                        {"stamp": STAMP_RE.search(client.get(f"/admin/studio/{course_id}/history").text).group(1)},
                        action=f"/admin/studio/{course_id}/history/999999/restore")
    assert missing.status_code == 404
