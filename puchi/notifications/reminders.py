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
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.learning.models import Enrollment
from puchi.notifications import schedule
from puchi.notifications.models import Notification, NotificationSchedule
from puchi.notifications.services import notify
from puchi.progress import streaks
from puchi.progress.models import DailyActivity, ProgressProfile

BATCH = 500


def _timezones() -> list[str]:
    return list(db.session.scalars(select(User.timezone).distinct()))


def _learning():
    return exists().where(Enrollment.user_id == User.id)


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
        rows = db.session.execute(
            select(User.id, ProgressProfile.current_streak, ProgressProfile.last_active_date,
                   ProgressProfile.streak_freezes)
            .outerjoin(ProgressProfile, ProgressProfile.user_id == User.id)
            .outerjoin(NotificationSchedule, NotificationSchedule.user_id == User.id)
            .where(User.timezone == timezone, _learning(),
                   func.coalesce(NotificationSchedule.reminders_on, True).is_(True),
                   reminder_time <= local.time().replace(second=0, microsecond=0),
                   or_(ProgressProfile.last_active_date.is_(None), ProgressProfile.last_active_date < today),
                   ~_already("reminder", day_began))
        ).all()
        for batch in _batches(rows):
            with action():
                schedules = schedule.schedules_for([row.id for row in batch])
                for row in batch:
                    if schedule.in_quiet_hours(schedules[row.id], local.time()):
                        continue  # tried again every minute: it goes out when quiet hours end, if still today
                    streak = streaks.effective_streak(current=row.current_streak or 0,
                                                      last_active=row.last_active_date,
                                                      freezes=row.streak_freezes or 0, today=today)
                    at_risk = streaks.at_risk(last_active=row.last_active_date, today=today, current=streak)
                    notify(row.id, "reminder", {"streak": streak if at_risk else 0, "day": today.isoformat()},
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
        rows = db.session.execute(
            select(User.id, ProgressProfile.current_streak, ProgressProfile.league_tier)
            .outerjoin(ProgressProfile, ProgressProfile.user_id == User.id)
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
                totals = _week_totals([row.id for row in batch], *week)
                for row in batch:
                    if schedule.in_quiet_hours(schedules[row.id], local.time()):
                        continue
                    xp, lessons, seconds, days = totals.get(row.id, (0, 0, 0, 0))
                    notify(row.id, "weekly", {"xp": xp, "lessons": lessons, "minutes": round(seconds / 60),
                                              "days": days, "streak": row.current_streak or 0,
                                              "tier": row.league_tier or 1, "from": week[0].isoformat(),
                                              "to": week[1].isoformat()},
                           f"weekly:{row.id}:{local.date().isoformat()}")
                    sent += 1
    return sent


def _week_totals(user_ids: list[int], first: date, last: date) -> dict[int, tuple[int, int, int, int]]:
    """XP, lessons, seconds and days practised per learner over the week, in one query."""
    rows = db.session.execute(
        select(DailyActivity.user_id, func.sum(DailyActivity.xp), func.sum(DailyActivity.lessons),
               func.sum(DailyActivity.seconds), func.count(DailyActivity.id))
        .where(DailyActivity.user_id.in_(user_ids),
               and_(DailyActivity.local_date >= first, DailyActivity.local_date <= last),
               DailyActivity.lessons > 0)
        .group_by(DailyActivity.user_id))
    return {user_id: (int(xp or 0), int(lessons or 0), int(seconds or 0), int(days or 0))
            for user_id, xp, lessons, seconds, days in rows}
