"""Sign-up: a newcomer creates an account, is signed in, and is asked to confirm their email."""

from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.events import Event
from tests.conftest import DEFAULT_PASSWORD, link_in


def test_signing_up_creates_the_account_and_signs_the_learner_in(app, client, auth, mailbox):
    response = auth.sign_up("Ana@Example.com", display_name="Ana", course_interest="ja")

    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    home = client.get("/home")
    assert "Hello, Ana!" in home.text
    assert "Please confirm ana@example.com" in home.text
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "ana@example.com"
        assert user.course_interest == "ja"
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
    response = client.get(link_in(message, "/verify-email/"))
    assert response.status_code == 302
    assert "confirmed" in client.get("/home").text
    with app.app_context():
        assert db.session.scalar(select(User)).email_verified_at is not None


def test_a_verification_link_works_only_once(client, auth, mailbox):
    auth.sign_up("ana@example.com")
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/verify-email/")

    assert client.get(link).status_code == 302
    second = client.get(link)
    assert second.status_code == 400
    assert "This link does not work" in second.text


def test_a_tampered_or_expired_verification_link_is_refused(app, client, auth, mailbox):
    auth.sign_up("ana@example.com")
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/verify-email/")

    assert client.get(link[:-3] + "abc").status_code == 400
    app.config["TOKEN_MAX_AGE_VERIFY"] = -1
    expired = client.get(link)
    assert expired.status_code == 410
    assert "This link has expired" in expired.text


def test_a_learner_can_ask_for_a_new_verification_link(client, auth, mailbox):
    auth.sign_up("ana@example.com")
    mailbox.wait_for("ana@example.com")

    from tests.conftest import post_form

    response = post_form(client, "/home", {"next": "/home"}, action="/verify-email/resend")
    assert response.status_code == 302
    assert len(mailbox.wait_for("ana@example.com", count=2)) == 2


def test_the_same_email_in_another_letter_case_is_refused(client, auth):
    auth.sign_up("ana@example.com")
    auth.log_out()

    response = auth.sign_up("ANA@EXAMPLE.COM")
    assert response.status_code == 422
    assert "An account already uses this email address" in response.text


def test_a_spanish_speaker_gets_the_email_in_spanish(client, auth, mailbox):
    auth.sign_up("lucia@example.com", display_name="Lucía", locale="es")

    [message] = mailbox.wait_for("lucia@example.com")
    assert message["Subject"] == "Confirma tu correo para Puchi"
    assert message["Content-Language"] == "es"
    assert "Hola, Lucía:" in message.get_body(preferencelist=("plain",)).get_content()
