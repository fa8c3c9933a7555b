"""Smart reminders and the weekly progress report, found by a job the worker runs every minute.

A learner who has not practised today gets one reminder once their chosen local time has come (evening by
default), never inside their quiet hours and never twice in a local day; the text names the streak at
stake. On their chosen weekday, learners get a report of their week. Both are notifications of kinds kept
out of the notification centre: their channels (push, email, SMS) follow the learner's preferences, and
their source key (learner + local date) makes each happen once however often the job runs.

Learners are taken a timezone at a time, so the wall-clock tests are plain SQL comparisons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.learning import services as learning
from puchi.notifications import schedule
from puchi.notifications.models import Notification, NotificationSchedule
from puchi.notifications.services import notify
from puchi.progress import services as progress

BATCH = 500


def _timezones() -> list[str]:
    return list(db.session.scalars(select(User.timezone).distinct()))


def _learning():
    """The learner is enrolled in a course (learning's query, correlated to each user row)."""
    enrolled = learning.enrolled_learners()
    return enrolled.where(enrolled.selected_columns.user_id == User.id).exists()


def _already(kind: str, since: datetime):
    return exists().where(Notification.user_id == User.id, Notification.kind == kind, Notification.created_at >= since)


def _local(at: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The local wall-clock moment of ``at`` in a zone, and when that local day began (UTC)."""
    zone = schedule.zone_named(timezone)
    local = at.astimezone(zone)
    day_began = datetime.combine(local.date(), time(0), tzinfo=zone)
    return local, day_began


def _batches(rows: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


# --- Daily reminders ----------------------------------------------------------------------------------------

def send_due_reminders(at: datetime) -> int:
    """Create today's reminder for every learner whose moment has come; returns how many. One action a batch."""
    sent = 0
    for timezone in _timezones():
        local, day_began = _local(at, timezone)
        today = local.date()
        reminder_time = func.coalesce(NotificationSchedule.reminder_time, schedule.DEFAULT_REMINDER)
        standing = progress.learner_progress().subquery()
        rows = db.session.execute(
            select(User.id, standing.c.streak, standing.c.last_active, standing.c.freezes)
            .outerjoin(standing, standing.c.user_id == User.id)
            .outerjoin(NotificationSchedule, NotificationSchedule.user_id == User.id)
            .where(User.timezone == timezone, _learning(),
                   func.coalesce(NotificationSchedule.reminders_on, True).is_(True),
                   reminder_time <= local.time().replace(second=0, microsecond=0),
                   or_(standing.c.last_active.is_(None), standing.c.last_active < today),
                   ~_already("reminder", day_began))
        ).all()
        for batch in _batches(rows):
            with action():
                schedules = schedule.schedules_for([row.id for row in batch])
                for row in batch:
                    if schedule.in_quiet_hours(schedules[row.id], local.time()):
                        continue  # tried again every minute: it goes out when quiet hours end, if still today
                    streak = progress.streak_at_stake(streak=row.streak, last_active=row.last_active,
                                                      freezes=row.freezes, today=today)
                    notify(row.id, "reminder", {"streak": streak, "day": today.isoformat()},
                           f"reminder:{row.id}:{today.isoformat()}")
                    sent += 1
    return sent


# --- Weekly report ------------------------------------------------------------------------------------------

def send_due_reports(at: datetime) -> int:
    """Create the weekly report for every learner whose day and hour have come; returns how many. One action a
    batch."""
    sent = 0
    for timezone in _timezones():
        local, day_began = _local(at, timezone)
        if local.time() < schedule.WEEKLY_REPORT_AT:
            continue
        standing = progress.learner_progress().subquery()
        rows = db.session.execute(
            select(User.id, standing.c.streak, standing.c.league_tier)
            .outerjoin(standing, standing.c.user_id == User.id)
            .outerjoin(NotificationSchedule, NotificationSchedule.user_id == User.id)
            .where(User.timezone == timezone, _learning(),
                   func.coalesce(NotificationSchedule.weekly_on, True).is_(True),
                   func.coalesce(NotificationSchedule.weekly_day, schedule.DEFAULT_WEEKLY_DAY) == local.weekday(),
                   ~_already("weekly", day_began))
        ).all()
        week = (local.date() - timedelta(days=6), local.date())
        for batch in _batches(rows):
            with action():
                schedules = schedule.schedules_for([row.id for row in batch])
                totals = progress.week_totals([row.id for row in batch], *week)
                for row in batch:
                    if schedule.in_quiet_hours(schedules[row.id], local.time()):
                        continue
                    total = totals.get(row.id, progress.WeekTotals())
                    notify(row.id, "weekly", {"xp": total.xp, "lessons": total.lessons,
                                              "minutes": round(total.seconds / 60), "days": total.days,
                                              "streak": row.streak or 0,
                                              "tier": row.league_tier or 1, "from": week[0].isoformat(),
                                              "to": week[1].isoformat()},
                           f"weekly:{row.id}:{local.date().isoformat()}")
                    sent += 1
    return sent

