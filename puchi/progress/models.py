"""What learning turns into: an XP ledger, days of activity, a wallet, achievements and league places."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puchi.core.db import Model, UTCDateTime, now

MAX_HEARTS = 5
MAX_FREEZES = 2
LEAGUE_TIERS = 10


class ProgressProfile(Model):
    """One row per learner: running totals and the state of hearts, gems, streak and league."""

    __tablename__ = "progress_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    total_xp: Mapped[int] = mapped_column(default=0)
    lessons_completed: Mapped[int] = mapped_column(default=0)
    perfect_lessons: Mapped[int] = mapped_column(default=0)
    current_streak: Mapped[int] = mapped_column(default=0)
    longest_streak: Mapped[int] = mapped_column(default=0)
    last_active_date: Mapped[date | None] = mapped_column(Date)  # in the learner's own calendar
    streak_freezes: Mapped[int] = mapped_column(default=0)
    hearts: Mapped[int] = mapped_column(default=MAX_HEARTS)
    hearts_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    gems: Mapped[int] = mapped_column(default=0)
    league_tier: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)  # retention cohorts


class XpEntry(Model):
    """The XP ledger: one row per award; ``source`` makes an award happen once however often it is asked."""

    __tablename__ = "xp_entries"
    __table_args__ = (Index("ix_xp_entries_user_day", "user_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(64), unique=True)
    local_date: Mapped[date] = mapped_column(Date)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


class DailyActivity(Model):
    """What a learner did on one day of their own calendar: the streak and the heatmap read these."""

    __tablename__ = "daily_activity"
    __table_args__ = (UniqueConstraint("user_id", "local_date"),
                      Index("ix_daily_activity_date_user", "local_date", "user_id"))  # active learners

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date, index=True)
    xp: Mapped[int] = mapped_column(default=0)
    lessons: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[int] = mapped_column(default=0)
    goal_reached: Mapped[bool] = mapped_column(Boolean, default=False)
    freeze_used: Mapped[bool] = mapped_column(Boolean, default=False)  # a missed day a freeze covered


class GemTransaction(Model):
    __tablename__ = "gem_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column()  # positive earned, negative spent
    reason: Mapped[str] = mapped_column(String(32))
    balance_after: Mapped[int] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(64), unique=True)  # idempotency of earnings
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


class UserAchievement(Model):
    __tablename__ = "user_achievements"
    __table_args__ = (UniqueConstraint("user_id", "code", "tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    tier: Mapped[int] = mapped_column()
    unlocked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    seen: Mapped[bool] = mapped_column(Boolean, default=False)  # shown to the learner as a toast


class LeagueCohort(Model):
    """About thirty learners of one tier competing for one week (weeks start Monday 00:00 UTC)."""

    __tablename__ = "league_cohorts"
    __table_args__ = (Index("ix_league_cohorts_week_tier", "week_start", "tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    tier: Mapped[int] = mapped_column()
    size: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LeagueMembership(Model):
    __tablename__ = "league_memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "week_start"),
        Index("ix_league_memberships_cohort_xp", "cohort_id", "xp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("league_cohorts.id", ondelete="CASCADE"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    tier: Mapped[int] = mapped_column()
    xp: Mapped[int] = mapped_column(default=0)
    final_rank: Mapped[int | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(10))  # promoted, demoted, stayed
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
