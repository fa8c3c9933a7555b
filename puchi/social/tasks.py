"""Outbox handlers of the social domain: a new direct message reaches the friend's open tabs."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from puchi.accounts.models import User
from puchi.core import realtime
from puchi.core.db import db
from puchi.social.models import DirectMessage
from puchi.social.services import profile_of


def push_message(payload: dict[str, Any]) -> None:
    message = db.session.get(DirectMessage, int(payload["message_id"]))
    if message is None:
        return
    sender, recipient = db.session.get(User, message.sender_id), db.session.get(User, message.recipient_id)
    if sender is None or recipient is None:
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), force_locale(recipient.locale):
        html = render_template("social/_message_live.html", message=message, sender=sender,
                               sender_username=profile_of(sender).username)
    realtime.publish(recipient.id, html)
