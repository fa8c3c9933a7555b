"""Delivery channels (email today; web push and SMS join here): preferences, sending once, unsubscribing.

A notification goes out on a channel when the learner wants that kind there (their choice, else the kind's
default). Each send has a key under a unique constraint, so a job that runs twice (a retry, a worker that
died after sending) sends once; email carries a one-click unsubscribe (RFC 8058).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from puchi.accounts.models import User
from puchi.core import mail, outbox
from puchi.core.db import commit, db, now
from puchi.core.errors import Invalid, NotFound
from puchi.core.upserts import insert_if_missing, insert_or_add
from puchi.notifications.models import CHANNELS, KIND_DEFAULTS, ChannelPreference, Delivery, Notification


def preferences(user: User) -> dict[tuple[str, str], bool]:
    """Every (kind, channel) with whether it is on for this learner."""
    chosen = {(p.kind, p.channel): p.enabled for p in db.session.scalars(
        select(ChannelPreference).where(ChannelPreference.user_id == user.id))}
    return {(kind, channel): chosen.get((kind, channel), default)
            for kind, default in KIND_DEFAULTS.items() for channel in CHANNELS}


def set_preferences(user: User, enabled: set[tuple[str, str]]) -> None:
    """Switch on exactly the (kind, channel) pairs in ``enabled``. Commits."""
    unknown = {pair for pair in enabled if pair[0] not in KIND_DEFAULTS or pair[1] not in CHANNELS}
    if unknown:
        raise Invalid(fields={"form": ["unknown notification kind or channel"]})
    for kind in KIND_DEFAULTS:
        for channel in CHANNELS:
            insert_or_add(ChannelPreference, {"user_id": user.id, "kind": kind, "channel": channel}, {},
                          enabled=(kind, channel) in enabled)
    commit()


def wanted(user_id: int, kind: str, channel: str) -> bool:
    if kind not in KIND_DEFAULTS:
        return False
    choice = db.session.scalar(select(ChannelPreference.enabled).where(
        ChannelPreference.user_id == user_id, ChannelPreference.kind == kind, ChannelPreference.channel == channel))
    return KIND_DEFAULTS[kind] if choice is None else bool(choice)


def queue_deliveries(notification_source: str, user_id: int, kind: str) -> None:
    """Called in the notification's transaction: one outbox message per channel the learner wants."""
    for channel in CHANNELS:
        if wanted(user_id, kind, channel):
            outbox.add("notifications.deliver", {"source": notification_source, "channel": channel})


# --- Unsubscribing ------------------------------------------------------------------------------------------

def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="puchi.unsubscribe")


def unsubscribe_token(user_id: int, kind: str, channel: str) -> str:
    return _signer().dumps({"u": user_id, "k": kind, "c": channel})


def unsubscribe(token: str) -> tuple[User, str]:
    """Turn off the kind and channel a link names. Commits. :raises NotFound: a damaged or forged link."""
    try:
        data = _signer().loads(token)
        user = db.session.get(User, int(data["u"]))
        kind, channel = str(data["k"]), str(data["c"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise NotFound from error
    if user is None or kind not in KIND_DEFAULTS or channel not in CHANNELS:
        raise NotFound
    insert_or_add(ChannelPreference, {"user_id": user.id, "kind": kind, "channel": channel}, {}, enabled=False)
    commit()
    return user, kind


# --- Sending ------------------------------------------------------------------------------------------------

@outbox.handler("notifications.deliver")
def deliver(payload: dict[str, Any]) -> None:
    """Send one notification on one channel, once."""
    notification = db.session.scalar(select(Notification).where(Notification.source == payload["source"]))
    channel = str(payload["channel"])
    if notification is None or not wanted(notification.user_id, notification.kind, channel):
        return
    key = f"{notification.source}:{channel}"
    if not insert_if_missing(Delivery, {"key": key}, user_id=notification.user_id, channel=channel,
                             kind=notification.kind, status="sending", attempts=0, created_at=now()):
        existing = db.session.scalar(select(Delivery).where(Delivery.key == key))
        if existing is not None and existing.status == "sent":
            return  # already sent: a retried job sends nothing more
    db.session.execute(update(Delivery).where(Delivery.key == key).values(attempts=Delivery.attempts + 1))
    db.session.commit()
    user = db.session.get(User, notification.user_id)
    try:
        if channel == "email" and user is not None:
            _send_email(user, notification)
    except Exception as error:
        db.session.rollback()
        db.session.execute(update(Delivery).where(Delivery.key == key)
                           .values(status="failed", last_error=f"{type(error).__name__}: {error}"[:2000]))
        db.session.commit()
        raise  # the outbox retries with back-off
    db.session.execute(update(Delivery).where(Delivery.key == key).values(status="sent", sent_at=now(),
                                                                          last_error=None))
    db.session.commit()


def _send_email(user: User, notification: Notification) -> None:
    token = unsubscribe_token(user.id, notification.kind, "email")
    link = mail.absolute_url("notifications.unsubscribe", token=token)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        message = mail.render_message("notification", to=user.email, locale=user.locale, user=user,
                                      notification=notification, unsubscribe_link=link,
                                      headers={"List-Unsubscribe": f"<{link}>",
                                               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    mail.send(message)


def failed_deliveries(limit: int = 100) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.status == "failed")
                                   .order_by(Delivery.id.desc()).limit(limit)))
