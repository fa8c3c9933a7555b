"""Delivery channels (email, web push, SMS): preferences, adapters, sending once, unsubscribing.

A notification goes out on a channel when the learner wants that kind there (their choice, else the kind's
default) and can be reached there (an email address, a subscribed browser, a verified number). Each channel
is a small adapter, kept on the app (notifications' ``init_app`` adds them, so two apps never share them);
sending happens in an outbox job. Each send has a key under a unique constraint, so a job that runs twice (a
retry, a worker that died after sending) sends once. Quiet hours hold a send back until they end. Email
carries a one-click unsubscribe (RFC 8058).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.billing import services as billing
from puchi.core import events, mail, outbox
from puchi.core.db import action, db, now
from puchi.core.errors import Invalid, NotFound
from puchi.core.upserts import insert_if_missing, insert_or_add
from puchi.notifications import schedule
from puchi.notifications.events import DeliveryRetried
from puchi.notifications.models import (
    ALWAYS_ON,
    BILLING_KINDS,
    KIND_CHANNELS,
    KIND_DEFAULTS,
    ChannelPreference,
    Delivery,
    Notification,
)


class Undeliverable(Exception):
    """The channel can no longer reach the learner there (say, a push subscription that has gone):
    the send is recorded as dropped and not retried."""


@dataclass(frozen=True)
class Adapter:
    name: str
    reachable: Callable[[User], bool]  # has this learner somewhere to receive it?
    send: Callable[[User, Notification], None]  # raises to be retried, Undeliverable to give up


_KEY = "puchi.channel_adapters"


def add_adapter(app: Flask, name: str, *, reachable: Callable[[User], bool],
                send: Callable[[User, Notification], None]) -> None:
    app.extensions.setdefault(_KEY, {})[name] = Adapter(name, reachable, send)


def _adapters() -> dict[str, Adapter]:
    adapters: dict[str, Adapter] = current_app.extensions.get(_KEY, {})
    return adapters


def adapter(name: str) -> Adapter:
    return _adapters()[name]


def target(notification: Notification) -> str:
    """Where the notification leads (a path on this site): the same on every channel."""
    from flask import url_for

    data, kind = notification.data or {}, notification.kind
    if kind in ("followed", "cheer") and data.get("username"):
        return url_for("social.profile", username=data["username"])
    if kind in ("promoted", "demoted"):
        return url_for("progress.league")
    if kind == "achievement":
        return url_for("progress.achievements_page")
    if kind == "weekly":
        return url_for("progress.stats")
    if kind in ("reminder", "nudge"):
        return url_for("learning.continue_learning")
    if kind == "receipt":
        return url_for("billing_receipts.receipts")
    if kind in BILLING_KINDS:
        manage = data.get("manage")  # billing's page for the subscription, a path on this site
        return manage if isinstance(manage, str) and manage.startswith("/") and not manage.startswith("//") \
            else url_for("pages.home")
    return url_for("notifications.centre")


def line(notification: Notification) -> str:
    """The notification in one line of plain text, in the current locale: the same words on every channel.

    A plain ``str`` on purpose: it holds what learners wrote (a friend's name), so an HTML template that shows
    it (``{{ notification_line(n) }}``) escapes it. Never ``{% include %}`` the text partial into HTML: Jinja
    does not autoescape a ``.txt`` template, wherever it is included.
    """
    rendered = current_app.jinja_env.get_template("emails/_notification_line.txt").render(notification=notification)
    return str(rendered).strip()


def preferences(user: User) -> dict[tuple[str, str], bool]:
    """Every (kind, channel) the kind can use, with whether it is on for this learner."""
    chosen = {(p.kind, p.channel): p.enabled for p in db.session.scalars(
        select(ChannelPreference).where(ChannelPreference.user_id == user.id))}
    return {(kind, channel): (kind, channel) in ALWAYS_ON or chosen.get((kind, channel), channel in KIND_DEFAULTS[kind])
            for kind, kind_channels in KIND_CHANNELS.items() for channel in kind_channels}


NOTIFICATIONS_CONSENT = "notifications"


@action
def set_preferences(user: User, enabled: set[tuple[str, str]]) -> None:
    """Switch on exactly the (kind, channel) pairs in ``enabled`` (those ALWAYS_ON stay on). Commits."""
    unknown = {pair for pair in enabled if pair[1] not in KIND_CHANNELS.get(pair[0], ())}
    if unknown:
        message = _l("Choose one of the options.")
        raise Invalid(message, fields={"form": [message]}, code="unknown_channel")
    for kind, kind_channels in KIND_CHANNELS.items():
        for channel in kind_channels:
            insert_or_add(ChannelPreference, {"user_id": user.id, "kind": kind, "channel": channel}, {},
                          enabled=(kind, channel) in enabled)
    # GDPR: what the learner agreed to receive, with the text's version and the time (puchi/accounts/consents.py).
    accounts.record_consent(user.id, NOTIFICATIONS_CONSENT, bool(enabled), source="notification_settings",
                            choices=sorted(f"{kind}:{channel}" for kind, channel in enabled))


def consent_at_sign_up(row: Any, _event: Any) -> None:
    """A new account starts with the default channels: recorded as what it agreed to at sign-up."""
    if row.actor_id is not None:
        defaults = sorted(f"{kind}:{channel}" for kind, kind_channels in KIND_DEFAULTS.items()
                          for channel in kind_channels)
        accounts.record_consent(row.actor_id, NOTIFICATIONS_CONSENT, True, source="sign_up", choices=defaults)


def wanted(user_id: int, kind: str, channel: str) -> bool:
    if channel not in KIND_CHANNELS.get(kind, ()):
        return False
    if (kind, channel) in ALWAYS_ON:
        return True
    choice = db.session.scalar(select(ChannelPreference.enabled).where(
        ChannelPreference.user_id == user_id, ChannelPreference.kind == kind, ChannelPreference.channel == channel))
    return channel in KIND_DEFAULTS[kind] if choice is None else bool(choice)


def queue_deliveries(notification_source: str, user_id: int, kind: str) -> None:
    """Called in the notification's transaction: one outbox message per channel that wants and can reach the
    learner, held back until their quiet hours end."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    not_before = schedule.quiet_until(user, now())
    chosen = dict(db.session.execute(select(ChannelPreference.channel, ChannelPreference.enabled).where(
        ChannelPreference.user_id == user_id, ChannelPreference.kind == kind)).all())  # one query, all channels
    adapters = _adapters()
    for channel in KIND_CHANNELS.get(kind, ()):
        on = (kind, channel) in ALWAYS_ON or chosen.get(channel, channel in KIND_DEFAULTS[kind])
        if on and channel in adapters and adapters[channel].reachable(user):
            outbox.add("notifications.deliver", {"source": notification_source, "channel": channel},
                       not_before=not_before)


# --- Unsubscribing ------------------------------------------------------------------------------------------

def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="puchi.unsubscribe")


def unsubscribe_token(user_id: int, kind: str, channel: str) -> str:
    return _signer().dumps({"u": user_id, "k": kind, "c": channel})


@action
def unsubscribe(token: str) -> tuple[User, str]:
    """Turn off the kind and channel a link names. Commits. :raises NotFound: a damaged or forged link."""
    try:
        data = _signer().loads(token)
        user = db.session.get(User, int(data["u"]))
        kind, channel = str(data["k"]), str(data["c"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise NotFound from error
    if user is None or channel not in KIND_CHANNELS.get(kind, ()) or (kind, channel) in ALWAYS_ON:
        raise NotFound
    insert_or_add(ChannelPreference, {"user_id": user.id, "kind": kind, "channel": channel}, {}, enabled=False)
    return user, kind


# --- Sending ------------------------------------------------------------------------------------------------

def gave_up(payload: dict[str, Any], error: str) -> None:
    """Every attempt failed: the send shows in the failed list, where an operator can retry it."""
    key = payload.get("key") or f"{payload['source']}:{payload['channel']}"
    db.session.execute(update(Delivery).where(Delivery.key == key, Delivery.status == "retrying")
                       .values(status="failed", last_error=error[:2000]))


def deliver(payload: dict[str, Any]) -> None:
    """Send one notification on one channel, once."""
    notification = db.session.scalar(select(Notification).where(Notification.source == payload["source"]))
    channel, adapters = str(payload["channel"]), _adapters()
    if notification is None or channel not in adapters or not wanted(notification.user_id, notification.kind,
                                                                      channel):
        return

    def send() -> None:
        user = db.session.get(User, notification.user_id)
        if user is None:
            raise Undeliverable("the account is gone")
        adapters[channel].send(user, notification)

    send_once(f"{notification.source}:{channel}", notification, channel, send)


def send_once(key: str, notification: Notification, channel: str, send: Callable[[], None]) -> None:
    """Run ``send`` under the delivery ``key``, once: a key already sent (or dropped) sends nothing more.

    Three actions, with the send between them: the attempt is recorded before anything leaves (a worker that
    dies mid-send leaves a delivery not yet sent, which the relay's rerun sends), and its outcome after:
    sent; dropped on ``Undeliverable``; retrying on any other error, which goes up for the outbox to retry
    (after the last attempt, ``gave_up`` marks it failed). ``send`` may run actions of its own.
    """
    if not _start_attempt(key, notification, channel):
        return  # already done: a retried job sends nothing more
    try:
        send()
    except Undeliverable as error:
        db.session.rollback()  # whatever the failed send left unfinished is not kept
        _finish(key, "dropped", str(error))
        return
    except Exception as error:
        db.session.rollback()
        _finish(key, "retrying", f"{type(error).__name__}: {error}")
        raise
    _finish(key, "sent", None)


@action
def _start_attempt(key: str, notification: Notification, channel: str) -> bool:
    """Count an attempt at the delivery ``key`` (made if missing); False when it was sent or dropped already."""
    if not insert_if_missing(Delivery, {"key": key}, user_id=notification.user_id, channel=channel,
                             kind=notification.kind, status="sending", attempts=0, created_at=now()):
        existing = db.session.scalar(select(Delivery).where(Delivery.key == key))
        if existing is not None and existing.status in ("sent", "dropped"):
            return False
    db.session.execute(update(Delivery).where(Delivery.key == key).values(attempts=Delivery.attempts + 1,
                                                                          status="sending"))
    return True


@action
def _finish(key: str, status: str, error: str | None) -> None:
    values: dict[str, Any] = {"status": status, "last_error": error[:2000] if error else None}
    if status == "sent":
        values["sent_at"] = now()
    db.session.execute(update(Delivery).where(Delivery.key == key).values(**values))


def email_reachable(user: User) -> bool:
    # Only to confirmed addresses: a typo in a sign-up form must not send someone else our mail.
    return user.email_verified_at is not None


def send_email(user: User, notification: Notification) -> None:
    """Email: localized multipart, with a one-click unsubscribe from this kind of mail, unless it is one that
    cannot be switched off (``ALWAYS_ON``); a receipt carries its PDF, rendered by billing in their language."""
    always = (notification.kind, "email") in ALWAYS_ON
    link = None if always else mail.absolute_url("notifications.unsubscribe",
                                                 token=unsubscribe_token(user.id, notification.kind, "email"))
    headers = {} if link is None else {"List-Unsubscribe": f"<{link}>",
                                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    weekly = notification.kind == "weekly"
    extra: dict[str, Any] = {"week_from": date.fromisoformat(notification.data["from"]),
             "week_to": date.fromisoformat(notification.data["to"])} if weekly else {}
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        message = mail.render_message("weekly_report" if weekly else "notification", to=user.email,
                                      locale=user.locale, user=user, notification=notification,
                                      unsubscribe_link=link, billing_kind=notification.kind in BILLING_KINDS,
                                      **extra, headers=headers)
    if notification.kind == "receipt":
        invoice_id = (notification.data or {}).get("invoice_id")
        pdf = billing.receipt_attachment(user.id, invoice_id, user.locale) if isinstance(invoice_id, int) else None
        if pdf is not None:
            filename, content = pdf
            message.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    mail.send(message)


DELIVERY_STATUSES = ("failed", "retrying", "sending", "sent", "dropped")


def failed_deliveries(limit: int = 100) -> list[Delivery]:
    return deliveries_with_status("failed", limit)


def deliveries_with_status(status: str, limit: int = 100) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.status == status)
                                   .order_by(Delivery.id.desc()).limit(limit)))


def delivery_counts() -> dict[str, int]:
    rows = db.session.execute(select(Delivery.status, func.count(Delivery.id)).group_by(Delivery.status))
    return {status: 0 for status in DELIVERY_STATUSES} | {status: count for status, count in rows}


def recent_deliveries(user: User, limit: int = 20) -> list[Delivery]:
    """The learner's own send log: what went out to them, where, and whether it arrived."""
    return list(db.session.scalars(select(Delivery).where(Delivery.user_id == user.id)
                                   .order_by(Delivery.id.desc()).limit(limit)))


@action
def retry_delivery(delivery_id: int, actor_id: int | None = None) -> bool:
    """Send a failed delivery again (an operator's retry once the cause is fixed), recorded for the audit log
    with the operator as actor. Commits.

    Its outbox message has given up, so a new one is queued; the delivery key still makes it send once."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "failed":
        return False
    source, channel = delivery.key.rsplit(":", 1)
    delivery.status = "sending"
    outbox.add("notifications.deliver", {"source": source, "channel": channel})
    events.record(DeliveryRetried(channel=delivery.channel, kind=delivery.kind), actor_id=actor_id,
                  subject=("delivery", delivery.id))
    return True

