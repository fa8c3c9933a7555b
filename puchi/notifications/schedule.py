"""When a learner wants to hear from us: quiet hours, the daily reminder time, the weekly report day.

Times are the learner's local wall-clock times, read in their timezone at the moment of sending, so a
learner who moves or crosses a DST change keeps "not before 8 in the morning" meaning what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import commit, db
from puchi.core.errors import Invalid
from puchi.core.upserts import insert_or_add
from puchi.notifications.models import NotificationSchedule

DEFAULT_REMINDER = time(19, 0)  # the evening: late enough to know a day went unpractised, early enough to act
DEFAULT_WEEKLY_DAY = 6  # Sunday
WEEKLY_REPORT_AT = time(10, 0)  # local time the weekly report goes out on its day


@dataclass(frozen=True)
class Schedule:
    quiet_start: time | None = None
    quiet_end: time | None = None
    reminder_time: time = DEFAULT_REMINDER
    reminders_on: bool = True
    weekly_day: int = DEFAULT_WEEKLY_DAY
    weekly_on: bool = True

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None and self.quiet_start != self.quiet_end


def zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def schedule_of(user: User) -> Schedule:
    row = db.session.get(NotificationSchedule, user.id)
    if row is None:
        return Schedule()
    return Schedule(row.quiet_start, row.quiet_end, row.reminder_time, row.reminders_on, row.weekly_day,
                    row.weekly_on)


def save_schedule(user: User, chosen: Schedule) -> None:
    """Store the learner's choices. Commits. :raises Invalid: half-set quiet hours or an impossible day."""
    errors: dict[str, list[str]] = {}
    if (chosen.quiet_start is None) != (chosen.quiet_end is None):
        errors["quiet_end"] = ["Give both the start and the end of quiet hours, or neither."]
    if not 0 <= chosen.weekly_day <= 6:
        errors["weekly_day"] = ["Choose a day of the week."]
    if errors:
        raise Invalid(fields=errors)
    insert_or_add(NotificationSchedule, {"user_id": user.id}, {}, quiet_start=chosen.quiet_start,
                  quiet_end=chosen.quiet_end, reminder_time=chosen.reminder_time,
                  reminders_on=chosen.reminders_on, weekly_day=chosen.weekly_day, weekly_on=chosen.weekly_on)
    commit()


def in_quiet_hours(chosen: Schedule, local: time) -> bool:
    """Quiet hours may run past midnight (22:00–07:00): then they are the two ends of the day."""
    if not chosen.has_quiet_hours:
        return False
    start, end = chosen.quiet_start, chosen.quiet_end
    assert start is not None and end is not None
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(user: User, at: datetime, chosen: Schedule | None = None) -> datetime | None:
    """The moment (UTC) the learner's quiet hours end, if ``at`` falls inside them; else None."""
    chosen = chosen or schedule_of(user)
    local = at.astimezone(zone(user))
    if not in_quiet_hours(chosen, local.time()):
        return None
    assert chosen.quiet_end is not None
    end_day = local.date() if local.time() < chosen.quiet_end else local.date() + timedelta(days=1)
    return local_moment(user, end_day, chosen.quiet_end)


def local_moment(user: User, day: date, wall: time) -> datetime:
    """A wall-clock time on a day in the learner's zone, as an aware datetime in UTC.

    A time that does not exist (skipped by a DST change) is read with the offset from before the change,
    which lands just after it; a time that happens twice is its first occurrence."""
    from datetime import UTC

    return datetime.combine(day, wall, tzinfo=zone(user)).astimezone(UTC)


def schedules_for(user_ids: list[int]) -> dict[int, Schedule]:
    """The schedules of many learners in one query (the reminder job reads them in batches)."""
    rows = db.session.scalars(select(NotificationSchedule).where(NotificationSchedule.user_id.in_(user_ids)))
    found = {row.user_id: Schedule(row.quiet_start, row.quiet_end, row.reminder_time, row.reminders_on,
                                   row.weekly_day, row.weekly_on) for row in rows}
    return {user_id: found.get(user_id, Schedule()) for user_id in user_ids}
