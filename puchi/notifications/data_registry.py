"""Notifications' tables in the personal-data registry (puchi/core/personal_data.py).

Besides the learner's own rows, other learners' notifications about them ("Ana cheered you on") carry their
name and username: those go too.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import delete, or_

from puchi.accounts.models import User
from puchi.core import personal_data
from puchi.core.db import db
from puchi.core.personal_data import Rule
from puchi.notifications.models import (
    ChannelPreference,
    Delivery,
    Notification,
    NotificationSchedule,
    PhoneNumber,
    PushSubscription,
)
from puchi.social import services as social


def register(app: Flask) -> None:
    personal_data.register(
        app, Notification.__tablename__, rule=Rule.ERASE, order=40,  # before social forgets the username
        export=personal_data.rows_where(Notification, Notification.user_id), erase=_erase_notifications)
    personal_data.register_owned(app, ChannelPreference)
    personal_data.register_owned(app, Delivery)
    personal_data.register_owned(app, NotificationSchedule)
    personal_data.register_owned(app, PushSubscription, exclude=("p256dh", "auth", "session_key_hash"),
                                 why="browsers subscribed to push: deleting them stops every push at once")
    personal_data.register_owned(app, PhoneNumber, exclude=("code_hash",))


def _erase_notifications(user_id: int) -> None:
    about_them = Notification.user_id == user_id
    user = db.session.get(User, user_id)
    if user is not None:
        username = social.profile_of(user).username
        about_them = or_(about_them, Notification.data["username"].as_string() == username)
    db.session.execute(delete(Notification).where(about_them).execution_options(synchronize_session=False))
