"""Offline in Chromium: a downloaded lesson is played with the network cut, then synced once back online."""

import re

import pytest
from sqlalchemy import func, select

from puchi.core.db import db
from puchi.learning.models import LessonSession
from puchi.progress.models import XpEntry
from tests.conftest import wait_until
from tests.e2e.conftest import answer_right_with_the_mouse, download_lessons

pytestmark = pytest.mark.e2e


def _xp_entries(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(XpEntry.id)))
        db.session.remove()
        return count


def _first_offline_lesson(app):
    """The steps and id of the first lesson downloaded."""
    with app.app_context():
        session = db.session.scalar(select(LessonSession).where(LessonSession.status == "offline")
                                    .order_by(LessonSession.id))
        steps, session_id = session.steps, session.id
        db.session.remove()
        return steps, session_id


def test_a_downloaded_lesson_is_played_offline_and_synced_once(page, app, live_server, make_user, spanish):
    downloads = []
    page.on("request", lambda r: downloads.append(r.url) if r.url.endswith("/offline") and r.method == "POST" else None)
    download_lessons(page, make_user, "kai@example.com", "Kai")
    assert len(downloads) == 1
    steps, session_id = _first_offline_lesson(app)

    page.context.set_offline(True)
    try:
        page.goto("/offline/lesson")
        for index, step in enumerate(steps):
            answer_right_with_the_mouse(page, app, index, step)
            assert page.locator(".feedback").get_attribute("class") == "feedback feedback--correct"
            page.locator("[data-continue]").click()
        page.get_by_role("heading", name="Lesson complete!").wait_for()
        assert page.get_by_text("sent when you are back online").is_visible()
        assert _xp_entries(app) == 0  # nothing reached the server while offline
    finally:
        page.context.set_offline(False)

    page.goto("/home")
    assert wait_until(lambda: _xp_entries(app) == 1, timeout=15), "the offline lesson was not synced"
    page.reload()
    page.goto("/home")
    assert not wait_until(lambda: _xp_entries(app) > 1, timeout=3)  # and only once
    with app.app_context():
        assert db.session.get(LessonSession, session_id).status == "completed"


def _attempts(app, session_id) -> int:
    from puchi.learning.models import Attempt

    with app.app_context():
        count = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.session_id == session_id))
        db.session.remove()
        return count


def test_opened_offline_the_lessons_show_at_once_and_the_answers_sync_without_a_reload(
        page, app, live_server, make_user, spanish):
    download_lessons(page, make_user, "ines@example.com", "Inés")
    steps, session_id = _first_offline_lesson(app)

    page.context.set_offline(True)
    try:
        # The course map's link, followed offline (it was a boosted link whose swapped-in player stayed blank).
        page.get_by_role("link", name="Play an offline lesson").click()
        page.wait_for_url(re.compile(r"/offline/lesson$"))
        page.wait_for_selector('form[data-exercise] input[name="step"][value="0"]', state="attached", timeout=15000)
        # The app opened offline (its start page): the downloaded lessons are offered at once.
        page.goto("/home?source=pwa")
        assert page.get_by_role("heading", name="You are offline").is_visible()
        page.get_by_text("2 lessons ready to play offline").wait_for(timeout=15000)
        page.get_by_role("link", name="Play an offline lesson").click()
        page.wait_for_url(re.compile(r"/offline/lesson$"))
        for index, step in enumerate(steps):
            answer_right_with_the_mouse(page, app, index, step)
            page.locator("[data-continue]").click()
        page.get_by_role("heading", name="Lesson complete!").wait_for()
        page.get_by_text("1 finished lesson is waiting to be sent.").wait_for()
        assert _xp_entries(app) == 0
        page.evaluate("() => { window.stillTheSamePage = true; }")
    finally:
        page.context.set_offline(False)

    # Back online: sent from this very page, without a reload or a navigation.
    page.get_by_text("Your offline lessons are saved to your account.").wait_for(timeout=15000)
    assert page.evaluate("() => window.stillTheSamePage === true")
    assert _xp_entries(app) == 1 and _attempts(app, session_id) == len(steps)
    with app.app_context():
        assert db.session.get(LessonSession, session_id).status == "completed"
        db.session.remove()
    # Sent again (another tab, a retried request): the server records nothing twice.
    again = page.evaluate("""async (sessionId) => {
        const token = await new Promise((resolve) => {
          const open = indexedDB.open("puchi-offline");
          open.onsuccess = () => { const r = open.result.transaction("meta").objectStore("meta").get("csrf");
                                   r.onsuccess = () => resolve(r.result); };
        });
        const response = await fetch(`/lessons/${sessionId}/sync`, {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json"},
          body: JSON.stringify({client_id: "replayed", answers: []})});
        return response.status; }""", session_id)
    assert again == 200
    assert _xp_entries(app) == 1 and _attempts(app, session_id) == len(steps)
