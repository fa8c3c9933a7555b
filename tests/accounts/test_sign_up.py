"""Sign-up: a newcomer creates an account, confirms their email and logs in; a taken address reveals nothing."""

import re

from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.events import Event
from tests.conftest import DEFAULT_PASSWORD, AuthActions, follow_email_link, link_in


def test_signing_up_creates_the_account_and_asks_to_confirm_the_email(app, client, auth, mailbox):
    response = auth.sign_up("Ana@Example.com", display_name="Ana")

    assert response.status_code == 200
    assert "Check your email" in response.text
    assert client.get("/home").status_code == 302  # not signed in: see the enumeration test below
    assert auth.log_in("ana@example.com").status_code == 302
    home = client.get("/home")
    assert "Hello, Ana!" in home.text
    assert "Please confirm ana@example.com" in home.text
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "ana@example.com"
        assert user.course_interest is None
        assert user.timezone == "Europe/Madrid"
        assert user.password_hash.startswith("$argon2id$")
        assert DEFAULT_PASSWORD not in user.password_hash
        names = db.session.scalars(select(Event.name).order_by(Event.id)).all()
        assert names[:2] == ["user.signed_up", "user.logged_in"]


def test_the_verification_email_is_multipart_and_its_link_confirms_the_address(app, client, auth, mailbox):
    auth.sign_up("ana@example.com")

    [message] = mailbox.wait_for("ana@example.com")
    assert message["Subject"] == "Confirm your email for Puchi"
    assert message.get_body(preferencelist=("plain",)) is not None
    assert "Confirm my email" in message.get_body(preferencelist=("html",)).get_content()
    response = follow_email_link(client, link_in(message, "/verify-email/"))
    assert response.status_code == 302
    assert "ana@example.com is confirmed" in client.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.scalar(select(User)).email_verified_at is not None


def test_opening_the_link_only_asks_so_a_mail_scanner_following_it_confirms_nothing(app, client, auth, mailbox):
    auth.sign_up("ana@example.com")
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/verify-email/")

    for _ in range(2):  # a scanner, then the learner
        page = app.test_client().get(link)
        assert page.status_code == 200
        assert "Confirm ana@example.com" in page.text
    with app.app_context():
        assert db.session.scalar(select(User)).email_verified_at is None
    assert follow_email_link(client, link).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User)).email_verified_at is not None


def test_a_verification_link_works_only_once(client, auth, mailbox):
    auth.sign_up("ana@example.com")
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/verify-email/")

    assert follow_email_link(client, link).status_code == 302
    second = follow_email_link(client, link)
    assert second.status_code == 410  # spent for good (a damaged link is the 400 below)
    assert "This link does not work" in second.text


def test_a_tampered_or_expired_verification_link_is_refused(app, client, auth, mailbox):
    auth.sign_up("ana@example.com")
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/verify-email/")

    assert follow_email_link(client, link[:-3] + "abc").status_code == 400
    app.config["TOKEN_MAX_AGE_VERIFY"] = -1
    expired = follow_email_link(client, link)
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    assert "Log in to get a new link" in expired.text  # the way to a fresh one
    assert client.get(link).status_code == 410  # the page the link opens says the same before any POST


def test_a_learner_can_ask_for_a_new_verification_link(client, auth, mailbox):
    auth.sign_up("ana@example.com")
    mailbox.wait_for("ana@example.com")
    auth.log_in("ana@example.com")

    from tests.conftest import post_form

    response = post_form(client, "/home", {"next": "/home"}, action="/verify-email/resend")
    assert response.status_code == 302
    assert len(mailbox.wait_for("ana@example.com", count=2)) == 2


def _page(response, email):
    """The page as anyone would compare it: the address typed and the per-response CSRF token aside."""
    text = re.sub(r'X-CSRFToken": "[^"]+', "", response.text.replace(email, "X"))
    return re.sub(r'name="csrf_token" value="[^"]+"', "", text)


def test_signing_up_with_a_taken_address_answers_as_for_a_new_one_and_tells_the_owner(app, auth, make_user,
                                                                                    mailbox):
    make_user("ana@example.com", display_name="Ana")
    intruder = AuthActions(app.test_client())

    taken = intruder.sign_up("ANA@example.com", display_name="Someone else", password="another-long-passphrase")
    new = AuthActions(app.test_client()).sign_up("zoe@example.com", display_name="Someone else",
                                                 password="another-long-passphrase")
    assert taken.status_code == new.status_code == 200
    assert _page(taken, "ANA@example.com") == _page(new, "zoe@example.com")
    assert sorted(taken.headers.keys()) == sorted(new.headers.keys())
    assert intruder.client.get("/home").status_code == 302
    assert intruder.log_in("ana@example.com", "another-long-passphrase").status_code == 422

    [note] = mailbox.wait_for("ana@example.com")
    assert note["Subject"] == "You already have a Puchi account"
    text = note.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Ana," in text and "/forgot-password" in text and "/login" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2
        assert db.session.scalar(select(User.display_name).where(User.email == "ana@example.com")) == "Ana"


def test_the_owner_is_told_in_their_language_with_their_name_escaped(app, auth, make_user, mailbox):
    make_user("ana@example.com", display_name="<a href=//evil.example>Ana</a>", locale="es")
    auth.sign_up("ana@example.com")

    [note] = mailbox.wait_for("ana@example.com")
    assert note["Content-Language"] == "es"
    assert note["Subject"] == "Ya tienes una cuenta de Puchi"
    html = note.get_body(preferencelist=("html",)).get_content()
    assert "<a href=//evil.example>" not in html
    assert "&lt;a href=//evil.example&gt;Ana&lt;/a&gt;" in html


def test_a_spanish_speaker_gets_the_email_in_spanish(client, auth, mailbox):
    auth.sign_up("lucia@example.com", display_name="Lucía", locale="es")

    [message] = mailbox.wait_for("lucia@example.com")
    assert message["Subject"] == "Confirma tu correo para Puchi"
    assert message["Content-Language"] == "es"
    assert "Hola, Lucía:" in message.get_body(preferencelist=("plain",)).get_content()
