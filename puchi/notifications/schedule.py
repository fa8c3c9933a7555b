"""When a learner wants to hear from us: quiet hours, the daily reminder time, the weekly report day.

Times are the learner's local wall-clock times, read in their timezone at the moment of sending, so a
learner who moves or crosses a DST change keeps "not before 8 in the morning" meaning what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.core.errors import Invalid
from puchi.core.inputs import parse_int
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
    return zone_named(user.timezone)


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):  # an unknown name: UTC rather than no reminders at all
        return ZoneInfo("UTC")


def schedule_of(user: User) -> Schedule:
    row = db.session.get(NotificationSchedule, user.id)
    if row is None:
        return Schedule()
    return Schedule(row.quiet_start, row.quiet_end, row.reminder_time, row.reminders_on, row.weekly_day,
                    row.weekly_on)


def _clock(value: str, field: str, errors: dict[str, list[str]], *, required: bool) -> time | None:
    value = (value or "").strip()
    if not value:
        if required:
            errors[field] = [_l("Give a time, such as 19:00.")]
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        errors[field] = [_l("Give a time, such as 19:00.")]
        return None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def parse_schedule(*, reminders_on: bool, reminder_time: str, quiet_start: str, quiet_end: str,
                   weekly_on: bool, weekly_day: str) -> Schedule:
    """Read the settings form. :raises Invalid: with a message for each field that is wrong."""
    errors: dict[str, list[str]] = {}
    reminder = _clock(reminder_time, "reminder_time", errors, required=True)
    start = _clock(quiet_start, "quiet_start", errors, required=False)
    end = _clock(quiet_end, "quiet_end", errors, required=False)
    if not errors and (start is None) != (end is None):
        errors["quiet_end" if end is None else "quiet_start"] = [
            _l("Give both the start and the end of quiet hours, or neither.")]
    day = parse_int(weekly_day, minimum=0, maximum=6)
    if day is None:
        errors["weekly_day"] = [_l("Choose a day of the week.")]
    if errors:
        raise Invalid(fields=errors)
    assert reminder is not None and day is not None
    return Schedule(start, end, reminder, reminders_on, day, weekly_on)


@action
def save_schedule(user: User, chosen: Schedule) -> None:
    """Store the learner's choices. Commits."""
    insert_or_add(NotificationSchedule, {"user_id": user.id}, {}, quiet_start=chosen.quiet_start,
                  quiet_end=chosen.quiet_end, reminder_time=chosen.reminder_time,
                  reminders_on=chosen.reminders_on, weekly_day=chosen.weekly_day, weekly_on=chosen.weekly_on)


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
    return datetime.combine(day, wall, tzinfo=zone(user)).astimezone(UTC)


def schedules_for(user_ids: list[int]) -> dict[int, Schedule]:
    """The schedules of many learners in one query (the reminder job reads them in batches)."""
    rows = db.session.scalars(select(NotificationSchedule).where(NotificationSchedule.user_id.in_(user_ids)))
    found = {row.user_id: Schedule(row.quiet_start, row.quiet_end, row.reminder_time, row.reminders_on,
                                   row.weekly_day, row.weekly_on) for row in rows}
    return {user_id: found.get(user_id, Schedule()) for user_id in user_ids}
