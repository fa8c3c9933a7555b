"""The progress domain's public API, and its subscribers to learning's events.

Subscribers run inside the transaction that completes the lesson, so XP, streak, gems and league XP
commit (or roll back) with it, and the ``source`` keys make a lesson count once however often its event
is handled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, select, update

from puchi.accounts import services as accounts
from puchi.accounts.events import GuestStarted, UserCreated, UserSignedUp
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db, now, rowcount
from puchi.core.errors import Conflict, Forbidden, Invalid, PaymentRequired
from puchi.core.periods import Range
from puchi.core.upserts import insert_if_missing, insert_or_add
from puchi.learning import services as learning
from puchi.learning.events import ItemReviewed, LessonCompleted, SessionKind, Verdict
from puchi.progress import achievements, analytics, leagues, rules, streaks
from puchi.progress.analytics import ActiveLearners as ActiveLearners
from puchi.progress.analytics import Cohort as Cohort
from puchi.progress.events import AchievementUnlocked, GoalReached, ShopPurchased, StreakMilestone
from puchi.progress.models import (
    MAX_FREEZES,
    MAX_HEARTS,
    DailyActivity,
    GemTransaction,
    ProgressProfile,
    UserAchievement,
    XpEntry,
)

# --- Profiles ---------------------------------------------------------------------------------------------

def profile_for(user_id: int) -> ProgressProfile:
    """The learner's progress row, for reading (made with the account; see :func:`on_user_created`).

    Reading never writes: should the row be missing, a fresh unsaved one stands in for it.
    """
    profile = db.session.get(ProgressProfile, user_id)
    if profile is not None:
        return profile
    current = now()
    return ProgressProfile(user_id=user_id, total_xp=0, lessons_completed=0, perfect_lessons=0, current_streak=0,
                           longest_streak=0, last_active_date=None, streak_freezes=0, hearts=MAX_HEARTS,
                           hearts_updated_at=current, gems=0, league_tier=1, created_at=current)


def _ensure_profile(user_id: int) -> None:
    current = now()
    insert_if_missing(ProgressProfile, {"user_id": user_id}, hearts_updated_at=current, created_at=current)


def on_user_created(event: events.Event, _created: UserSignedUp | UserCreated | GuestStarted) -> None:
    """Every new account gets its progress row at once, so no page has to make it on first view."""
    if event.subject_id is not None:
        _ensure_profile(event.subject_id)


def _locked_profile(user_id: int) -> ProgressProfile:
    """The profile, locked for this transaction so concurrent lessons cannot interleave their updates."""
    _ensure_profile(user_id)
    db.session.execute(update(ProgressProfile).where(ProgressProfile.user_id == user_id)
                       .values(user_id=ProgressProfile.user_id))  # takes the row (SQLite: the write) lock
    profile = db.session.get(ProgressProfile, user_id, populate_existing=True)
    assert profile is not None
    return profile


# A yes/no question, not a gate (core.hooks' gates refuse by raising): kept on the app like them, so two
# apps in one process never share them.
HeartsCheck = Callable[[User], bool]
_HEARTS_CHECKS = "puchi.progress.unlimited_hearts_checks"


def unlimited_hearts(user: User) -> bool:
    """Relaxed mode turns hearts off; premium (billing) says yes here through its entitlement check."""
    checks: list[HeartsCheck] = current_app.extensions.get(_HEARTS_CHECKS, [])
    return bool(user.relaxed_mode) or any(check(user) for check in checks)


def add_unlimited_hearts_check(app: Flask, check: HeartsCheck) -> None:
    """The seam for billing: ``check(user) -> bool`` grants unlimited hearts (premium)."""
    checks: list[HeartsCheck] = app.extensions.setdefault(_HEARTS_CHECKS, [])
    if check not in checks:
        checks.append(check)


def refresh_hearts(profile: ProgressProfile, at: datetime) -> None:
    profile.hearts, profile.hearts_updated_at = rules.hearts_now(profile.hearts, profile.hearts_updated_at, at)


# --- Subscribers ------------------------------------------------------------------------------------------

def on_lesson_completed(event: events.Event, lesson: LessonCompleted) -> None:
    """Award XP and gems, extend the streak, count the day, check achievements, add league XP."""
    user = db.session.get(User, event.actor_id)
    if user is None:
        return
    source = f"lesson_session:{event.subject_id}"
    completed_at = lesson.completed_at
    day = streaks.local_day(completed_at, user.timezone)
    profile = _locked_profile(user.id)
    if db.session.scalar(select(XpEntry.id).where(XpEntry.source == source)) is not None:
        return  # this lesson was already counted
    xp = rules.xp_for_lesson(lesson)
    db.session.add(XpEntry(user_id=user.id, amount=xp, reason=lesson.kind.value, source=source,
                           local_date=day, earned_at=completed_at))
    db.session.flush()

    before = db.session.scalar(select(DailyActivity.xp).where(DailyActivity.user_id == user.id,
                                                              DailyActivity.local_date == day)) or 0
    insert_or_add(DailyActivity, {"user_id": user.id, "local_date": day},
                  {"xp": xp, "lessons": 1, "seconds": lesson.duration_seconds})
    if before < user.daily_goal <= before + xp:
        db.session.execute(update(DailyActivity).where(DailyActivity.user_id == user.id,
                                                       DailyActivity.local_date == day).values(goal_reached=True))
        events.record(GoalReached(date=day, goal=user.daily_goal), actor_id=user.id, subject=("user", user.id))

    streak = streaks.record_day(current=profile.current_streak, longest=profile.longest_streak,
                                last_active=profile.last_active_date, freezes=profile.streak_freezes, day=day)
    for frozen in streak.frozen_days:
        insert_or_add(DailyActivity, {"user_id": user.id, "local_date": frozen}, {"xp": 0}, freeze_used=True)
    profile.current_streak, profile.longest_streak = streak.current, streak.longest
    profile.last_active_date, profile.streak_freezes = streak.last_active, streak.freezes_left
    if streak.extended and streaks.is_milestone(streak.current):
        # Once per reaching: a redelivered lesson returned above, and a day counts once, so this runs once.
        events.record(StreakMilestone(days=streak.current), actor_id=user.id, subject=("user", user.id))
    profile.total_xp += xp
    profile.lessons_completed += 1
    if lesson.perfect:
        profile.perfect_lessons += 1
    if lesson.kind is SessionKind.PRACTICE and not unlimited_hearts(user):
        refresh_hearts(profile, completed_at)
        profile.hearts = min(MAX_HEARTS, profile.hearts + 1)  # practice earns a heart back
    _earn_gems(profile, rules.GEMS_PER_LESSON, "lesson", source)
    if user.leagues_enabled:
        leagues.add_xp(profile, xp, completed_at)
    _check_achievements(user, profile, completed_at)


def on_item_reviewed(event: events.Event, reviewed: ItemReviewed) -> None:
    """A wrong answer in a lesson costs a heart (an "almost" does not; practice never does)."""
    if reviewed.verdict is not Verdict.WRONG or reviewed.session_kind is not SessionKind.LESSON:
        return
    user = db.session.get(User, event.actor_id)
    if user is None or unlimited_hearts(user):
        return
    profile = _locked_profile(user.id)
    refresh_hearts(profile, event.created_at)
    if profile.hearts > 0:
        if profile.hearts >= MAX_HEARTS:
            profile.hearts_updated_at = event.created_at  # the refill clock starts with the first loss
        profile.hearts -= 1


def gate_lesson_start(*, user: User, kind: SessionKind, **context: Any) -> None:
    """No hearts, no new lesson; practice is always open (it is how hearts come back)."""
    if kind is not SessionKind.LESSON or unlimited_hearts(user):
        return
    profile = profile_for(user.id)
    hearts, _clock = rules.hearts_now(profile.hearts, profile.hearts_updated_at, now())
    if hearts <= 0:
        raise Forbidden(_("You are out of hearts. Practise what you know to earn one back, or come back in a "
                          "few hours."), code="out_of_hearts")


def _earn_gems(profile: ProgressProfile, amount: int, reason: str, source: str) -> None:
    profile.gems += amount
    db.session.add(GemTransaction(user_id=profile.user_id, amount=amount, reason=reason,
                                  balance_after=profile.gems, source=f"{reason}:{source}"))


def _achievement_counts(user: User, profile: ProgressProfile) -> dict[str, int]:
    """What the counted achievements count, now (the time-of-day ones are not counts)."""
    counts = learning.counts_for(user.id)
    return {"streak": profile.current_streak, "xp": profile.total_xp, "lessons": profile.lessons_completed,
            "perfect": profile.perfect_lessons, "words": counts.words, "courses": counts.courses}


def _check_achievements(user: User, profile: ProgressProfile, at: datetime) -> None:
    hour = at.astimezone(streaks.ZoneInfo(user.timezone)).hour if user.timezone else at.hour
    values = {**_achievement_counts(user, profile),
              "night_owl": 1 if hour >= 22 or hour < 4 else 0, "early_bird": 1 if 5 <= hour < 8 else 0}
    owned = {(code, tier) for code, tier in db.session.execute(select(UserAchievement.code, UserAchievement.tier)
                                   .where(UserAchievement.user_id == user.id))}
    for code, tier in sorted(achievements.earned_tiers(values) - owned):
        if insert_if_missing(UserAchievement, {"user_id": user.id, "code": code, "tier": tier}, unlocked_at=at,
                             seen=False):
            events.record(AchievementUnlocked(code=code, tier=tier), actor_id=user.id, subject=("user", user.id))
            _earn_gems(profile, rules.GEMS_PER_ACHIEVEMENT, "achievement", f"{user.id}:{code}:{tier}")


# --- The shop ---------------------------------------------------------------------------------------------

@action
def buy(user: User, item: str) -> ProgressProfile:
    """Spend gems on a shop item. Commits.

    The price comes off in one conditional UPDATE, so concurrent purchases can never overdraw gems.

    :raises Invalid: no such item. :raises PaymentRequired: not enough gems.
    :raises Conflict: two freezes already equipped, or hearts already full.
    """
    if item not in rules.SHOP:
        message = _("That is not in the shop.")
        raise Invalid(message, fields={"item": [message]}, code="unknown_item")
    price = rules.SHOP[item]
    _ensure_profile(user.id)
    profile = profile_for(user.id)
    condition = [ProgressProfile.user_id == user.id, ProgressProfile.gems >= price]
    values: dict[str, Any] = {"gems": ProgressProfile.gems - price}
    if item == "streak_freeze":
        condition.append(ProgressProfile.streak_freezes < MAX_FREEZES)
        values["streak_freezes"] = ProgressProfile.streak_freezes + 1
    else:
        refresh_hearts(profile, now())
        db.session.flush()
        if profile.hearts >= MAX_HEARTS or unlimited_hearts(user):
            raise Conflict(_("Your hearts are already full."), code="hearts_full")
        values.update(hearts=MAX_HEARTS, hearts_updated_at=now())
    result = db.session.execute(update(ProgressProfile).where(*condition).values(**values))
    after = db.session.get(ProgressProfile, user.id, populate_existing=True)
    assert after is not None
    if rowcount(result) != 1:  # nothing was taken; the action rolls back the rest
        if after.gems < price:
            raise PaymentRequired(_("You need more gems for that. Finish lessons to earn some."),
                                  code="not_enough_gems")
        raise Conflict(_("You already have two streak freezes."), code="freezes_full")
    db.session.add(GemTransaction(user_id=user.id, amount=-price, reason=f"buy:{item}", balance_after=after.gems))
    events.record(ShopPurchased(item=item, price=price), actor_id=user.id, subject=("user", user.id))
    return after


def achievement_levels(user: User) -> dict[str, int]:
    """The highest tier reached of each achievement (absent: none yet)."""
    return {code: tier for code, tier in db.session.execute(
        select(UserAchievement.code, func.max(UserAchievement.tier))
        .where(UserAchievement.user_id == user.id).group_by(UserAchievement.code))}


@dataclass(frozen=True)
class AchievementProgress:
    """One achievement on the learner's achievements page: the tier reached and the way to the next."""

    achievement: achievements.Achievement
    tier: int  # reached; 0 = not yet
    value: int | None  # the count so far (None for the time-of-day ones)
    unlocked_at: datetime | None  # when the tier reached was unlocked

    @property
    def complete(self) -> bool:
        return self.tier >= len(self.achievement.tiers)

    @property
    def next_threshold(self) -> int | None:
        return None if self.complete else self.achievement.tiers[self.tier]

    @property
    def percent(self) -> int:
        """Of the way from nothing to the next tier, in steps of ten (for the meter)."""
        if self.complete:
            return 100
        if self.value is None or not self.next_threshold:
            return 0
        return min(100, 10 * (10 * self.value // self.next_threshold))


def achievement_progress(user: User) -> list[AchievementProgress]:
    """Every achievement with the learner's tier, count and next goal: unlocked ones first, newest first."""
    reached: dict[str, tuple[int, datetime]] = {}
    for code, tier, at in db.session.execute(
            select(UserAchievement.code, UserAchievement.tier, UserAchievement.unlocked_at)
            .where(UserAchievement.user_id == user.id)):
        if code not in reached or tier > reached[code][0]:
            reached[code] = (tier, at)
    counts = _achievement_counts(user, profile_for(user.id))
    rows = [AchievementProgress(a, reached.get(a.code, (0, None))[0], counts.get(a.code),
                                reached.get(a.code, (0, None))[1]) for a in achievements.DEFINITIONS]
    unlocked = sorted((r for r in rows if r.tier), key=lambda r: r.unlocked_at or now(), reverse=True)
    return unlocked + [r for r in rows if not r.tier]


def gem_history(user: User, limit: int = 10) -> list[GemTransaction]:
    """The latest earnings and purchases, newest first."""
    return list(db.session.scalars(select(GemTransaction).where(GemTransaction.user_id == user.id)
                                   .order_by(GemTransaction.id.desc()).limit(limit)))


# --- What the pages show ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    profile: ProgressProfile
    today: date
    xp_today: int
    daily_goal: int
    streak: int
    streak_at_risk: bool
    hearts: int
    unlimited_hearts: bool
    next_heart_at: datetime | None

    @property
    def goal_fraction(self) -> float:
        return min(1.0, self.xp_today / self.daily_goal) if self.daily_goal else 1.0


def overview(user: User, at: datetime | None = None) -> Overview:
    """Streak, today's XP against the goal, hearts and gems: two queries."""
    at = at or now()
    profile = profile_for(user.id)
    today = streaks.local_day(at, user.timezone)
    xp_today = db.session.scalar(select(DailyActivity.xp).where(DailyActivity.user_id == user.id,
                                                                DailyActivity.local_date == today)) or 0
    hearts, clock = rules.hearts_now(profile.hearts, profile.hearts_updated_at, at)
    streak = streaks.effective_streak(current=profile.current_streak, last_active=profile.last_active_date,
                                      freezes=profile.streak_freezes, today=today)
    return Overview(profile=profile, today=today, xp_today=xp_today, daily_goal=user.daily_goal, streak=streak,
                    streak_at_risk=streaks.at_risk(last_active=profile.last_active_date, today=today,
                                                   current=streak),
                    hearts=hearts, unlimited_hearts=unlimited_hearts(user),
                    next_heart_at=rules.next_heart_at(hearts, clock))


@dataclass(frozen=True)
class LessonReward:
    xp: int
    goal_reached_now: bool
    streak: int
    streak_extended: bool
    unlocked: list[UserAchievement]


def lesson_reward(user: User, session_id: int) -> LessonReward | None:
    """What one finished lesson earned, for its completion screen; None while it is not counted yet."""
    entry = db.session.scalar(select(XpEntry).where(XpEntry.source == f"lesson_session:{session_id}",
                                                    XpEntry.user_id == user.id))
    if entry is None:
        return None
    activity = db.session.scalar(select(DailyActivity).where(DailyActivity.user_id == user.id,
                                                             DailyActivity.local_date == entry.local_date))
    profile = profile_for(user.id)
    first_of_day = db.session.scalar(select(func.min(XpEntry.id)).where(
        XpEntry.user_id == user.id, XpEntry.local_date == entry.local_date)) == entry.id
    goal_now = bool(activity and activity.goal_reached and activity.xp - entry.amount < user.daily_goal)
    # What this lesson unlocked: achievements are checked at the lesson's completion time. Reading this
    # twice (a reload) shows the same screen; nothing is marked on a GET.
    unlocked = list(db.session.scalars(select(UserAchievement).where(
        UserAchievement.user_id == user.id, UserAchievement.unlocked_at == entry.earned_at)
        .order_by(UserAchievement.id)))
    return LessonReward(xp=entry.amount, goal_reached_now=goal_now, streak=profile.current_streak,
                        streak_extended=first_of_day, unlocked=unlocked)


def streak_calendar(user: User, month: date) -> dict[date, str]:
    """Each day of ``month``: "active", "frozen" or absent."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1)
    rows = db.session.execute(select(DailyActivity.local_date, DailyActivity.lessons, DailyActivity.freeze_used)
                              .where(DailyActivity.user_id == user.id, DailyActivity.local_date >= first,
                                     DailyActivity.local_date < last)).all()
    return {row.local_date: "active" if row.lessons else "frozen" for row in rows if row.lessons or row.freeze_used}


def tier_names() -> dict[int, str]:
    """Each league tier's name, in the current locale (the league pages and friends' feed show them)."""
    names = [_("Bronze"), _("Silver"), _("Gold"), _("Sapphire"), _("Ruby"), _("Emerald"), _("Amethyst"),
             _("Pearl"), _("Obsidian"), _("Diamond")]
    return {index + 1: name for index, name in enumerate(names)}


def achievement_definitions() -> dict[str, achievements.Achievement]:
    """Every achievement by code: its title and goals (the friends' feed names the ones unlocked)."""
    return achievements.BY_CODE


# --- What other domains read ------------------------------------------------------------------------------

def local_day(at: datetime, timezone: str) -> date:
    """The calendar day of ``at`` where the learner lives: the day streaks count in (an unknown zone is UTC)."""
    return streaks.local_day(at, timezone)


@dataclass(frozen=True)
class ProgressSummary:
    """What a learner's profile shows of their progress."""

    streak: int  # as last counted (a lapsed streak still shows until their next lesson)
    last_active: date | None  # in their own calendar
    total_xp: int
    league_tier: int


def summary_of(user_id: int) -> ProgressSummary:
    """The learner's streak, XP and league: one query, none when the row was read already in this session."""
    profile = profile_for(user_id)
    return ProgressSummary(profile.current_streak, profile.last_active_date, profile.total_xp, profile.league_tier)


def achievement_count(user_id: int) -> int:
    """How many achievement tiers the learner has unlocked."""
    return db.session.scalar(select(func.count(UserAchievement.id)).where(UserAchievement.user_id == user_id)) or 0


def learner_progress() -> Select:
    """Every learner's streak and league, one row each: ``user_id``, ``streak`` (as last counted),
    ``last_active`` (their calendar day), ``freezes`` and ``league_tier``.

    A Select for other domains' queries: join it as a subquery on ``user_id``, filter and order by its columns.
    """
    return select(ProgressProfile.user_id, ProgressProfile.current_streak.label("streak"),
                  ProgressProfile.last_active_date.label("last_active"),
                  ProgressProfile.streak_freezes.label("freezes"), ProgressProfile.league_tier)


def streak_at_stake(*, streak: int | None, last_active: date | None, freezes: int | None, today: date) -> int:
    """The streak that ends unless the learner practises ``today`` (their calendar day); 0 when none does.

    Takes :func:`learner_progress`'s columns (None for a learner without a row yet).
    """
    current = streaks.effective_streak(current=streak or 0, last_active=last_active, freezes=freezes or 0,
                                       today=today)
    return current if streaks.at_risk(last_active=last_active, today=today, current=current) else 0


@dataclass(frozen=True)
class WeekTotals:
    xp: int = 0
    lessons: int = 0
    seconds: int = 0
    days: int = 0  # days with at least one lesson


def week_totals(user_ids: list[int], first: date, last: date) -> dict[int, WeekTotals]:
    """XP, lessons, seconds and days practised per learner from ``first`` to ``last`` (their calendar days),
    in one query; learners who did nothing are absent."""
    rows = db.session.execute(
        select(DailyActivity.user_id, func.sum(DailyActivity.xp), func.sum(DailyActivity.lessons),
               func.sum(DailyActivity.seconds), func.count(DailyActivity.id))
        .where(DailyActivity.user_id.in_(user_ids),
               and_(DailyActivity.local_date >= first, DailyActivity.local_date <= last),
               DailyActivity.lessons > 0)
        .group_by(DailyActivity.user_id))
    return {user_id: WeekTotals(int(xp or 0), int(lessons or 0), int(seconds or 0), int(days or 0))
            for user_id, xp, lessons, seconds, days in rows}


# --- Figures for the staff's analytics (each call checks the viewer may see them) -------------------------


def active_learners(viewer: User, days: Range) -> analytics.ActiveLearners:
    """Daily active learners over the range, and weekly and monthly ones at its end. :raises Forbidden:"""
    accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
    return analytics.active_learners(days)


def streak_distribution(viewer: User) -> list[tuple[int, int | None, int]]:
    """Learners per current-streak bucket: (low, high or None, count). :raises Forbidden:"""
    accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
    return analytics.streak_distribution()


def retention_cohorts(viewer: User, last_day: date) -> list[analytics.Cohort]:
    """Week-N retention of the last sign-up weeks up to ``last_day``. :raises Forbidden:"""
    accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
    return analytics.retention_cohorts(last_day)
