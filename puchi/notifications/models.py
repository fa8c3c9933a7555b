"""In-app notifications: what happened that concerns a learner, read or not yet."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from puchi.core.db import JSONType, Model, UTCDateTime, db, now


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str | None] = mapped_column(String(64), unique=True)  # the event it came from: once each
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


CHANNELS = ("email", "push", "sms")

# Kinds a learner can be told about, and the channels each goes to unless they choose otherwise. Push and
# SMS reach only those who subscribed a device or verified a number, so a default there is an opt-in already.
KIND_DEFAULTS: dict[str, frozenset[str]] = {
    "followed": frozenset({"push"}),
    "cheer": frozenset({"push"}),
    "nudge": frozenset({"push", "email"}),
    "achievement": frozenset({"push"}),
    "promoted": frozenset({"email", "push"}),
    "demoted": frozenset(),
    "reminder": frozenset({"push", "email"}),
    "weekly": frozenset({"email"}),
    # Billing's (from its events): a subscription's welcome, its trial's end, payments and receipts.
    "billing_welcome": frozenset({"email"}),
    "trial_ending": frozenset({"email", "push"}),
    "payment_failed": frozenset({"email", "push"}),
    "payment_action": frozenset({"email", "push"}),
    "receipt": frozenset({"email"}),
    # Moderation's (social's events): a report's outcome for the reporter, a warning for the reported learner.
    "report_outcome": frozenset(),
    "moderation_warning": frozenset({"email"}),
}
BILLING_KINDS = frozenset({"billing_welcome", "trial_ending", "payment_failed", "payment_action", "receipt"})
MODERATION_KINDS = frozenset({"report_outcome", "moderation_warning"})
_EMAIL_ONLY = frozenset({"weekly", "receipt"})  # a report and a document with a PDF: emails by nature
# Channels a kind can go to at all (reports and receipts are emails; billing's news is not worth an SMS).
KIND_CHANNELS: dict[str, tuple[str, ...]] = {
    kind: ("email",) if kind in _EMAIL_ONLY else ("email", "push") if kind in BILLING_KINDS | MODERATION_KINDS
    else CHANNELS
    for kind in KIND_DEFAULTS}
# Transactional email a learner cannot switch off: a receipt is the record of a payment (and tax law may want
# the seller to issue one), a failed or unconfirmed payment is about to cost them their perks, and card
# networks require a notice before a free trial turns into a charge. Push for the same kinds stays optional;
# the welcome is a nicety and can be switched off like any other kind.
ALWAYS_ON: frozenset[tuple[str, str]] = frozenset({("receipt", "email"), ("payment_failed", "email"),
                                                   ("payment_action", "email"), ("trial_ending", "email"),
                                                   ("moderation_warning", "email")})  # the warning must arrive
# Kinds that are messages to the learner rather than news: not listed in the notification centre.
OUTSIDE_CENTRE = frozenset({"reminder", "weekly", "receipt"})


class ChannelPreference(Model):
    """A learner's choice for one kind of notification on one channel (absent: the kind's default)."""

    __tablename__ = "channel_preferences"
    __table_args__ = (db.UniqueConstraint("user_id", "kind", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Delivery(Model):
    """One send of one notification on one channel: its key makes a retried job send it once."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    # sending, sent, retrying (an attempt failed, more to come), failed (all did), dropped (unreachable)
    status: Mapped[str] = mapped_column(String(12), default="sending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)  # sends per period
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationSchedule(Model):
    """When a learner wants to hear from us: quiet hours, the daily reminder, the weekly report (absent: defaults)."""

    __tablename__ = "notification_schedules"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    quiet_start: Mapped[time | None] = mapped_column(Time)  # local time; both set or both empty
    quiet_end: Mapped[time | None] = mapped_column(Time)
    reminder_time: Mapped[time] = mapped_column(Time, default=time(19, 0))
    reminders_on: Mapped[bool] = mapped_column(Boolean, default=True)
    weekly_day: Mapped[int] = mapped_column(default=6)  # Monday 0 … Sunday 6
    weekly_on: Mapped[bool] = mapped_column(Boolean, default=True)


class PushSubscription(Model):
    """A browser's Web Push subscription (its endpoint and the keys that encrypt payloads for it)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # The login that subscribed: logging out of that browser removes it, so a shared computer does not
    # keep showing the previous learner's notifications.
    session_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PhoneNumber(Model):
    """A learner's number for SMS: usable once verified by a code sent to it."""

    __tablename__ = "phone_numbers"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str] = mapped_column(String(20))  # E.164
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_hash: Mapped[str | None] = mapped_column(String(128))
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_attempts: Mapped[int] = mapped_column(default=0)
    codes_sent: Mapped[int] = mapped_column(default=0)
    code_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
