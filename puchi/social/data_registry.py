"""Social's tables in the personal-data registry (puchi/core/personal_data.py).

Messages are the one place another learner's copy matters: a conversation with a friend who still has an
account stays, shown as from "Deleted user" (the account row's anonymous stub); one whose other side is
deleted too goes.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import delete, or_, select

from puchi.accounts.models import User
from puchi.core import personal_data
from puchi.core.db import db
from puchi.core.personal_data import Rule
from puchi.social.models import PRIVATE, Block, Cheer, DirectMessage, Follow, Nudge, Report, SocialProfile


def register(app: Flask) -> None:
    personal_data.register(
        app, SocialProfile.__tablename__, rule=Rule.ANONYMISE, order=80,  # after notifications read the username
        why="the username becomes deleted_<id> and the profile private, so conversations others keep still "
            "have a name to show",
        export=personal_data.rows_where(SocialProfile, SocialProfile.user_id), erase=_anonymise_profile)
    for model, first, second in ((Follow, Follow.follower_id, Follow.followed_id),
                                 (Block, Block.blocker_id, Block.blocked_id),
                                 (Cheer, Cheer.sender_id, Cheer.recipient_id),
                                 (Nudge, Nudge.sender_id, Nudge.recipient_id),
                                 (Report, Report.reporter_id, Report.reported_id)):
        personal_data.register(app, model.__tablename__, rule=Rule.ERASE,
                               export=personal_data.rows_where(model, first, second),
                               erase=personal_data.delete_where(model, first, second))
    personal_data.register(
        app, DirectMessage.__tablename__, rule=Rule.ANONYMISE,
        why="messages with a friend who keeps their account stay in that friend's conversation, from "
            "\"Deleted user\"; messages whose other side is deleted too are deleted",
        export=personal_data.rows_where(DirectMessage, DirectMessage.sender_id, DirectMessage.recipient_id),
        erase=_erase_messages)


def _anonymise_profile(user_id: int) -> None:
    profile = db.session.get(SocialProfile, user_id)
    if profile is not None:
        profile.username, profile.visibility = f"deleted_{user_id}", PRIVATE


def _erase_messages(user_id: int) -> None:
    gone = select(User.id).where(User.deleted_at.is_not(None))
    mine = or_(DirectMessage.sender_id == user_id, DirectMessage.recipient_id == user_id)
    with_the_deleted = or_(DirectMessage.sender_id.in_(gone), DirectMessage.recipient_id.in_(gone),
                           DirectMessage.sender_id == DirectMessage.recipient_id)
    db.session.execute(delete(DirectMessage).where(mine, with_the_deleted)
                       .execution_options(synchronize_session=False))
