"""Friends: follow and unfollow, find people, profiles with privacy, blocking, and notifications of it all."""

import re

import pytest
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.notifications.models import Notification
from puchi.social import services
from tests.conftest import post_form


def _bell(page: str) -> int:
    """The unread count on the bell (0 when the bell shows none)."""
    match = re.search(r'id="bell_count" class="bell-count"( hidden)?>(\d+)<', page)
    return 0 if match is None or match.group(1) else int(match.group(2))


def _username(app, user_id):
    with app.app_context():
        username = services.profile_of(db.session.get(User, user_id)).username
        db.session.commit()
        return username


@pytest.fixture
def ana_and_ben(app, logged_in):
    ana_client, ana = logged_in(email="ana@example.com", display_name="Ana Silva")
    ben_client, ben = logged_in(email="ben@example.com", display_name="Ben Okafor")
    return (ana_client, ana, _username(app, ana.id)), (ben_client, ben, _username(app, ben.id))


def test_every_learner_gets_a_username_from_their_name(app, logged_in):
    _, first = logged_in(display_name="Zoë Núñez")
    _, second = logged_in(display_name="Zoë Núñez")
    assert _username(app, first.id) == "zoe_nunez"
    assert _username(app, second.id) == "zoe_nunez2"


def test_following_back_makes_friends_and_notifies_both(app, ana_and_ben):
    (ana_client, ana, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    assert post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow").status_code == 302
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")

    assert "Friends" in ana_client.get(f"/u/{ben_name}").text
    with app.app_context():
        assert services.are_friends(ana.id, ben.id)
        kinds = {(n.user_id, n.data["mutual"]) for n in db.session.scalars(select(Notification))}
    assert kinds == {(ben.id, False), (ana.id, True)}
    page = ana_client.get("/notifications").text
    assert "followed you back: you are now friends." in page
    assert _bell(ana_client.get("/home").text) == 1


def test_following_twice_is_one_follow_and_one_notification(app, ana_and_ben):
    (ana_client, _, _), (_, _, ben_name) = ana_and_ben
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    with app.app_context():
        assert len(db.session.scalars(select(Notification)).all()) == 1


def test_unfollowing_ends_the_friendship(app, ana_and_ben):
    (ana_client, ana, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/unfollow")
    with app.app_context():
        assert not services.are_friends(ana.id, ben.id)


def test_people_are_found_by_name_or_username(app, ana_and_ben):
    (ana_client, _, _), (_, _, ben_name) = ana_and_ben
    assert "Ben Okafor" in ana_client.get("/people?q=okaf").text
    assert "Ben Okafor" in ana_client.get(f"/people?q={ben_name[:3]}").text
    assert "Nobody found" in ana_client.get("/people?q=zzzz").text
    for odd in ("%", "_", "' OR 1=1 --", "x" * 500):
        assert ana_client.get("/people", query_string={"q": odd}).status_code == 200


def test_privacy_friends_only_and_private_profiles(app, ana_and_ben):
    (ana_client, _, ana_name), (ben_client, _, ben_name) = ana_and_ben
    post_form(ben_client, "/account/social", {"username": ben_name, "visibility": "friends"})
    assert "This profile is private." in ana_client.get(f"/u/{ben_name}").text
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")
    assert "day streak" in ana_client.get(f"/u/{ben_name}").text  # friends now see it
    post_form(ben_client, "/account/social", {"username": ben_name, "visibility": "private"})
    assert "This profile is private." in ana_client.get(f"/u/{ben_name}").text
    assert "Ben Okafor" not in ana_client.get("/people?q=okaf").text.split('id="people_results"')[1].split(
        "</div>")[0]


def test_blocking_hides_each_from_the_other_and_ends_follows(app, ana_and_ben):
    (ana_client, ana, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/block")
    with app.app_context():
        assert not services.follows(ben.id, ana.id)
    assert ben_client.get(f"/u/{ana_name}").status_code == 404
    assert "Ana Silva" not in ben_client.get("/people?q=silva").text.split('id="people_results"')[1]
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")
    with app.app_context():
        assert not services.follows(ben.id, ana.id)
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/unblock")
    assert ben_client.get(f"/u/{ana_name}").status_code == 200


def test_you_cannot_follow_or_block_yourself(app, ana_and_ben):
    (ana_client, ana, ana_name), _ = ana_and_ben
    post_form(ana_client, "/people", {}, action=f"/u/{ana_name}/follow")
    post_form(ana_client, "/people", {}, action=f"/u/{ana_name}/block")
    with app.app_context():
        assert not services.follows(ana.id, ana.id)


def test_usernames_are_checked(app, ana_and_ben):
    (ana_client, _, _), (_, _, ben_name) = ana_and_ben
    for bad, message in (("a", "Use 3 to 30"), ("UPPER case", "Use 3 to 30"), ("x" * 31, "Use 3 to 30"),
                         (ben_name, "That username is taken.")):
        response = post_form(ana_client, "/account/social", {"username": bad, "visibility": "public"})
        assert response.status_code == 422 and message in response.text
    response = post_form(ana_client, "/account/social", {"username": "ana_new", "visibility": "nope"})
    assert response.status_code == 422 and "Choose one of the options." in response.text


def test_followers_and_following_lists(app, ana_and_ben):
    (ana_client, _, ana_name), (_, _, ben_name) = ana_and_ben
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    assert "Ana Silva" in ana_client.get(f"/u/{ben_name}/followers").text
    assert "Ben Okafor" in ana_client.get(f"/u/{ana_name}/following").text
    assert "Ben Okafor" in ana_client.get("/people").text  # people you follow


def test_notifications_are_marked_read_one_by_one_or_all(app, ana_and_ben, logged_in):
    (ana_client, ana, ana_name), (ben_client, _, _) = ana_and_ben
    carl_client, _ = logged_in(display_name="Carl")
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")
    post_form(carl_client, "/people", {}, action=f"/u/{ana_name}/follow")
    with app.app_context():
        first = db.session.scalar(select(Notification.id).order_by(Notification.id))
    post_form(ana_client, "/notifications", {}, action=f"/notifications/{first}/read")
    assert _bell(ana_client.get("/home").text) == 1
    assert post_form(carl_client, "/notifications", {}, action=f"/notifications/{first}/read").status_code == 404
    post_form(ana_client, "/notifications", {}, action="/notifications/read-all")
    assert _bell(ana_client.get("/home").text) == 0


def test_only_friends_can_cheer_and_once_an_hour(app, ana_and_ben):
    (ana_client, _, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    refused = post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/cheer")
    assert refused.status_code == 403 and "You can cheer on your friends" in refused.text
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")

    sent = post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/cheer", follow_redirects=True)
    assert "Cheer sent!" in sent.text
    again = post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/cheer", follow_redirects=True)
    assert "You already cheered them on this hour." in again.text
    with app.app_context():
        cheers = db.session.scalars(select(Notification).where(Notification.kind == "cheer")).all()
    assert [n.user_id for n in cheers] == [ben.id]
    assert "cheered you on!" in ben_client.get("/notifications").text


def _listed(client, username: str, which: str) -> list[str]:
    """The names in someone's followers or following list, as this client sees it."""
    return sorted(re.findall(r'<span class="person-name" dir="auto">([^<]*)</span>',
                             client.get(f"/u/{username}/{which}").text))


def test_private_profiles_stay_out_of_other_peoples_follower_and_following_lists(app, ana_and_ben, logged_in):
    (ana_client, ana, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    cho_client, cho = logged_in(display_name="Cho Private")
    cho_name = _username(app, cho.id)
    post_form(cho_client, "/account/social", {"username": cho_name, "visibility": "private"})
    post_form(cho_client, "/people", {}, action=f"/u/{ben_name}/follow")  # Cho follows Ben,
    post_form(ben_client, "/people", {}, action=f"/u/{cho_name}/follow")  # and Ben follows Cho back
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")

    # Ana looks at Ben's lists: Cho, who shows herself to nobody, is in neither.
    assert _listed(ana_client, ben_name, "followers") == ["Ana Silva"]
    assert _listed(ana_client, ben_name, "following") == []
    # Ben's own lists are his own relationships: he sees Cho, as on his people page.
    assert _listed(ben_client, ben_name, "followers") == ["Ana Silva", "Cho Private"]
    assert _listed(ben_client, ben_name, "following") == ["Cho Private"]
    assert "Cho Private" in ben_client.get("/people").text
    # Cho sees herself wherever she is listed.
    assert _listed(cho_client, ben_name, "followers") == ["Ana Silva", "Cho Private"]
    # Friendship with Ben does not lift "only me": Ben does not see her in Ana's lists either.
    post_form(cho_client, "/people", {}, action=f"/u/{ana_name}/follow")
    assert _listed(ben_client, ana_name, "followers") == []  # Ana's list shows Ben nobody (Cho is private)
    assert _listed(ana_client, ana_name, "followers") == ["Cho Private"]  # but Ana sees who follows her


def test_friends_only_profiles_are_listed_only_to_their_friends(app, ana_and_ben, logged_in):
    (ana_client, ana, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    dee_client, dee = logged_in(display_name="Dee Friends")
    dee_name = _username(app, dee.id)
    post_form(dee_client, "/account/social", {"username": dee_name, "visibility": "friends"})
    post_form(dee_client, "/people", {}, action=f"/u/{ben_name}/follow")

    assert _listed(ana_client, ben_name, "followers") == []  # Ana is not Dee's friend

    post_form(ana_client, "/people", {}, action=f"/u/{dee_name}/follow")
    assert _listed(ana_client, ben_name, "followers") == []  # following her is not enough
    post_form(dee_client, "/people", {}, action=f"/u/{ana_name}/follow")
    assert _listed(ana_client, ben_name, "followers") == ["Dee Friends"]  # friends now

    assert _listed(ana_client, dee_name, "following") == ["Ana Silva", "Ben Okafor"]
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/block")
    assert _listed(ana_client, dee_name, "following") == ["Ana Silva"]  # and a block still hides Ben from Ana
