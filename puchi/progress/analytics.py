"""Progress's figures for the staff's analytics: daily, weekly and monthly active learners, week-N retention
of sign-up cohorts, and how long streaks are. Aggregated in SQL over bounded ranges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select

from puchi.core.db import db
from puchi.core.periods import Range, as_date, days_between, utc_day, week_start
from puchi.progress.models import DailyActivity, ProgressProfile

STREAK_BUCKETS = ((0, 0), (1, 1), (2, 6), (7, 13), (14, 29), (30, 99), (100, None))
COHORT_WEEKS = 8


@dataclass(frozen=True)
class ActiveLearners:
    daily: dict[date, int]
    weekly: int  # the last 7 days of the range
    monthly: int  # the last 30 days of the range


def active_learners(days: Range) -> ActiveLearners:
    """Learners with any activity on each day (by their own calendar day), and over the last week and month."""
    D = DailyActivity
    # One row per learner and day (unique), so a day's rows are its active learners: no DISTINCT to sort.
    daily = {as_date(d): n for d, n in db.session.execute(
        select(D.local_date, func.count())
        .where(D.local_date >= days.first, D.local_date <= days.last).group_by(D.local_date))}

    week_start_day, month_start_day = days.last - timedelta(days=6), days.last - timedelta(days=29)
    learners = (select(func.max(D.local_date).label("last")).where(D.local_date >= month_start_day,
                                                                    D.local_date <= days.last)
                .group_by(D.user_id).subquery())  # grouped (hashed) rather than COUNT(DISTINCT) (sorted)
    weekly, monthly = db.session.execute(
        select(func.coalesce(func.sum(case((learners.c.last >= week_start_day, 1), else_=0)), 0),
               func.count()).select_from(learners)).one()
    return ActiveLearners(daily, weekly or 0, monthly or 0)


def streak_distribution() -> list[tuple[int, int | None, int]]:
    """How many learners have a current streak in each bucket: (low, high or None for no upper end, count)."""
    P = ProgressProfile
    bucket = case(*[((P.current_streak >= low) if high is None else P.current_streak.between(low, high), index)
                    for index, (low, high) in enumerate(STREAK_BUCKETS)], else_=0)
    counts: dict[int, int] = {b: n for b, n in db.session.execute(select(bucket, func.count()).group_by(bucket))}
    return [(low, high, counts.get(index, 0)) for index, (low, high) in enumerate(STREAK_BUCKETS)]


@dataclass(frozen=True)
class Cohort:
    week: date  # the Monday of the week its learners signed up
    size: int
    retained: list[int]  # learners active in week 0, 1, ... after (as far as weeks have passed)


def retention_cohorts(last_day: date, weeks: int = COHORT_WEEKS) -> list[Cohort]:
    """The last ``weeks`` sign-up weeks (UTC, Monday first) up to ``last_day``: each one's size and how many
    of its learners were active in each week since."""
    P, D = ProgressProfile, DailyActivity
    last_week = last_day - timedelta(days=last_day.weekday())
    first_week = last_week - timedelta(weeks=weeks - 1)
    first_moment = Range(first_week, last_day).start
    cohort = week_start(utc_day(P.created_at))
    sizes = {as_date(w): n for w, n in db.session.execute(
        select(cohort, func.count()).where(P.created_at >= first_moment).group_by(cohort))}
    members = (select(P.user_id.label("user_id"), cohort.label("week"))
               .where(P.created_at >= first_moment).subquery())
    offset = (days_between(D.local_date, members.c.week) // 7).label("n")
    active = (select(members.c.week.label("week"), offset, D.user_id)
              .join(members, members.c.user_id == D.user_id)
              .where(D.local_date >= first_week, D.local_date <= last_day, D.local_date >= members.c.week)
              .group_by(members.c.week, offset, D.user_id).subquery())  # each learner once per week
    retained: dict[tuple[date, int], int] = {}
    for week, n, count in db.session.execute(
            select(active.c.week, active.c.n, func.count()).group_by(active.c.week, active.c.n)):
        retained[(as_date(week), int(n))] = count
    cohorts = []
    for index in range(weeks):
        week = first_week + timedelta(weeks=index)
        passed = (last_day - week).days // 7 + 1
        cohorts.append(Cohort(week, sizes.get(week, 0), [retained.get((week, n), 0) for n in range(passed)]))
    return cohorts
