"""Passwords: argon2id at OWASP's floor, reset by a single-use link, changed with the current one."""

import re

from puchi import create_app
from puchi.core.events import Event
from tests.conftest import AuthActions, link_in, post_form


def test_production_hashes_meet_the_owasp_floor():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        from puchi.accounts.passwords import hash_password

        encoded = hash_password("a-long-passphrase")
    assert encoded.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in encoded


def test_forgotten_password_reset_end_to_end(app, client, auth, make_user, mailbox):
    make_user("ana@example.com")

    response = post_form(client, "/forgot-password", {"email": "Ana@example.com"})
    assert response.status_code == 200
    assert "Check your email" in response.text
    [message] = mailbox.wait_for("ana@example.com")
    assert message["Subject"] == "Reset your Puchi password"
    link = link_in(message, "/reset-password/")

    assert "Choose a new password" in client.get(link).text
    response = post_form(client, link, {"password": "a-brand-new-passphrase"})
    assert response.status_code == 302
    assert auth.log_in("ana@example.com", "a-brand-new-passphrase").status_code == 302


def test_a_reset_link_works_only_once(client, make_user, mailbox):
    make_user("ana@example.com")
    post_form(client, "/forgot-password", {"email": "ana@example.com"})
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/reset-password/")
    token = client.get(link).text.split('name="csrf_token" value="')[1].split('"')[0]

    assert client.post(link, data={"csrf_token": token, "password": "first-new-passphrase"}).status_code == 302
    assert client.get(link).status_code == 400


def test_using_one_reset_link_retires_every_other_link_sent_before(client, make_user, mailbox):
    make_user("ana@example.com")
    post_form(client, "/forgot-password", {"email": "ana@example.com"})
    post_form(client, "/forgot-password", {"email": "ana@example.com"})
    first, second = (link_in(message, "/reset-password/") for message in mailbox.wait_for("ana@example.com", count=2))

    assert post_form(client, second, {"password": "a-brand-new-passphrase"}).status_code == 302
    assert client.get(first).status_code == 400
    response = client.post(first, data={"csrf_token": "x", "password": "an-attackers-passphrase"})
    assert response.status_code == 400
    assert AuthActions(client).log_in("ana@example.com", "a-brand-new-passphrase").status_code == 302


def test_a_reset_link_stops_working_once_the_password_is_changed(app, client, logged_in, mailbox):
    learner, _ = logged_in(email="ana@example.com")
    post_form(client, "/forgot-password", {"email": "ana@example.com"})
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/reset-password/")

    post_form(learner, "/account", {"current_password": "correct-horse-battery",
                                    "new_password": "another-long-passphrase"}, action="/account/password")
    response = client.get(link)
    assert response.status_code == 400
    assert "This link does not work" in response.text


def test_resetting_ends_every_session_of_the_account(app, client, logged_in, mailbox):
    other_device, user = logged_in(email="ana@example.com")
    post_form(client, "/forgot-password", {"email": "ana@example.com"})
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/reset-password/")
    post_form(client, link, {"password": "a-brand-new-passphrase"})

    assert other_device.get("/home").status_code == 302


def test_reset_does_not_reveal_whether_an_account_exists(client, make_user, mailbox):
    make_user("ana@example.com")

    known = post_form(client, "/forgot-password", {"email": "ana@example.com"})
    unknown = post_form(client, "/forgot-password", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    def page(response, email):  # CSRF tokens differ per response; nothing else may
        text = re.sub(r'X-CSRFToken": "[^"]+', "", response.text.replace(email, "X"))
        return re.sub(r'name="csrf_token" value="[^"]+"', "", text)

    assert page(known, "ana@example.com") == page(unknown, "nobody@example.com")
    # The owner of an unknown address learns why no reset link came.
    [note] = mailbox.wait_for("nobody@example.com")
    assert "no Puchi account uses this address" in note.get_body(preferencelist=("plain",)).get_content()


def test_a_new_password_that_is_too_short_is_refused_by_the_field(client, make_user, mailbox):
    make_user("ana@example.com")
    post_form(client, "/forgot-password", {"email": "ana@example.com"})
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/reset-password/")

    response = post_form(client, link, {"password": "short"})
    assert response.status_code == 422
    assert "Use at least 10 characters." in response.text


def test_changing_the_password_logs_out_other_devices_but_not_this_one(app, logged_in, mailbox):
    phone, user = logged_in(email="ana@example.com")
    laptop = app.test_client()
    AuthActions(laptop).log_in("ana@example.com")

    response = post_form(laptop, "/account", {"current_password": "correct-horse-battery",
                                               "new_password": "another-long-passphrase"},
                         action="/account/password")
    assert response.status_code == 302
    assert laptop.get("/home").status_code == 200
    assert phone.get("/home").status_code == 302
    assert mailbox.wait_for("ana@example.com")[0]["Subject"] == "Your Puchi password was changed"
    with app.app_context():
        from puchi.core.db import db

        assert db.session.query(Event).filter_by(name="user.password_changed").count() == 1


def test_changing_the_password_needs_the_current_one(logged_in):
    client, _ = logged_in()
    response = post_form(client, "/account", {"current_password": "wrong-one-entirely",
                                              "new_password": "another-long-passphrase"},
                         action="/account/password")
    assert response.status_code == 422
    assert "That is not your current password." in response.text
