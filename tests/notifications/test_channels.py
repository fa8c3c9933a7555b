"""Email notifications: sent only when wanted, once per notification, with one-click unsubscribe (RFC 8058)."""

import re
from datetime import date

from sqlalchemy import select

from puchi import create_app
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.notifications import channels
from puchi.notifications.models import Delivery
from puchi.progress.events import LeaguePromoted
from puchi.social.events import UserCheered
from tests.conftest import post_form, settings_for_tests


def _promote(app, user_id, week="2026-05-04"):
    with app.app_context(), action():
        events.record(LeaguePromoted(from_tier=1, to_tier=2, rank=1, week_start=date.fromisoformat(week)),
                      actor_id=user_id, subject=("league_cohort", 1))


def test_a_promotion_is_emailed_with_a_one_click_unsubscribe_that_works(app, client, make_user, mailbox):
    learner = make_user("ana@example.com", locale="es")
    _promote(app, learner.id)

    [message] = mailbox.wait_for("ana@example.com")
    assert message["Content-Language"] == "es"
    assert "liga" in message["Subject"].lower()  # the subject is in the learner's Spanish
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.match(r"<(.+)>", message["List-Unsubscribe"]).group(1)
    path = link.split("localhost", 1)[1]
    # A mail client unsubscribes with a bare POST: no session, no CSRF token.
    response = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    mailbox.clear()
    _promote(app, learner.id, week="2026-05-11")
    assert mailbox.wait_for("ana@example.com", timeout=2) == []


def test_kinds_that_are_off_by_default_send_no_email_until_switched_on(app, logged_in, make_user, mailbox):
    client, learner = logged_in(email="ben@example.com")
    friend = make_user(display_name="Ana")
    with app.app_context(), action():
        events.record(UserCheered(source="cheer:test:1"), actor_id=friend.id, subject=("user", learner.id))
    assert mailbox.wait_for("ben@example.com", timeout=1) == []

    post_form(client, "/account/notifications", {"on": ["cheer:email", "promoted:email"]})
    with app.app_context():
        assert channels.preferences(db.session.get(User, learner.id))[("cheer", "email")]
    with app.app_context(), action():
        events.record(UserCheered(source="cheer:test:2"), actor_id=friend.id, subject=("user", learner.id))
    assert len(mailbox.wait_for("ben@example.com")) == 1


def test_a_delivery_job_that_runs_twice_sends_once(app, make_user, mailbox):
    learner = make_user("cho@example.com")
    _promote(app, learner.id)
    mailbox.wait_for("cho@example.com")
    with app.app_context():
        delivery = db.session.scalar(select(Delivery))
        source = delivery.key.rsplit(":", 1)[0]
        channels.deliver({"source": source, "channel": "email"})  # as if the job were delivered again
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert len(mailbox.to("cho@example.com")) == 1


def test_a_forged_unsubscribe_link_is_refused(client):
    assert client.post("/unsubscribe/not-a-token").status_code == 404
    assert client.get("/unsubscribe/not-a-token").status_code == 200  # the confirmation page; POST decides


def test_unknown_preferences_are_refused(logged_in):
    client, _ = logged_in()
    response = post_form(client, "/account/notifications", {"on": ["nonsense:email"]}, follow_redirects=True)
    assert "Choose one of the options." in response.text


def test_email_goes_only_to_a_confirmed_address_and_the_settings_say_so(app, client, auth, mailbox):
    auth.sign_up("new@example.com")  # not confirmed yet
    auth.log_in("new@example.com")
    mailbox.clear()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    _promote(app, user.id)  # promotions go by email by default …
    assert mailbox.wait_for("new@example.com", timeout=1) == []  # … but not to an unconfirmed address
    page = client.get("/account/notifications").text
    assert "We send email only to a confirmed address" in page


def test_two_apps_in_one_process_do_not_share_channel_adapters(app, make_user, database_url, smtp_sink):
    learner = make_user("eve@example.com")
    other = create_app(settings_for_tests(database_url, smtp_sink.url))
    sent: list[int] = []
    channels.add_adapter(other, "email", reachable=lambda user: False, send=lambda user, note: sent.append(user.id))

    with app.app_context():
        user = db.session.get(User, learner.id)
        email = channels.adapter("email")
        assert (email.reachable, email.send) == (channels.email_reachable, channels.send_email)
        assert email.reachable(user)  # a confirmed address
    with other.app_context():
        user = db.session.get(User, learner.id)
        assert not channels.adapter("email").reachable(user)
        channels.adapter("email").send(user, None)
        assert channels.adapter("sms").send is not channels.adapter("email").send  # its wiring's own others
        db.session.remove()
        db.engine.dispose()
    assert sent == [learner.id]
