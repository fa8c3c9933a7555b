"""The notification centre: notifications made from domain events, listed, counted and marked read."""

from __future__ import annotations

from sqlalchemy import func, select, update

from puchi.accounts import services as accounts
from puchi.accounts.events import ProfileHidden, ProfileUnhidden
from puchi.accounts.models import User
from puchi.billing import services as billing
from puchi.billing.events import InvoicePaid, PaymentActionRequired, PaymentFailed, PremiumStarted, TrialEnding
from puchi.core import events, outbox
from puchi.core.db import action, db, rowcount
from puchi.core.errors import NotFound
from puchi.core.periods import Range
from puchi.core.upserts import insert_if_missing
from puchi.notifications import channels
from puchi.notifications.models import OUTSIDE_CENTRE, Delivery, Notification
from puchi.progress.events import AchievementUnlocked, LeagueDemoted, LeagueMove, LeaguePromoted
from puchi.social import services as social
from puchi.social.events import LearnerWarned, ReportResolved, UserCheered, UserFollowed, UserNudged

PAGE_SIZE = 50


def notify(user_id: int, kind: str, data: dict, source: str) -> None:
    """Record a notification in the current transaction; ``source`` makes it happen once. Does not commit.

    Once committed, the learner's open tabs are nudged in real time (through the outbox, so a rolled-back
    change nudges nobody and a worker can do it).
    """
    in_centre = kind not in OUTSIDE_CENTRE  # a reminder is sent, not listed
    if insert_if_missing(Notification, {"source": source}, user_id=user_id, kind=kind, data=data,
                         read=not in_centre):
        if in_centre:
            outbox.add("notifications.push", {"source": source})
        channels.queue_deliveries(source, user_id, kind)


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read.is_(False))) or 0  # outside-centre kinds are born read


def latest(user: User, limit: int = PAGE_SIZE) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                              Notification.kind.not_in(OUTSIDE_CENTRE))
                                   .order_by(Notification.id.desc()).limit(limit)))


@action
def mark_read(user: User, notification_id: int) -> None:
    """Commits. :raises NotFound: not one of this learner's notifications."""
    result = db.session.execute(update(Notification).where(Notification.id == notification_id,
                                                           Notification.user_id == user.id).values(read=True))
    if rowcount(result) != 1:
        raise NotFound


@action
def mark_all_read(user: User) -> int:
    """Commits; returns how many were unread."""
    result = db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                           Notification.read.is_(False)).values(read=True))
    return rowcount(result)


# --- From events --------------------------------------------------------------------------------------------

def _actor_name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.public_name if user else ""


def on_followed(event: events.Event, followed: UserFollowed) -> None:
    actor = db.session.get(User, event.actor_id)
    if actor is None or event.subject_id is None:
        return
    notify(event.subject_id, "followed", {"name": actor.public_name, "username": social.profile_of(actor).username,
                                          "mutual": followed.mutual},
           f"followed:{event.actor_id}:{event.subject_id}:{event.created_at.isoformat()}")


NAMING_KINDS = ("followed", "cheer", "nudge")  # notifications that name the learner who acted


def on_profile_hidden_or_shown(event: events.Event, _change: ProfileHidden | ProfileUnhidden) -> None:
    """Notifications that name a learner show the name others may see now: once moderation hides their
    profile, the neutral one (in the centre, and in the emails and pushes not sent yet)."""
    user = db.session.get(User, event.subject_id) if event.subject_id else None
    if user is None:
        return
    username = social.profile_of(user).username
    for row in db.session.scalars(select(Notification).where(Notification.kind.in_(NAMING_KINDS),
                                                              Notification.data["username"].as_string() == username)):
        row.data = {**row.data, "name": user.public_name}


def on_achievement(event: events.Event, unlocked: AchievementUnlocked) -> None:
    if event.actor_id is None:
        return
    code, tier = unlocked.code, unlocked.tier
    notify(event.actor_id, "achievement", {"code": code, "tier": tier}, f"achievement:{event.actor_id}:{code}:{tier}")


def on_promoted(event: events.Event, move: LeaguePromoted) -> None:
    _on_league_move(event, move, "promoted")


def on_demoted(event: events.Event, move: LeagueDemoted) -> None:
    _on_league_move(event, move, "demoted")


def _on_league_move(event: events.Event, move: LeagueMove, kind: str) -> None:
    if event.actor_id is None:
        return
    notify(event.actor_id, kind, {"to_tier": move.to_tier},
           f"{event.name}:{event.actor_id}:{move.week_start.isoformat()}")


def on_cheered(event: events.Event, cheered: UserCheered) -> None:
    actor = db.session.get(User, event.actor_id)
    if actor is None or event.subject_id is None:
        return
    notify(event.subject_id, "cheer", {"name": actor.public_name, "username": social.profile_of(actor).username},
           cheered.source)


def on_nudged(event: events.Event, nudged: UserNudged) -> None:
    actor = db.session.get(User, event.actor_id)
    if actor is None or event.subject_id is None:
        return
    notify(event.subject_id, "nudge", {"name": actor.public_name, "username": social.profile_of(actor).username,
                                       "days": nudged.days},
           nudged.source)


# --- Moderation's: the reporter hears the outcome (nothing about the other learner), the reported their warning --

def on_report_resolved(event: events.Event, resolved: ReportResolved) -> None:
    notify(resolved.reporter_id, "report_outcome", {"actioned": resolved.action != "dismiss"},
           f"report_outcome:{resolved.report_id}")


def on_learner_warned(event: events.Event, warned: LearnerWarned) -> None:
    if event.subject_id is None:
        return
    notify(event.subject_id, "moderation_warning", {"reason": warned.reason}, f"warning:{warned.report_id}")


# --- Billing's news: its welcome, its trial's end, payments and receipts ---------------------------------------

def on_premium_started(event: events.Event, started: PremiumStarted) -> None:
    if event.actor_id is None:
        return
    # Welcomed once in a lifetime: a learner who comes back to Super later is not welcomed again.
    notify(event.actor_id, "billing_welcome", {"plan": started.plan, "trialing": started.trialing},
           f"billing_welcome:{event.actor_id}")


def on_trial_ending(event: events.Event, ending: TrialEnding) -> None:
    if event.actor_id is None or ending.trial_end is None:
        return
    notify(event.actor_id, "trial_ending", {"trial_end": ending.trial_end.isoformat(),
                                            "manage": billing.manage_billing_path()},
           f"trial_ending:{event.subject_id}:{int(ending.trial_end.timestamp())}")


def on_invoice_paid(event: events.Event, paid: InvoicePaid) -> None:
    if event.actor_id is None or paid.amount_paid <= 0:
        return  # a trial's invoice of nothing needs no receipt
    notify(event.actor_id, "receipt", {"invoice_id": paid.invoice_id, "amount": paid.amount_paid,
                                       "currency": paid.currency}, f"receipt:{paid.invoice_id}")


def on_payment_failed(event: events.Event, failed: PaymentFailed) -> None:
    if event.actor_id is None:
        return
    notify(event.actor_id, "payment_failed", {
        "invoice_id": failed.invoice_id, "amount": failed.amount_due, "currency": failed.currency,
        "grace_until": failed.grace_until.isoformat() if failed.grace_until else None,
        "manage": billing.manage_billing_path()}, f"payment_failed:{failed.invoice_id}")


def on_payment_action_required(event: events.Event, asked: PaymentActionRequired) -> None:
    if event.actor_id is None:
        return
    notify(event.actor_id, "payment_action", {"invoice_id": asked.invoice_id, "amount": asked.amount_due,
                                              "currency": asked.currency, "manage": billing.manage_billing_path()},
           f"payment_action:{asked.invoice_id}")


# --- For operators (the admin pages) ---------------------------------------------------------------------

DELIVERY_STATUSES = channels.DELIVERY_STATUSES


def delivery_log(viewer: User, status: str) -> tuple[list[Delivery], dict[str, int]]:
    """The latest sends in one status, and how many sends each status holds. :raises Forbidden: not an operator."""
    accounts.require_capability(viewer, accounts.Capability.OPERATIONS)
    return channels.deliveries_with_status(status), channels.delivery_counts()


def retry_failed_delivery(viewer: User, delivery_id: int) -> bool:
    """Send a failed delivery again; False when it is not a failed one. :raises Forbidden: not an operator."""
    accounts.require_capability(viewer, accounts.Capability.OPERATIONS)
    return channels.retry_delivery(delivery_id, actor_id=viewer.id)


def sends_by_channel(viewer: User, days: Range) -> list[tuple[str, str, int]]:
    """Sends made in the range, counted by channel and outcome (status): (channel, status, count).
    :raises Forbidden: the viewer may not see analytics."""
    accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
    D = Delivery
    rows = db.session.execute(select(D.channel, D.status, func.count()).where(D.created_at >= days.start,
                                                                              D.created_at < days.end)
                              .group_by(D.channel, D.status).order_by(D.channel, D.status))
    return [(channel, status, count) for channel, status, count in rows]
