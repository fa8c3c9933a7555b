"""Days and weeks in SQL for reports, the same on PostgreSQL and SQLite (UTC), and a bounded date range.

Reports group rows by day or by week in the database (never by loading rows): :func:`utc_day` and
:func:`week_start` give the SQL expressions, :func:`as_date` reads what either database returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, cast, func

from puchi.core.db import db

MAX_RANGE_DAYS = 92


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def utc_day(column: Any) -> Any:
    """The UTC calendar day of a timestamp column (a DATE on PostgreSQL, 'YYYY-MM-DD' text on SQLite)."""
    if _sqlite():
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def week_start(day: Any) -> Any:
    """The Monday of the week of a DATE expression (or of what :func:`utc_day` returns)."""
    if _sqlite():
        return func.date(day, "weekday 0", "-6 days")
    return cast(func.date_trunc("week", day), Date)


def days_between(later: Any, earlier: Any) -> Any:
    """Whole days from ``earlier`` to ``later``, two DATE expressions."""
    if _sqlite():
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Range:
    """Whole UTC days from ``first`` to ``last`` inclusive, at most MAX_RANGE_DAYS of them."""

    first: date
    last: date

    @classmethod
    def ending(cls, last: date, days: int) -> Range:
        return cls(last - timedelta(days=max(1, min(days, MAX_RANGE_DAYS)) - 1), last)

    @classmethod
    def bounded(cls, first: date | None, last: date | None, today: date, default_days: int = 30) -> Range:
        """The range asked for, made sane: ends today at the latest, starts before it ends, spans at most
        MAX_RANGE_DAYS (the start moves forward)."""
        end = min(last or today, today)
        start = first or end - timedelta(days=default_days - 1)
        if start > end:
            start = end
        if (end - start).days >= MAX_RANGE_DAYS:
            start = end - timedelta(days=MAX_RANGE_DAYS - 1)
        return cls(start, end)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]
