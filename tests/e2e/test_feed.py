"""The friends' feed in a browser: cheering an item and nudging a friend swap the button in place, by keyboard."""

from datetime import timedelta

import pytest

from puchi.core.db import now
from puchi.progress.events import AchievementUnlocked, StreakMilestone
from puchi.progress.streaks import local_day
from tests.conftest import wait_until
from tests.e2e.conftest import log_in_on_page
from tests.social.conftest import befriend, happened, set_streak

pytestmark = pytest.mark.e2e


def _nudges_and_cheers(app, user_id):
    from sqlalchemy import select

    from puchi.core.db import db
    from puchi.notifications.models import Notification

    with app.app_context():
        return sorted(db.session.scalars(select(Notification.kind).where(Notification.user_id == user_id,
                                                                         Notification.kind.in_(("cheer", "nudge")))))


def test_cheering_and_nudging_from_the_feed(page, app, make_user):
    ana = make_user("ana@example.com", display_name="Ana Silva")
    ben = make_user("ben@example.com", display_name="Ben Okafor", timezone="America/Los_Angeles")
    befriend(app, ana.id, ben.id)
    happened(app, StreakMilestone(days=30), ben.id)
    set_streak(app, ben.id, 30, local_day(now(), "America/Los_Angeles") - timedelta(days=1))
    log_in_on_page(page, "ana@example.com")

    page.goto("/feed")
    page.get_by_text("reached a 30-day streak!").wait_for()
    cheer = page.get_by_role("button", name="Cheer Ben Okafor")
    cheer.focus()
    page.keyboard.press("Enter")
    done = page.locator(".feed-item .feed-done")
    done.wait_for()
    assert done.inner_text() == "Cheered"
    assert wait_until(lambda: page.evaluate("() => document.activeElement.classList.contains('feed-done')"), 5)

    page.get_by_role("button", name="Nudge Ben Okafor").click()
    page.locator(".person .feed-done").wait_for()
    assert wait_until(lambda: _nudges_and_cheers(app, ben.id) == ["cheer", "nudge"], 5)
    page.reload()
    assert page.get_by_role("button", name="Cheer Ben Okafor").count() == 0  # it stays cheered


def test_load_more_appends_older_items_and_moves_focus_to_the_first_new_one(page, app, make_user):
    ana = make_user("ana@example.com", display_name="Ana Silva")
    ben = make_user("ben@example.com", display_name="Ben Okafor")
    befriend(app, ana.id, ben.id)
    happened(app, StreakMilestone(days=7), ben.id)  # the oldest: on the second page
    for _ in range(20):
        happened(app, AchievementUnlocked(code="xp", tier=1), ben.id)
    log_in_on_page(page, "ana@example.com")

    page.goto("/feed")
    assert page.locator(".feed-item").count() == 20
    page.get_by_role("link", name="Load more").click()
    page.get_by_text("reached a 7-day streak!").wait_for()
    assert page.locator(".feed-item").count() == 21 and page.get_by_role("link", name="Load more").count() == 0
    assert page.url.endswith("/feed")  # appended in place, no navigation
    assert wait_until(lambda: page.evaluate(
        "() => document.activeElement.classList.contains('feed-item') && "
        "document.activeElement.textContent.includes('7-day streak')"), 5)
