"""Account settings: profile, email change with re-verification, preferences, other sessions."""

from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from tests.conftest import AuthActions, follow_email_link, link_in, post_form


def _user(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_a_learner_changes_name_and_avatar_colour(app, logged_in):
    client, user = logged_in(email="ana@example.com", display_name="Ana")

    response = post_form(client, "/account", {"display_name": "  Ana   María ", "avatar_color": "violet"},
                         action="/account/profile")
    assert response.status_code == 302
    page = client.get("/account").text
    assert "Your profile is saved." in page
    assert 'value="Ana María"' in page
    assert _user(app, "ana@example.com").avatar_color == "violet"
    assert "avatar--violet" in page


def test_an_unknown_avatar_colour_is_refused(logged_in):
    client, _ = logged_in()
    response = post_form(client, "/account", {"display_name": "Ana", "avatar_color": "plaid"},
                         action="/account/profile")
    assert response.status_code == 422
    assert "Choose one of the options." in response.text


def test_changing_email_takes_effect_only_after_the_new_address_is_confirmed(app, logged_in, mailbox):
    client, user = logged_in(email="ana@example.com")

    response = post_form(client, "/account", {"new_email": "Ana.New@Example.com",
                                              "password": "correct-horse-battery"}, action="/account/email")
    assert response.status_code == 302
    assert _user(app, "ana@example.com").pending_email == "ana.new@example.com"
    notice = mailbox.wait_for("ana@example.com")[0]
    assert notice["Subject"] == "Your Puchi email address is about to change"
    confirm = mailbox.wait_for("ana.new@example.com")[0]

    assert follow_email_link(client, link_in(confirm, "/verify-email/")).status_code == 302
    assert _user(app, "ana.new@example.com") is not None
    assert _user(app, "ana@example.com") is None
    AuthActions(client).log_out()
    assert AuthActions(client).log_in("ana.new@example.com").status_code == 302


def test_an_email_change_can_be_cancelled(app, logged_in):
    client, _ = logged_in(email="ana@example.com")
    post_form(client, "/account", {"new_email": "ana.new@example.com", "password": "correct-horse-battery"},
              action="/account/email")
    post_form(client, "/account", {}, action="/account/email/cancel")
    assert _user(app, "ana@example.com").pending_email is None


def test_email_change_needs_the_password_and_a_free_address(logged_in, make_user):
    make_user("taken@example.com")
    client, _ = logged_in(email="ana@example.com")

    wrong_password = post_form(client, "/account", {"new_email": "new@example.com", "password": "nope-nope-nope"},
                               action="/account/email")
    assert wrong_password.status_code == 422
    assert "That is not your current password." in wrong_password.text

    taken = post_form(client, "/account", {"new_email": "TAKEN@example.com", "password": "correct-horse-battery"},
                      action="/account/email")
    assert taken.status_code == 422
    assert "An account already uses this email address" in taken.text


def test_preferences_are_saved_and_change_the_interface(app, logged_in):
    client, _ = logged_in(email="ana@example.com")

    response = post_form(client, "/account/preferences", {
        "locale": "es", "timezone": "America/Mexico_City", "daily_goal": "50", "theme": "dark",
        "sound_effects": "", "desired_retention": "0.95",
    })
    assert response.status_code == 302
    user = _user(app, "ana@example.com")
    assert (user.locale, user.timezone, user.daily_goal, user.theme, user.sound_effects, user.desired_retention) == (
        "es", "America/Mexico_City", 50, "dark", False, 0.95)
    page = client.get("/account/preferences")
    assert '<html lang="es" dir="ltr" data-theme="dark">' in page.text


def test_preferences_outside_the_choices_are_refused_next_to_their_fields(app, logged_in):
    client, _ = logged_in(email="ana@example.com")
    response = post_form(client, "/account/preferences", {
        "locale": "xx", "timezone": "Mars/Olympus", "daily_goal": "7", "theme": "neon", "desired_retention": "2",
    })
    assert response.status_code == 422
    assert response.text.count("Choose one of the options.") == 5
    assert _user(app, "ana@example.com").locale == "en"


def test_a_learner_logs_out_every_other_session(app, logged_in):
    phone, user = logged_in(email="ana@example.com")
    laptop = app.test_client()
    AuthActions(laptop).log_in("ana@example.com")
    assert "Log out everywhere else" in laptop.get("/account").text

    response = post_form(laptop, "/account", {}, action="/account/sessions/revoke-others")
    assert "Logged out of 1 other session." in laptop.get(response.headers["Location"]).text
    assert laptop.get("/home").status_code == 200
    assert phone.get("/home").status_code == 302


def _ask_to_move(client, new_email):
    return post_form(client, "/account", {"new_email": new_email, "password": "correct-horse-battery"},
                     action="/account/email")


def test_an_unconfirmed_email_change_does_not_stop_the_owner_of_the_address_signing_up(app, logged_in, mailbox):
    squatter, _ = logged_in(email="mallory@example.com")
    assert _ask_to_move(squatter, "ana@example.com").status_code == 302
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/verify-email/")

    owner = AuthActions(app.test_client())
    assert owner.sign_up("ana@example.com", display_name="Ana").status_code == 200
    assert owner.log_in("ana@example.com").status_code == 302
    assert _user(app, "ana@example.com").display_name == "Ana"

    # The pending change then fails cleanly, once, and is forgotten.
    response = follow_email_link(app.test_client(), link)
    assert response.status_code == 409
    assert "This address now belongs to another account" in response.text
    assert _user(app, "mallory@example.com").pending_email is None
    assert "Waiting for you to confirm" not in squatter.get("/account").text


def test_an_email_change_lapses_after_the_configured_time(app, logged_in, mailbox):
    import time_machine

    client, _ = logged_in(email="ana@example.com")
    app.config["EMAIL_CHANGE_MAX_AGE"] = 60 * 60
    _ask_to_move(client, "ana.new@example.com")
    link = link_in(mailbox.wait_for("ana.new@example.com")[0], "/verify-email/")
    assert "Waiting for you to confirm ana.new@example.com" in client.get("/account").text

    with time_machine.travel(_user(app, "ana@example.com").pending_email_expires_at, tick=False):
        assert "Waiting for you to confirm" not in client.get("/account").text
        assert "Please confirm" not in client.get("/home").text
        response = follow_email_link(client, link)
        assert response.status_code == 410
        assert _user(app, "ana@example.com").waiting_email is None
    assert _user(app, "ana.new@example.com") is None


def test_two_accounts_may_wait_for_the_same_address_and_the_first_to_confirm_gets_it(app, logged_in, mailbox):
    ana, _ = logged_in(email="ana@example.com")
    ben, _ = logged_in(email="ben@example.com")
    _ask_to_move(ana, "shared@example.com")
    _ask_to_move(ben, "shared@example.com")
    links = [link_in(message, "/verify-email/") for message in mailbox.wait_for("shared@example.com", count=2)]

    assert follow_email_link(ana, links[0]).status_code == 302
    assert follow_email_link(ben, links[1]).status_code == 409
    moved = [email for email in ("ana@example.com", "ben@example.com") if _user(app, email) is None]
    assert len(moved) == 1 and _user(app, "shared@example.com") is not None


def test_the_time_zone_menu_lists_canonical_zones_by_region_in_the_readers_language(app, logged_in):
    import re

    client, _ = logged_in(email="ana@example.com")
    page = client.get("/account/preferences").text
    menu = page.split('id="timezone"')[1].split("</select>")[0]
    assert 450 > menu.count("<option") > 350  # zone.tab's zones and UTC, not ~600 names with the aliases
    assert '<optgroup label="Europe">' in menu and '<optgroup label="Americas">' in menu
    assert re.search(r'<option value="Europe/Madrid" >Madrid \(Spain\)</option>', menu)
    assert 'value="US/Eastern"' not in menu and 'value="Etc/GMT+5"' not in menu
    assert "data-detect-timezone=" in page  # the browser's zone is offered (app.js)

    # A learner whose zone is an old alias still sees it chosen, and it stays a valid answer.
    post_form(client, "/account/preferences", {"locale": "es", "timezone": "US/Eastern", "daily_goal": "20",
                                               "theme": "system", "desired_retention": "0.9"})
    page = client.get("/account/preferences").text
    assert '<option value="US/Eastern" selected>' in page
    assert '<optgroup label="Europa">' in page and ">Madrid (España)</option>" in page
