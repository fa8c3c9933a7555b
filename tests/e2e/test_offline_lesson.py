"""Offline in Chromium: a downloaded lesson is played with the network cut, then synced once back online."""

import re

import pytest
from sqlalchemy import func, select

from puchi.core.db import db
from puchi.learning.models import LessonSession
from puchi.progress.models import XpEntry
from tests.conftest import wait_until
from tests.e2e.conftest import answer_right_with_the_mouse, log_in_on_page

pytestmark = pytest.mark.e2e


def _xp_entries(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(XpEntry.id)))
        db.session.remove()
        return count


def test_a_downloaded_lesson_is_played_offline_and_synced_once(page, app, live_server, make_user, spanish):
    make_user("kai@example.com", display_name="Kai")
    log_in_on_page(page, "kai@example.com")
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    page.reload()  # now controlled by the service worker, which precached the offline player
    assert wait_until(lambda: page.evaluate("() => !!navigator.serviceWorker.controller"), timeout=10)

    downloads = []
    page.on("request", lambda r: downloads.append(r.url) if r.url.endswith("/offline") and r.method == "POST" else None)
    page.get_by_role("button", name="Download lessons for offline").click()
    page.get_by_text("2 lessons ready to play offline").wait_for()
    assert len(downloads) == 1
    with app.app_context():
        session = db.session.scalar(select(LessonSession).where(LessonSession.status == "offline")
                                    .order_by(LessonSession.id))
        steps, session_id = session.steps, session.id
        db.session.remove()

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
