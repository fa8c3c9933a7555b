"""Onboarding: only real courses are offered; a visitor tries the first lesson as a guest whose progress becomes
their account's; a daily goal; the course chosen at sign-up is honoured; guests keep to the lesson pages and
idle ones are removed."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from puchi.accounts import services as accounts
from puchi.accounts.models import User, UserSession
from puchi.core.db import db, now
from puchi.core.events import Event
from puchi.learning.models import Attempt, Card, Course, Enrollment
from puchi.progress.models import XpEntry
from tests.conftest import DEFAULT_PASSWORD, AuthActions, follow_email_link, link_in, post_form
from tests.learning.conftest import SPANISH, answer, first_skill_id, lesson_state, right_answer, start_lesson


def _play(app, client, session_id):
    for _ in range(80):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            return session
        step = session.steps[session.position]
        assert answer(client, session_id, session.position, right_answer(app, step)).status_code == 200
    raise AssertionError("the lesson never ended")


def _try(client, slug=SPANISH):
    return post_form(client, "/", {"timezone": "Europe/Madrid"}, action=f"/try/{slug}")


def _the_guest(app) -> User:
    with app.app_context():
        guest = db.session.scalar(select(User).where(User.is_guest.is_(True)))
        db.session.expunge(guest)
        return guest


def _xp(app, user_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(XpEntry.amount), 0))
                                 .where(XpEntry.user_id == user_id))


def test_the_landing_page_offers_only_the_published_courses(app, client, spanish, japanese):
    with app.app_context():
        db.session.execute(update(Course).where(Course.slug == japanese).values(is_published=False))
        db.session.commit()
    page = client.get("/")
    assert page.status_code == 200
    assert f'action="/try/{spanish}"' in page.text
    assert f"/signup?learn={spanish}" in page.text
    assert japanese not in page.text
    for missing in ("French", "German", "Italian", "Portuguese"):
        assert missing not in page.text
    sign_up = client.get("/signup")
    assert f'value="{spanish}"' in sign_up.text and japanese not in sign_up.text


def test_the_course_chosen_at_sign_up_is_where_the_learner_lands(app, client, auth, spanish):
    assert auth.sign_up("ana@example.com", course_interest=spanish).status_code == 200
    assert auth.log_in("ana@example.com").status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ana@example.com"))
        enrolment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id))
        assert enrolment.is_active and db.session.get(Course, enrolment.course_id).slug == spanish
    home = client.get("/home")
    assert "Spanish" in home.text and "Continue learning" in home.text
    assert client.get("/continue").headers["Location"] == f"/skills/{first_skill_id(app)}"


def test_a_course_that_does_not_exist_is_refused_at_sign_up(app, client, auth, spanish):
    response = auth.sign_up("ana@example.com", course_interest="fr")
    assert response.status_code == 422
    assert "Choose one of the options." in response.text


def test_a_guest_plays_the_first_lesson_and_signing_up_keeps_its_progress(app, client, spanish, mailbox):
    response = _try(client)
    assert response.status_code == 302 and response.headers["Location"] == "/welcome/goal"
    guest = _the_guest(app)
    assert guest.is_guest and not guest.leagues_enabled and guest.timezone == "Europe/Madrid"
    home = client.get("/home")
    assert "Create a profile" in home.text and "guest.invalid" not in home.text
    assert post_form(client, "/welcome/goal", {"daily_goal": "30"}).headers["Location"] == "/welcome/level"
    assert "Take the placement test" in client.get("/welcome/level").text
    session_id = start_lesson(client, first_skill_id(app))
    _play(app, client, session_id)
    xp = _xp(app, guest.id)
    assert xp > 0
    with app.app_context():
        cards = db.session.scalar(select(func.count(Card.id)).where(Card.user_id == guest.id))
        attempts = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == guest.id))
    assert cards > 0 and attempts > 0

    # Pages that need an account send the guest to sign up, with the progress kept.
    for page in ("/account", "/people", "/leagues"):
        refused = client.get(page)
        assert refused.status_code == 302 and refused.headers["Location"] == "/signup", page
    form = client.get("/signup")
    assert "Create a profile to save your progress" in form.text

    sent = post_form(client, "/signup", {"email": "Ana@Example.com", "display_name": "Ana",
                                         "password": DEFAULT_PASSWORD})
    assert sent.status_code == 200 and "Check your email" in sent.text
    assert _the_guest(app).id == guest.id  # a guest until the address is confirmed
    [message] = mailbox.wait_for("ana@example.com")
    assert message["Subject"] == "Confirm your email for Puchi"  # a sign-up, not a change of address
    confirmed = follow_email_link(client, link_in(message, "/verify-email/"))
    assert confirmed.status_code == 302

    with app.app_context():
        user = db.session.get(User, guest.id)
        assert (user.is_guest, user.email, user.display_name, user.daily_goal) == (False, "ana@example.com", "Ana", 30)
        assert user.email_verified and user.leagues_enabled
        assert db.session.scalar(select(func.count(Card.id)).where(Card.user_id == guest.id)) == cards
        assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == guest.id)) == attempts
        assert db.session.scalar(select(Event.name).where(Event.actor_id == guest.id, Event.name == "user.signed_up"))
    assert _xp(app, guest.id) == xp
    assert client.get("/account").status_code == 200  # the same session is now the account's

    other = app.test_client()
    assert AuthActions(other).log_in("ana@example.com").status_code == 302
    assert "/skills/" in other.get("/continue").headers["Location"]


def test_a_guest_signing_up_with_a_taken_address_is_told_nothing_and_keeps_its_progress_apart(
        app, client, spanish, make_user, mailbox):
    owner = make_user("ana@example.com")
    _try(client)
    guest = _the_guest(app)
    _play(app, client, start_lesson(client, first_skill_id(app)))
    sent = post_form(client, "/signup", {"email": "ana@example.com", "display_name": "Ana",
                                         "password": DEFAULT_PASSWORD})
    assert sent.status_code == 200 and "Check your email" in sent.text  # as for a free address
    assert "Log in to it instead" in sent.text
    [message] = mailbox.wait_for("ana@example.com")
    assert "/verify-email/" not in message.get_body(preferencelist=("plain",)).get_content()
    assert _the_guest(app).id == guest.id

    # Logging in to the existing account is offered; the guest's progress is not merged into it.
    assert "not added to your account" in client.get("/login").text
    assert AuthActions(client).log_in("ana@example.com").status_code == 302
    assert _xp(app, owner.id) == 0
    assert _xp(app, guest.id) > 0


def test_guests_are_made_at_a_limited_rate_per_address(app, client, spanish):
    app.config["RATELIMIT_GUEST"] = "2 per minute"
    statuses = []
    for _ in range(3):
        fresh = app.test_client()
        statuses.append(_try(fresh).status_code)
    assert statuses == [302, 302, 429]


def test_trying_a_course_that_does_not_exist_is_a_404(app, client, spanish):
    assert _try(client, "french-for-english-speakers").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_idle_guests_are_removed_with_what_they_did(app, client, spanish, make_user):
    _try(client)
    idle = _the_guest(app)
    _play(app, client, start_lesson(client, first_skill_id(app)))
    member = make_user("old@example.com")
    fresh = app.test_client()
    _try(fresh)
    long_ago = now() - timedelta(days=app.config["GUEST_IDLE_DAYS"] + 1)
    with app.app_context():
        db.session.execute(update(User).where(User.id.in_([idle.id, member.id])).values(created_at=long_ago))
        db.session.execute(update(UserSession).where(UserSession.user_id.in_([idle.id, member.id]))
                           .values(last_seen_at=long_ago))
        db.session.commit()
        assert accounts.remove_idle_guests(now()) == 1
        assert db.session.get(User, idle.id) is None
        assert db.session.scalar(select(func.count(Card.id)).where(Card.user_id == idle.id)) == 0
        assert db.session.get(User, member.id) is not None
        assert db.session.scalar(select(func.count(User.id)).where(User.is_guest.is_(True))) == 1
        assert accounts.remove_idle_guests(now()) == 0


def test_the_daily_goal_is_one_of_four_and_changeable_later(app, learner):
    client, user = learner
    page = client.get("/welcome/goal")
    for label in ("Casual", "Regular", "Serious", "Intense"):
        assert label in page.text
    assert post_form(client, "/welcome/goal", {"daily_goal": "7"}).status_code == 422
    assert post_form(client, "/welcome/goal", {"daily_goal": "50"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).daily_goal == 50
    assert 'value="50" selected' in client.get("/account/preferences").text


@pytest.mark.parametrize("page", ["/welcome/goal", "/welcome/level"])
def test_onboarding_pages_need_a_session(client, page):
    response = client.get(page)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_guests_are_not_counted_as_sign_ups_nor_put_in_leagues(app, client, spanish, make_user):
    from puchi.core.periods import Range
    from puchi.progress.models import LeagueMembership
    from tests.accounts.mfa_support import enrol_totp

    admin = make_user("root@example.com", is_admin=True)
    enrol_totp(app, admin.id)
    make_user("ana@example.com")
    _try(client)
    _play(app, client, start_lesson(client, first_skill_id(app)))
    with app.app_context():
        viewer = db.session.get(User, admin.id)
        today = now().date()
        assert sum(accounts.sign_ups_per_day(viewer, Range.ending(today, 1)).values()) == 2
        guest = db.session.scalar(select(User).where(User.is_guest.is_(True)))
        assert not guest.leagues_enabled
        assert db.session.scalar(select(func.count()).select_from(LeagueMembership)
                                 .where(LeagueMembership.user_id == guest.id)) == 0


def test_a_guest_gets_no_error_anywhere_and_every_page_not_open_to_guests_asks_it_to_sign_up(app, client, spanish):
    _try(client)
    allowed = app.extensions["puchi.accounts.guest_endpoints"]
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "notifications.live":
            continue
        response = client.get(rule.rule)
        assert response.status_code < 500, rule.rule
        open_to_guests = (rule.endpoint in allowed or f"{rule.endpoint.split('.')[0]}.*" in allowed
                          or rule.endpoint.split(".")[0] in {"pwa", "health"})
        if not open_to_guests:
            assert response.status_code == 302 and response.headers["Location"] == "/signup", rule.rule
            checked += 1
    assert checked > 20
