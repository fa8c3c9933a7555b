"""Moderation hides a reported profile: everywhere another learner meets the learner (profile, lists, search,
feed, messages, the league table, notifications, family pages) shows a neutral name instead of what they wrote;
the owner is told why and what to change, and changing it (or support) shows the profile again."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core.db import action, db, now
from puchi.core.errors import Conflict, Forbidden
from puchi.core.events import Event
from puchi.progress import leagues
from puchi.progress.events import AchievementUnlocked
from puchi.progress.models import LeagueCohort, LeagueMembership
from puchi.social import moderation
from puchi.social.models import Report, SocialProfile
from tests.conftest import post_form
from tests.social.conftest import happened

NAME = "Nasty Nick"  # what the reported learner wrote
NEUTRAL = "Puchi learner"


def _username(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(SocialProfile, user_id).username


@pytest.fixture
def reported(app, logged_in):
    """Ana and Nick are friends who wrote to each other and share a league; Ana reports Nick's profile."""
    ana_client, ana = logged_in(email="ana@example.com", display_name="Ana Silva")
    nick_client, nick = logged_in(email="nick@example.com", display_name=NAME)
    ana_name, nick_name = _username(app, ana.id), _username(app, nick.id)
    post_form(ana_client, "/people", {}, action=f"/u/{nick_name}/follow")
    post_form(nick_client, "/people", {}, action=f"/u/{ana_name}/follow")
    assert post_form(nick_client, f"/messages/{ana_name}", {"body": "Hi Ana"}).status_code == 302
    happened(app, AchievementUnlocked(code="xp", tier=1), nick.id)  # on Ana's feed
    with app.app_context(), action():
        week = leagues.week_start(now())
        cohort = db.session.execute(insert(LeagueCohort).values(week_start=week, tier=1, size=2)
                                    .returning(LeagueCohort.id)).scalar_one()
        db.session.execute(insert(LeagueMembership), [
            {"user_id": user_id, "cohort_id": cohort, "week_start": week, "tier": 1, "xp": xp, "joined_at": now()}
            for user_id, xp in ((ana.id, 10), (nick.id, 20))])
    post_form(ana_client, f"/u/{nick_name}", {"reason": "hate"}, action=f"/u/{nick_name}/report")
    with app.app_context():
        report_id = db.session.scalar(select(Report.id).where(Report.reported_id == nick.id))
    return ana_client, ana, nick_client, nick, nick_name, report_id


def _hide(support, report_id):
    page = support.get(f"/admin/reports/{report_id}").text
    assert 'value="hide"' in page and "Hide the profile" in page
    return post_form(support, f"/admin/reports/{report_id}", {"action": "hide"},
                     action=f"/admin/reports/{report_id}/resolve")


def _places_ana_sees(ana_client, nick_name: str) -> dict[str, str]:
    """Every page where Ana meets Nick's name."""
    return {
        "profile": ana_client.get(f"/u/{nick_name}").text,
        "friends": ana_client.get("/people").text,
        "followers": ana_client.get(f"/u/{_ana(ana_client)}/followers").text,
        "feed": ana_client.get("/feed").text,
        "messages": ana_client.get("/messages").text,
        "conversation": ana_client.get(f"/messages/{nick_name}").text,
        "league": ana_client.get("/leagues").text,
    }


def _search(client, text: str) -> str:
    """The search results alone (the fragment HTMX swaps in)."""
    response = client.get(f"/people?q={text}", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    return response.text


def _ana(ana_client) -> str:
    return "ana_silva"


def test_support_hides_a_profile_and_every_place_ana_meets_nick_shows_a_neutral_name(app, reported, staff_client):
    ana_client, ana, nick_client, nick, nick_name, report_id = reported
    before = _places_ana_sees(ana_client, nick_name)
    assert all(NAME in page for page in before.values()), [k for k, page in before.items() if NAME not in page]
    assert NAME in _search(ana_client, "nasty")

    support, sam = staff_client("support")
    assert _hide(support, report_id).status_code == 302

    after = _places_ana_sees(ana_client, nick_name)
    assert [k for k, page in after.items() if NAME in page or ">NN<" in page] == []
    assert [k for k, page in after.items() if NEUTRAL not in page] == []
    assert f"@{nick_name}" not in after["profile"] and f"@{nick_name}" not in after["friends"]
    assert "/u/" not in _search(ana_client, "nasty")  # nor found by the hidden name or username
    assert "/u/" not in _search(ana_client, nick_name[:4])
    # a cheer Nick sends now names him neutrally in Ana's notifications
    post_form(nick_client, f"/u/{_ana(ana_client)}", {}, action=f"/u/{_ana(ana_client)}/cheer")
    centre = ana_client.get("/notifications").text
    assert NEUTRAL in centre and NAME not in centre
    assert "We looked at it and took action." in centre  # the reporter hears the outcome

    with app.app_context():
        report = db.session.get(Report, report_id)
        assert (report.status, report.action, report.resolved_by_id) == ("actioned", "hide", sam.id)
        hidden = db.session.scalar(select(Event).where(Event.name == "user.profile_hidden"))
        assert (hidden.actor_id, hidden.subject_id, hidden.payload["report_id"]) == (sam.id, nick.id, report_id)
        assert db.session.get(User, nick.id).display_name == NAME  # nothing the learner wrote is lost
    admin, _ = staff_client("admin")
    assert "user.profile_hidden" in admin.get("/admin/audit?type=user.profile_hidden").text


def test_the_owner_is_told_and_renaming_shows_the_profile_again(app, reported, staff_client):
    ana_client, _, nick_client, nick, nick_name, report_id = reported
    support, _ = staff_client("support")
    _hide(support, report_id)

    account = nick_client.get("/account").text
    assert "Your profile is hidden from other learners." in account and "Change your name" in account
    own = nick_client.get(f"/u/{nick_name}").text
    assert "Your profile is hidden from other learners." in own and NAME in own  # he still sees his own name
    assert "Your profile is hidden" not in ana_client.get(f"/u/{nick_name}").text

    post_form(nick_client, "/account", {"display_name": "Nick Kind", "avatar_color": "teal"},
              action="/account/profile")
    assert "Your profile is hidden" not in nick_client.get("/account").text
    assert "Nick Kind" in ana_client.get(f"/u/{nick_name}").text
    with app.app_context():
        lifted = db.session.scalar(select(Event).where(Event.name == "user.profile_unhidden"))
        assert (lifted.actor_id, lifted.payload["by"]) == (nick.id, "owner")


def test_changing_the_username_shows_the_profile_again(app, reported, staff_client):
    ana_client, _, nick_client, nick, nick_name, report_id = reported
    support, _ = staff_client("support")
    _hide(support, report_id)
    assert post_form(nick_client, "/account/social", {"username": "kind_nick", "visibility": "public"}
                     ).status_code == 302
    assert NAME in ana_client.get("/u/kind_nick").text
    with app.app_context():
        assert db.session.get(User, nick.id).profile_hidden_at is None


def test_support_shows_a_hidden_profile_again(app, reported, staff_client):
    ana_client, _, _, nick, nick_name, report_id = reported
    support, sam = staff_client("support")
    _hide(support, report_id)
    case = support.get(f"/admin/reports/{report_id}").text
    assert "Hidden from other learners since" in case
    learner_page = support.get(f"/admin/learners/{nick.id}").text
    assert f'action="/admin/learners/{nick.id}/profile/unhide"' in learner_page
    editor, _ = staff_client("editor")
    assert post_form(editor, "/admin/", {}, action=f"/admin/learners/{nick.id}/profile/unhide").status_code == 403
    assert post_form(support, f"/admin/learners/{nick.id}", {},
                     action=f"/admin/learners/{nick.id}/profile/unhide").status_code == 302
    assert NAME in ana_client.get(f"/u/{nick_name}").text
    with app.app_context():
        lifted = db.session.scalar(select(Event).where(Event.name == "user.profile_unhidden"))
        assert (lifted.actor_id, lifted.payload["by"]) == (sam.id, "staff")


def test_hiding_is_the_moderators_and_never_their_own(app, reported, staff_client):
    _, ana, _, nick, _, report_id = reported
    _, sam = staff_client("support")
    with app.app_context():
        with pytest.raises(Forbidden):
            moderation.resolve(db.session.get(User, ana.id), report_id, "hide")
        with action(), pytest.raises(Conflict):
            accounts.hide_profile_in_action(db.session.get(User, sam.id), sam.id, report_id)
    with app.app_context():
        moderation.resolve(db.session.get(User, sam.id), report_id, "hide")
        assert db.session.get(User, nick.id).profile_hidden_at is not None
        with action():  # hiding again records nothing new
            accounts.hide_profile_in_action(db.session.get(User, sam.id), nick.id, report_id)
        assert db.session.scalar(select(Event.id).where(Event.name == "user.profile_hidden")
                                 .order_by(Event.id.desc()).offset(1).limit(1)) is None
