"""Nudges: a friend whose streak ends at *their* midnight can be nudged, once a day each, ten a day at most."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from puchi.core.db import db
from puchi.notifications.models import Notification
from puchi.social.nudges import DAILY_NUDGES, streak_at_risk
from tests.conftest import csrf_token, post_form
from tests.social.conftest import befriend, set_streak, set_visibility, username_of

# 2026-05-05 10:00 UTC is 22:00 on the 5th in Auckland (NZST, +12) and 03:00 on the 5th in Los Angeles (PDT, -7).
EVENING_IN_AUCKLAND = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
# Two hours later it is already the 6th in Auckland, still the 5th in Los Angeles.
AFTER_AUCKLAND_MIDNIGHT = datetime(2026, 5, 5, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(("timezone", "last_active", "at", "risky"), [
    ("Pacific/Auckland", date(2026, 5, 4), EVENING_IN_AUCKLAND, True),  # their yesterday: ends at midnight
    ("Pacific/Auckland", date(2026, 5, 5), EVENING_IN_AUCKLAND, False),  # practised today already
    ("Pacific/Auckland", date(2026, 5, 4), AFTER_AUCKLAND_MIDNIGHT, False),  # the 4th is two days ago: lapsed
    ("Pacific/Auckland", date(2026, 5, 5), AFTER_AUCKLAND_MIDNIGHT, True),  # the 5th became yesterday
    ("America/Los_Angeles", date(2026, 5, 4), EVENING_IN_AUCKLAND, True),
    ("America/Los_Angeles", date(2026, 5, 4), AFTER_AUCKLAND_MIDNIGHT, True),  # still the 5th there
    ("America/Los_Angeles", date(2026, 5, 5), AFTER_AUCKLAND_MIDNIGHT, False),
    ("Not/A_Zone", date(2026, 5, 4), EVENING_IN_AUCKLAND, True),  # a broken zone counts as UTC
])
def test_a_streak_is_at_risk_when_the_last_day_was_yesterday_in_the_friends_own_calendar(
        timezone, last_active, at, risky):
    assert streak_at_risk(12, last_active, timezone, at) is risky


def test_no_streak_is_never_at_risk():
    assert not streak_at_risk(0, date(2026, 5, 4), "UTC", EVENING_IN_AUCKLAND)
    assert not streak_at_risk(3, None, "UTC", EVENING_IN_AUCKLAND)


@pytest.fixture
def ana(app, logged_in):
    with time_machine.travel(EVENING_IN_AUCKLAND, tick=False):
        return logged_in(email="ana@example.com", display_name="Ana Silva", timezone="Asia/Tokyo")


@pytest.fixture
def friend(app, ana, logged_in):
    """Factory: a friend of Ana's in ``timezone`` with a streak of ``days`` last kept on ``last_active``."""
    def make(name="Ben Okafor", timezone="America/Los_Angeles", days=12, last_active=date(2026, 5, 4)):
        with time_machine.travel(EVENING_IN_AUCKLAND, tick=False):
            client, user = logged_in(display_name=name, timezone=timezone)
        befriend(app, ana[1].id, user.id)
        set_streak(app, user.id, days, last_active)
        return client, user, username_of(app, user.id)
    return make


def _nudge(client, username, at=EVENING_IN_AUCKLAND, **kwargs):
    with time_machine.travel(at, tick=False):
        token = csrf_token(client, "/people")
        return client.post(f"/u/{username}/nudge", data={"csrf_token": token}, **kwargs)


def _nudges_to(app, user_id):
    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                             Notification.kind == "nudge")).all()


def test_nudging_a_friend_at_risk_tells_them_who_and_how_long_their_streak_is(app, ana, friend):
    ana_client, _ = ana
    ben_client, ben, ben_name = friend()

    sent = _nudge(ana_client, ben_name, follow_redirects=True)
    assert "Nudge sent!" in sent.text

    [notification] = _nudges_to(app, ben.id)
    assert notification.data == {"name": "Ana Silva", "username": username_of(app, ana[1].id), "days": 12}
    with time_machine.travel(EVENING_IN_AUCKLAND, tick=False):
        centre = " ".join(ben_client.get("/notifications").text.split())
    assert "Ana Silva</a> nudged you: your 12-day streak ends at midnight." in centre


def test_a_friend_is_nudged_once_per_their_day(app, ana, friend):
    ana_client, _ = ana
    _, kiri, kiri_name = friend("Kiri Ngata", "Pacific/Auckland", days=30, last_active=date(2026, 5, 4))

    assert "Nudge sent!" in _nudge(ana_client, kiri_name, follow_redirects=True).text
    again = _nudge(ana_client, kiri_name, follow_redirects=True)
    assert "You already nudged them today." in again.text
    assert len(_nudges_to(app, kiri.id)) == 1

    # Kiri practised before her midnight; after it, the 5th is her yesterday and her new day is at risk.
    set_streak(app, kiri.id, 31, date(2026, 5, 5))
    assert "Nudge sent!" in _nudge(ana_client, kiri_name, at=AFTER_AUCKLAND_MIDNIGHT, follow_redirects=True).text
    assert [n.data["days"] for n in _nudges_to(app, kiri.id)] == [30, 31]


def test_a_friend_who_practised_today_needs_no_nudge(app, ana, friend, htmx):
    ana_client, _ = ana
    _, ben, ben_name = friend(last_active=date(2026, 5, 5))

    plain = _nudge(ana_client, ben_name, follow_redirects=True)
    assert "No need: Ben Okafor has practised today or has no streak to keep." in plain.text
    fragment = _nudge(ana_client, ben_name, headers={"HX-Request": "true"})
    assert fragment.status_code == 409 and 'role="alert"' in fragment.text and "<html" not in fragment.text
    assert _nudges_to(app, ben.id) == []


def test_only_friends_can_be_nudged(app, ana, logged_in, friend):
    ana_client, ana_user = ana
    stranger_client, stranger = logged_in(display_name="Carl")
    set_streak(app, stranger.id, 5, date(2026, 5, 4))
    stranger_name = username_of(app, stranger.id)

    refused = _nudge(ana_client, stranger_name)
    assert refused.status_code == 403 and "You can nudge your friends" in refused.text
    assert _nudge(ana_client, "nobody_here").status_code == 404
    assert _nudge(ana_client, username_of(app, ana_user.id)).status_code == 403  # yourself
    _, private, private_name = friend("Pia Private")
    set_visibility(app, private.id, "private")
    assert _nudge(ana_client, private_name).status_code == 403
    assert _nudges_to(app, stranger.id) == [] and _nudges_to(app, private.id) == []


def test_ten_nudges_a_day_at_most(app, ana, friend):
    ana_client, _ = ana
    names = [friend(f"Friend {n}")[2] for n in range(DAILY_NUDGES + 1)]
    for name in names[:DAILY_NUDGES]:
        assert _nudge(ana_client, name).status_code == 302
    refused = _nudge(ana_client, names[-1], headers={"HX-Request": "true"})
    assert refused.status_code == 429 and "You have sent 10 nudges today." in refused.text
    plain = _nudge(ana_client, names[-1], follow_redirects=True)
    assert "You can nudge again tomorrow." in plain.text
    next_day = datetime(2026, 5, 5, 15, 30, tzinfo=UTC)  # Ana's next day in Tokyo; still the 5th in Los Angeles
    assert _nudge(ana_client, names[-1], at=next_day).status_code == 302


def test_the_feed_lists_friends_at_risk_with_a_nudge_button_that_becomes_nudged(app, ana, friend):
    ana_client, _ = ana
    friend("Ben Okafor", "America/Los_Angeles", days=12, last_active=date(2026, 5, 4))
    friend("Sam Safe", "America/Los_Angeles", days=40, last_active=date(2026, 5, 5))
    _, _, kiri_name = friend("Kiri Ngata", "Pacific/Auckland", days=3, last_active=date(2026, 5, 4))

    with time_machine.travel(EVENING_IN_AUCKLAND, tick=False):
        page = " ".join(ana_client.get("/feed").text.split())
    strip = page.split('id="at-risk-title"')[1].split("</section>")[0]
    assert "Ben Okafor" in strip and "12-day streak" in strip and "Kiri Ngata" in strip
    assert "Sam Safe" not in strip
    assert strip.index("Ben Okafor") < strip.index("Kiri Ngata")  # longest streak first

    response = _nudge(ana_client, kiri_name, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Nudged" in response.text and "autofocus" in response.text
    with time_machine.travel(EVENING_IN_AUCKLAND, tick=False):
        page = ana_client.get("/feed").text
    assert f'id="nudge-{kiri_name}" class="feed-done"' in page


def test_a_friends_profile_offers_the_nudge_while_their_streak_is_at_risk(app, logged_in, make_user):
    with time_machine.travel(datetime(2026, 6, 2, 12, 0, tzinfo=UTC), tick=False):
        client, me = logged_in()
        friend = make_user("fern@example.com", display_name="Fern", timezone="UTC")
        befriend(app, me.id, friend.id)
        username = username_of(app, friend.id)
        set_streak(app, friend.id, 9, date(2026, 6, 1))  # practised yesterday, not yet today
        page = client.get(f"/u/{username}").text
        assert f'action="/u/{username}/nudge"' in page
        assert post_form(client, f"/u/{username}", {}, action=f"/u/{username}/nudge").status_code == 302
        assert "Nudged" in client.get(f"/u/{username}").text

        set_streak(app, friend.id, 10, date(2026, 6, 2))  # now they practised today
        assert f'action="/u/{username}/nudge"' not in client.get(f"/u/{username}").text
