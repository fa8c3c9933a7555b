"""Outbox handlers of the accounts domain: the emails an account receives. Each loads by id and sends."""

from __future__ import annotations

from typing import Any

from puchi.accounts import services, tokens
from puchi.accounts.models import User
from puchi.core import mail
from puchi.core.db import db


def _user(payload: dict[str, Any]) -> User | None:
    return db.session.get(User, int(payload["user_id"]))


def send_verification_email(payload: dict[str, Any]) -> None:
    user = _user(payload)
    email = str(payload["email"])
    if user is None or email not in {user.email, user.waiting_email}:
        return  # the account or the address it wanted to confirm is gone: nothing to confirm
    token = tokens.make_token(tokens.VERIFY_EMAIL, user.id, email)
    link = mail.absolute_url("accounts.verify_email", token=token)
    # A guest's pending address is its sign-up (puchi/accounts/guests.py), not a change of address.
    template = "change_email_verify" if email == user.waiting_email and not user.is_guest else "verify_email"
    mail.send(mail.render_message(template, to=email, locale=user.locale, user=user, link=link))


def send_password_reset_email(payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None:
        return
    token = services.reset_token_for(user)
    link = mail.absolute_url("accounts.reset_password", token=token)
    mail.send(mail.render_message("reset_password", to=user.email, locale=user.locale, user=user, link=link))


def send_no_account_email(payload: dict[str, Any]) -> None:
    email = str(payload["email"])
    link = mail.absolute_url("accounts.sign_up")
    mail.send(mail.render_message("no_account", to=email, locale=str(payload.get("locale") or "en"),
                                  email=email, link=link))


def send_password_changed_email(payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None:
        return
    link = mail.absolute_url("accounts.forgot_password")
    mail.send(mail.render_message("password_changed", to=user.email, locale=user.locale, user=user, link=link))


def send_email_change_notice(payload: dict[str, Any]) -> None:
    """Tell the old address that someone asked to move the account away from it."""
    user = _user(payload)
    if user is None:
        return
    link = mail.absolute_url("accounts.forgot_password")
    mail.send(mail.render_message("email_change_notice", to=user.email, locale=user.locale, user=user,
                                  new_email=str(payload["new_email"]), link=link))


def send_account_exists_email(payload: dict[str, Any]) -> None:
    """Someone tried to sign up with this address: tell its owner, in their language, how to get in."""
    user = _user(payload)
    if user is None:
        return
    mail.send(mail.render_message("account_exists", to=user.email, locale=user.locale, user=user,
                                  log_in_link=mail.absolute_url("accounts.log_in"),
                                  reset_link=mail.absolute_url("accounts.forgot_password")))
