"""Deleting an account: password and typed confirmation, a 14-day grace period that can be cancelled, then
every row erased or anonymised as the personal-data registry says: nothing anywhere still names the learner."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from puchi.accounts import services as accounts
from puchi.accounts import tokens
from puchi.accounts.models import User, UserSession
from puchi.billing.models import Customer, StripeEvent, Subscription
from puchi.core import periodic
from puchi.core.db import action, db, now
from puchi.learning import lessons
from puchi.learning import services as learning
from puchi.learning.models import Course, Skill
from puchi.notifications.models import Notification, PhoneNumber, PushSubscription
from puchi.social import messages
from puchi.social import services as social
from puchi.social.models import DirectMessage
from tests.conftest import DEFAULT_PASSWORD, AuthActions, post_form
from tests.learning.conftest import spanish  # noqa: F401 - fixture

EMAIL, OLD_EMAIL = "anastasia.quill@example.com", "ana.old@example.com"
NAME, PHONE, ADDRESS = "Anastasia Quill", "+14155550123", "203.0.113.77"


def _ask_to_delete(client, password=DEFAULT_PASSWORD, confirmation="DELETE"):
    return post_form(client, "/account/privacy", {"password": password, "confirmation": confirmation},
                     action="/account/delete")


def _user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_deletion_needs_the_password_and_the_typed_confirmation(app, logged_in):
    client, user = logged_in()
    wrong = _ask_to_delete(client, password="not-my-password")
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.text
    unconfirmed = _ask_to_delete(client, confirmation="yes")
    assert unconfirmed.status_code == 422
    assert "Type DELETE to confirm." in unconfirmed.text
    assert _user(app, user.id).deletion_due_at is None


def test_an_account_with_a_second_factor_proves_it_again_before_asking_for_deletion(app, logged_in):
    from tests.accounts.mfa_support import enrol_totp, prove_it_is_me

    client, user = logged_in()
    enrolled = enrol_totp(app, user.id)
    asked = _ask_to_delete(client)
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/account/security/confirm")
    assert _user(app, user.id).deletion_due_at is None
    prove_it_is_me(client, enrolled)
    assert _ask_to_delete(client).status_code == 302
    assert _user(app, user.id).deletion_due_at is not None


def test_a_requested_deletion_waits_two_weeks_with_a_banner_and_an_email(app, logged_in, mailbox):
    client, user = logged_in(email="ana@example.com", display_name="Ana")
    response = _ask_to_delete(client)
    assert response.status_code == 302
    due = _user(app, user.id).deletion_due_at
    assert timedelta(days=13, hours=23) < due - now() <= timedelta(days=14)

    email = mailbox.wait_for("ana@example.com")[0]
    assert email["Subject"] == "Your Puchi account will be deleted"
    # The account keeps working, and every page offers to cancel.
    AuthActions(client).log_out()
    assert AuthActions(client).log_in("ana@example.com").status_code == 302
    home = client.get("/home")
    assert home.status_code == 200
    assert "Your account will be deleted on" in home.text and "Cancel deletion" in home.text

    with app.app_context():  # the day before, nothing happens
        periodic.run_chores(due - timedelta(hours=1))
    assert _user(app, user.id).deleted_at is None


def test_cancelling_keeps_the_account(app, logged_in, mailbox):
    client, user = logged_in(email="ana@example.com", display_name="Ana")
    _ask_to_delete(client)
    due = _user(app, user.id).deletion_due_at

    assert post_form(client, "/account/privacy", {}, action="/account/delete/cancel").status_code == 302
    assert "Cancel deletion" not in client.get("/home").text
    with app.app_context():
        periodic.run_chores(due + timedelta(days=1))
    assert _user(app, user.id).deleted_at is None
    assert client.get("/home").status_code == 200
    assert mailbox.wait_for("ana@example.com", count=2)[1]["Subject"] == "Your account will not be deleted."


@pytest.fixture
def ana_everywhere(app, make_user, logged_in, spanish):  # noqa: F811 - the fixture
    """Ana, with something in every corner of Puchi: courses, friends, messages, notifications, a phone, a
    push subscription, consents, an export, billing records, an address change and sessions from an address."""
    ana = make_user(email=OLD_EMAIL, display_name=NAME)
    ana_client = app.test_client()
    ana_client.environ_base["REMOTE_ADDR"] = ADDRESS
    assert AuthActions(ana_client).log_in(OLD_EMAIL).status_code == 302
    ben_client, ben = logged_in(email="ben@example.com", display_name="Ben")
    with app.app_context():
        ana, ben = db.session.get(User, ana.id), db.session.get(User, ben.id)
        ana_id, ben_id = ana.id, ben.id
        accounts.request_email_change(ana, password=DEFAULT_PASSWORD, new_email=EMAIL)
        accounts.verify_email(tokens.make_token(tokens.VERIFY_EMAIL, ana.id, EMAIL))
        ana_name, ben_name = social.profile_of(ana).username, social.profile_of(ben).username
        social.follow(ana, ben_name)
        social.follow(ben, ana_name)
        social.cheer(ana, ben_name, now())
        messages.send(ana, ben_name, "Hola Ben, ¿practicamos?")
        messages.send(ben, ana_name, "¡Claro!")
        learning.enroll(ana, spanish)
        skill_id = db.session.scalar(select(Skill.id).join(Course).where(Course.slug == spanish,
                                                                         Skill.path_position == 0))
        lessons.start_lesson(ana, skill_id)
        with action():
            db.session.add_all([
                PhoneNumber(user_id=ana.id, number=PHONE, verified_at=now()),
                PushSubscription(user_id=ana.id, endpoint="https://fcm.googleapis.com/fcm/send/ana", p256dh="k",
                                 auth="a", user_agent="Firefox"),
                Customer(user_id=ana.id, stripe_customer_id="cus_ana"),
                Subscription(stripe_subscription_id="sub_ana", stripe_customer_id="cus_ana", user_id=ana.id,
                             status="active", plan="super_monthly", state_at=now()),
                StripeEvent(stripe_id="evt_ana", type="invoice.paid", created=now(), payload={
                    "id": "evt_ana", "data": {"object": {"customer": "cus_ana", "customer_email": EMAIL,
                                                         "customer_name": NAME, "amount_paid": 699,
                                                         "customer_details": {"phone": PHONE}}}}),
            ])
    post_form(ana_client, "/account/privacy", {"marketing_email": "y"}, action="/account/consents")
    post_form(ana_client, "/account/privacy", {}, action="/account/export")
    return ana_client, ana_id, ben_client, ben_id, ana_name


def _everything_that_mentions(needles):
    """(table, column, value) of every stored value that contains one of ``needles``."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, str) else value
                for needle in needles:
                    if needle.lower() in text.lower():
                        found.append((table.name, column, needle))
    return found


def test_after_the_grace_period_nothing_anywhere_names_the_learner(app, ana_everywhere, mailbox):
    ana_client, ana_id, ben_client, ben_id, username = ana_everywhere
    needles = [EMAIL, OLD_EMAIL, NAME, PHONE, ADDRESS, username]
    with app.app_context():
        assert _everything_that_mentions(needles), "the world names Ana before her account is deleted"
    assert _ask_to_delete(ana_client).status_code == 302
    due = _user(app, ana_id).deletion_due_at

    with app.app_context():
        periodic.run_chores(due + timedelta(minutes=1))
        assert _everything_that_mentions(needles) == []

        stub = db.session.get(User, ana_id)
        assert stub.deleted_at is not None and stub.display_name == "Deleted user"
        assert db.session.scalars(select(UserSession).where(UserSession.user_id == ana_id)).all() == []
        assert db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == ana_id)).all() == []
        assert db.session.scalars(select(Notification).where(Notification.user_id == ben_id)).all() == [], \
            "Ben's notifications about Ana (her follow, her cheer) named her"
        # Ben keeps his conversation, with a deleted user; the record of what was sold stays for tax law.
        kept = db.session.scalars(select(DirectMessage.body).order_by(DirectMessage.id)).all()
        assert kept == ["Hola Ben, ¿practicamos?", "¡Claro!"]
        subscription = db.session.scalar(select(Subscription))
        assert subscription.user_id is None and subscription.stripe_customer_id == "cus_ana"
        invoice = db.session.scalar(select(StripeEvent)).payload["data"]["object"]
        assert invoice == {"customer": "cus_ana", "amount_paid": 699}
        assert db.session.scalars(select(Customer)).all() == []

    # Her browser is signed out and her password opens nothing.
    assert ana_client.get("/home").status_code == 302
    assert AuthActions(app.test_client()).log_in(EMAIL).status_code == 422
    assert "Deleted user" in ben_client.get("/messages").text


def test_erasing_twice_changes_nothing(app, logged_in):
    from puchi.accounts import deletion

    client, user = logged_in()
    _ask_to_delete(client)
    with app.app_context():
        deletion.erase_account(user.id)
        first = db.session.get(User, user.id).deleted_at
        deletion.erase_account(user.id)
        assert db.session.get(User, user.id).deleted_at == first
