"""A cheer or a nudge sent twice at once (a double tap, two tabs) is one cheer or nudge, told once, never a 500,
on SQLite and on PostgreSQL.

Social's own rows decide "already": each cheer and nudge is inserted under its unique key on conflict do nothing,
so the second of two concurrent inserts waits for the first and then finds its row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from puchi.core.db import db
from puchi.notifications.models import Notification
from puchi.progress.events import StreakMilestone
from puchi.social.models import Cheer, Nudge
from tests.conftest import AuthActions, csrf_token
from tests.learning.test_concurrency import _at_once
from tests.social.conftest import befriend, happened, set_streak, username_of

EVENING = datetime(2026, 5, 5, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _evening():
    """Everything happens on one fixed evening: log-ins, streaks and the taps."""
    with time_machine.travel(EVENING, tick=False):
        yield


@pytest.fixture
def ana_tabs_and_ben(app, logged_in):
    """Ana in two tabs (two log-in sessions) and her friend Ben."""
    ana_client, ana = logged_in(email="ana@example.com", display_name="Ana Silva", timezone="UTC")
    _, ben = logged_in(email="ben@example.com", display_name="Ben Okafor", timezone="UTC")
    befriend(app, ana.id, ben.id)
    second = app.test_client()
    assert AuthActions(second).log_in(ana.email).status_code == 302
    return [ana_client, second], ana, ben


def _twice_at_once(tabs, url: str, page: str) -> list[int]:
    tokens = [csrf_token(tab, page) for tab in tabs]
    replies = _at_once([lambda n=n: tabs[n].post(url, data={"csrf_token": tokens[n]}) for n in range(len(tabs))])
    assert not [reply for reply in replies if isinstance(reply, Exception)], replies
    return [reply.status_code for reply in replies]


def _count(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0


def test_two_cheers_on_a_feed_item_at_once_are_one_cheer(app, ana_tabs_and_ben):
    tabs, ana, ben = ana_tabs_and_ben
    item = happened(app, StreakMilestone(days=30), ben.id)

    assert _twice_at_once(tabs, f"/feed/{item}/cheer", "/feed") == [302, 302]
    assert _count(app, Cheer, sender_id=ana.id, event_id=item) == 1
    assert _count(app, Notification, user_id=ben.id, kind="cheer") == 1


def test_two_profile_cheers_in_the_same_hour_at_once_are_one_cheer(app, ana_tabs_and_ben):
    tabs, ana, ben = ana_tabs_and_ben
    username = username_of(app, ben.id)

    assert _twice_at_once(tabs, f"/u/{username}/cheer", f"/u/{username}") == [302, 302]
    assert _count(app, Cheer, sender_id=ana.id, recipient_id=ben.id) == 1
    assert _count(app, Notification, user_id=ben.id, kind="cheer") == 1


def test_two_nudges_at_once_are_one_nudge(app, ana_tabs_and_ben):
    tabs, ana, ben = ana_tabs_and_ben
    username = username_of(app, ben.id)
    set_streak(app, ben.id, 12, date(2026, 5, 4))  # practised yesterday: today's streak is at risk

    assert _twice_at_once(tabs, f"/u/{username}/nudge", f"/u/{username}") == [302, 302]
    assert _count(app, Nudge, sender_id=ana.id, recipient_id=ben.id) == 1
    assert _count(app, Notification, user_id=ben.id, kind="nudge") == 1
