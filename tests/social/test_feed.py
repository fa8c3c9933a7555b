"""Friends' activity feed: friends' streak milestones, achievements and promotions, newest first, and cheers on them."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.notifications.models import Notification
from puchi.progress.events import AchievementUnlocked, GoalReached, StreakMilestone
from puchi.social import feed, services
from tests.conftest import csrf_token
from tests.learning.test_query_counts import counting_queries
from tests.social.conftest import (
    befriend,
    follow,
    happened,
    promotion,
    set_streak,
    set_visibility,
    username_of,
)


@pytest.fixture
def ana_and_ben(app, logged_in):
    """Ana (signed in) and her friend Ben."""
    ana_client, ana = logged_in(email="ana@example.com", display_name="Ana Silva")
    ben_client, ben = logged_in(email="ben@example.com", display_name="Ben Okafor")
    befriend(app, ana.id, ben.id)
    return ana_client, ana, ben_client, ben


def _feed_text(client, url="/feed") -> str:
    page = client.get(url)
    assert page.status_code == 200
    return " ".join(page.text.split())  # one line, so phrases across template line breaks match


def _cheers_for(app, user_id):
    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                             Notification.kind == "cheer")).all()


def _cheer(client, event_id, **kwargs):
    return client.post(f"/feed/{event_id}/cheer", data={"csrf_token": csrf_token(client, "/feed")}, **kwargs)


# --- What is in it ------------------------------------------------------------------------------------------

def test_the_feed_shows_a_friends_milestones_achievements_and_promotions_newest_first(app, ana_and_ben):
    ana_client, _, _, ben = ana_and_ben
    happened(app, StreakMilestone(days=30), ben.id)
    happened(app, AchievementUnlocked(code="streak", tier=2), ben.id)
    happened(app, promotion(to_tier=3), ben.id)

    text = _feed_text(ana_client)
    promoted = text.index("Ben Okafor</a> moved up to the Gold league!")
    achievement = text.index("Ben Okafor</a> unlocked the achievement “On fire”, level 2.")
    streak = text.index("Ben Okafor</a> reached a 30-day streak!")
    assert promoted < achievement < streak
    assert text.count('class="feed-item"') == 3


def test_strangers_one_way_follows_blocked_people_private_profiles_and_other_events_stay_out(
        app, ana_and_ben, make_user):
    ana_client, ana, _, ben = ana_and_ben
    stranger = make_user(display_name="Carl Stranger")
    i_follow = make_user(display_name="Dana Followed")
    follows_me = make_user(display_name="Eve Follower")
    blocked = make_user(display_name="Finn Blocked")
    private = make_user(display_name="Gina Private")
    follow(app, ana.id, i_follow.id)
    follow(app, follows_me.id, ana.id)
    befriend(app, ana.id, blocked.id)
    befriend(app, ana.id, private.id)
    with app.app_context():
        services.block(db.session.get(User, blocked.id), username_of(app, ana.id))
    set_visibility(app, private.id, "private")
    for person in (stranger, i_follow, follows_me, blocked, private, ana):
        happened(app, StreakMilestone(days=7), person.id)
    happened(app, GoalReached(date=date(2026, 5, 4), goal=20), ben.id)  # not a feed kind
    happened(app, StreakMilestone(days=14), ben.id)

    text = _feed_text(ana_client)
    assert "Ben Okafor</a> reached a 14-day streak!" in text
    assert text.count('class="feed-item"') == 1
    for name in ("Carl", "Dana", "Eve", "Finn", "Gina"):
        assert f"{name} " not in text.split('id="feed-title"')[1]


def test_a_friends_only_profile_still_shares_with_friends(app, ana_and_ben):
    ana_client, _, _, ben = ana_and_ben
    set_visibility(app, ben.id, "friends")
    happened(app, StreakMilestone(days=50), ben.id)
    assert "reached a 50-day streak!" in _feed_text(ana_client)


def test_with_no_friends_news_the_page_points_to_finding_people(app, logged_in):
    client, _ = logged_in()
    text = _feed_text(client)
    assert "No news from friends yet." in text
    assert 'href="/people"' in text and "Find people to follow" in text


def test_the_people_page_links_to_the_feed(app, logged_in):
    client, _ = logged_in()
    assert 'href="/feed"' in client.get("/people").text


# --- Pages --------------------------------------------------------------------------------------------------

def test_load_more_pages_by_event_id_without_gaps_or_repeats(app, ana_and_ben, htmx):
    ana_client, ana, _, ben = ana_and_ben
    ids = [happened(app, StreakMilestone(days=7), ben.id) for _ in range(25)]

    with app.app_context():
        viewer = db.session.get(User, ana.id)
        first = feed.feed_for(viewer)
        second = feed.feed_for(viewer, before_id=first.next_before)
    assert [i.event_id for i in first.items] == ids[::-1][:20]
    assert [i.event_id for i in second.items] == ids[::-1][20:] and second.next_before is None

    page = ana_client.get("/feed").text
    assert page.count('class="feed-item"') == 20
    more = re.search(r'id="feed_more".*?href="(/feed\?before=\d+)"', page, re.S)
    assert more, "a Load more link"
    fragment = ana_client.get(more.group(1), headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and fragment.text.count('class="feed-item"') == 5
    assert 'id="feed_more"' not in fragment.text  # the last page
    assert "autofocus" in fragment.text  # keyboard focus lands on the first new item
    plain = ana_client.get(more.group(1))  # without JavaScript: a whole page of older items
    assert "<html" in plain.text and plain.text.count('class="feed-item"') == 5


def test_a_nonsense_page_cursor_is_just_an_empty_page(app, ana_and_ben):
    ana_client, *_ = ana_and_ben
    for cursor in ("abc", "-5", "0", "99999999999", "9" * 30):
        assert ana_client.get(f"/feed?before={cursor}").status_code == 200
    assert _cheer(ana_client, int("9" * 30)).status_code == 404


# --- Cheers -------------------------------------------------------------------------------------------------

def test_cheering_an_item_notifies_the_friend_once(app, ana_and_ben):
    ana_client, ana, ben_client, ben = ana_and_ben
    item = happened(app, StreakMilestone(days=30), ben.id)

    sent = _cheer(ana_client, item, headers={"HX-Request": "true"})
    assert sent.status_code == 200 and "Cheered" in sent.text and "<form" not in sent.text
    again = _cheer(ana_client, item, follow_redirects=True)
    assert "You already cheered this." in again.text

    cheers = _cheers_for(app, ben.id)
    assert len(cheers) == 1 and cheers[0].data["name"] == "Ana Silva"
    assert "cheered you on!" in ben_client.get("/notifications").text
    assert f'id="cheer-{item}" class="feed-done"' in ana_client.get("/feed").text  # no button any more


def test_without_javascript_a_cheer_posts_and_comes_back_to_the_feed(app, ana_and_ben):
    ana_client, _, _, ben = ana_and_ben
    item = happened(app, AchievementUnlocked(code="xp", tier=1), ben.id)
    response = _cheer(ana_client, item)
    assert response.status_code == 302 and response.headers["Location"] == "/feed"
    assert "Cheer sent!" in ana_client.get("/feed").text


def test_cheering_an_item_and_the_hourly_profile_cheer_are_separate(app, ana_and_ben):
    ana_client, ana, _, ben = ana_and_ben
    item = happened(app, StreakMilestone(days=7), ben.id)
    _cheer(ana_client, item)
    profile_cheer = ana_client.post(f"/u/{username_of(app, ben.id)}/cheer",
                                    data={"csrf_token": csrf_token(ana_client, "/feed")}, follow_redirects=True)
    assert "Cheer sent!" in profile_cheer.text
    assert len(_cheers_for(app, ben.id)) == 2


def test_only_a_friends_items_can_be_cheered(app, ana_and_ben, make_user):
    ana_client, ana, _, ben = ana_and_ben
    stranger = make_user(display_name="Carl")
    strangers_item = happened(app, StreakMilestone(days=7), stranger.id)
    own_item = happened(app, StreakMilestone(days=7), ana.id)
    not_a_feed_item = happened(app, GoalReached(date=date(2026, 5, 4), goal=20), ben.id)

    refused = _cheer(ana_client, strangers_item)
    assert refused.status_code == 403 and "You can cheer on your friends" in refused.text
    assert _cheer(ana_client, own_item).status_code == 403
    assert _cheer(ana_client, not_a_feed_item).status_code == 404
    assert _cheer(ana_client, 999_999).status_code == 404
    fragment = _cheer(ana_client, strangers_item, headers={"HX-Request": "true"})
    assert fragment.status_code == 403 and 'role="alert"' in fragment.text and "<html" not in fragment.text
    assert _cheers_for(app, stranger.id) == [] and _cheers_for(app, ana.id) == []


def test_a_friend_who_turns_private_can_no_longer_be_cheered(app, ana_and_ben):
    ana_client, _, _, ben = ana_and_ben
    item = happened(app, StreakMilestone(days=7), ben.id)
    set_visibility(app, ben.id, "private")
    assert _cheer(ana_client, item).status_code == 404


def test_a_cheer_without_csrf_is_refused(app, ana_and_ben):
    ana_client, _, _, ben = ana_and_ben
    item = happened(app, StreakMilestone(days=7), ben.id)
    assert ana_client.post(f"/feed/{item}/cheer").status_code == 400
    assert _cheers_for(app, ben.id) == []


# --- Cost ---------------------------------------------------------------------------------------------------

def _feed_queries(app, logged_in, make_user, friends: int) -> int:
    with time_machine.travel(datetime(2026, 5, 5, 18, 0, tzinfo=UTC), tick=False):
        client, me = logged_in()
        for n in range(friends):
            friend = make_user(display_name=f"Friend {n}", timezone="Europe/Madrid")
            befriend(app, me.id, friend.id)
            happened(app, StreakMilestone(days=7), friend.id)
            happened(app, AchievementUnlocked(code="xp", tier=1), friend.id)
            set_streak(app, friend.id, 7, date(2026, 5, 4))  # at risk: the strip lists them too
            if n % 2:
                _cheer(client, happened(app, promotion(to_tier=2), friend.id))
        page = client.get("/feed")  # warm what the first request fills (the session's user, babel)
        assert page.text.count('class="feed-item"') == min(2 * friends + friends // 2, 20)
        assert page.text.count("Nudge<") == min(friends, 10)  # the at-risk strip shows the ten longest streaks
        with counting_queries(app) as statements:
            assert client.get("/feed").status_code == 200
    return len(statements)


def test_the_feed_costs_the_same_queries_for_3_or_30_friends(app, logged_in, make_user):
    few = _feed_queries(app, logged_in, make_user, 3)
    many = _feed_queries(app, logged_in, make_user, 30)
    assert few == many, f"3 friends: {few} queries; 30 friends: {many}"
    assert many <= 12
