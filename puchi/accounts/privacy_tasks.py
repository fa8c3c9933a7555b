"""Outbox handlers of accounts' privacy features: the emails about deletion and new devices."""

from __future__ import annotations

from typing import Any

from puchi.accounts import devices
from puchi.accounts.models import User, UserSession
from puchi.core import mail
from puchi.core.db import db


def _user(payload: dict[str, Any]) -> User | None:
    user = db.session.get(User, int(payload["user_id"]))
    return None if user is None or user.deleted_at is not None else user


def send_deletion_scheduled_email(payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None or user.deletion_due_at is None:
        return  # cancelled before the email left: nothing to say
    mail.send(mail.render_message("deletion_scheduled", to=user.email, locale=user.locale, user=user,
                                  due_at=user.deletion_due_at, link=mail.absolute_url("privacy.privacy")))


def send_deletion_cancelled_email(payload: dict[str, Any]) -> None:
    user = _user(payload)
    if user is None:
        return
    mail.send(mail.render_message("deletion_cancelled", to=user.email, locale=user.locale, user=user,
                                  link=mail.absolute_url("accounts.account")))


def send_new_device_email(payload: dict[str, Any]) -> None:
    user = _user(payload)
    session = db.session.get(UserSession, int(payload["session_id"]))
    if user is None or session is None:
        return
    mail.send(mail.render_message("new_device", to=user.email, locale=user.locale, user=user,
                                  device=devices.label(session), place=session.place, when=session.created_at,
                                  link=mail.absolute_url("accounts.account")))
