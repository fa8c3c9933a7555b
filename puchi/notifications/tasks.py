"""Outbox handlers of the notification centre: nudging the learner's open tabs in real time."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core import realtime
from puchi.core.db import db
from puchi.notifications import services
from puchi.notifications.models import Notification


def push_notification(payload: dict[str, Any]) -> None:
    """Send the new unread count and a toast for the notification to every open tab of its learner."""
    notification = db.session.scalar(select(Notification).where(Notification.source == payload["source"]))
    if notification is None:
        return
    user = db.session.get(User, notification.user_id)
    if user is None:
        return
    # Links in the fragment are built as in a request to the site (a worker has none of its own).
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), force_locale(user.locale):
        html = render_template("notifications/_live.html", notification=notification,
                               unread=services.unread_count(user))
    realtime.publish(user.id, html)
