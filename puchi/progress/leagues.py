"""Weekly leagues: ten tiers, cohorts of about thirty, promotion and demotion when the week ends.

Cohorts are filled so that nobody is "#1 of 1" while others are active: a tier with too few learners shares
cohorts with the nearest tiers (see :func:`join_week`).

Weeks start on Monday 00:00 UTC. The database holds the standings (memberships and their XP), written in
the transaction that earns the XP, so a lesson that rolls back leaves them as they were. A live table is
one indexed query over a cohort's thirty rows: bench/league_table.py measures it at about half a
millisecond whatever the number of learners, which a Redis sorted set (an extra round trip, and a second
copy to keep right) could not beat. Ties are broken by who joined the cohort first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update

from puchi.accounts.models import User, initials_of, public_name_of
from puchi.core import events, outbox
from puchi.core.db import action, db, now, rowcount
from puchi.progress.events import LeagueDemoted, LeaguePromoted
from puchi.progress.models import LEAGUE_TIERS, LeagueCohort, LeagueMembership, ProgressProfile

COHORT_SIZE = 30
PROMOTE, DEMOTE = 7, 5  # in a full cohort of thirty
TIER_KEYS = ("bronze", "silver", "gold", "sapphire", "ruby", "emerald", "amethyst", "pearl", "obsidian", "diamond")


def week_start(at: datetime) -> date:
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def week_end(start: date) -> datetime:
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=7)


def zone_sizes(size: int, tier: int) -> tuple[int, int]:
    """How many go up and down in a cohort of ``size``: 7 and 5 of 30, scaled down for small cohorts."""
    if size < 2:
        return 0, 0
    promote = 0 if tier >= LEAGUE_TIERS else max(1, min(PROMOTE, round(size * PROMOTE / COHORT_SIZE)))
    demote = 0 if tier <= 1 else min(DEMOTE, round(size * DEMOTE / COHORT_SIZE))
    return promote, min(demote, size - promote)


# --- Joining and earning ------------------------------------------------------------------------------

def membership_for(user_id: int, week: date) -> LeagueMembership | None:
    return db.session.scalar(select(LeagueMembership).where(LeagueMembership.user_id == user_id,
                                                            LeagueMembership.week_start == week))


def join_week(profile: ProgressProfile, week: date) -> LeagueMembership:
    """Place the learner in this week's league (once a week, on their first XP of it).

    The rules, so that no learner sits alone in a table while others are active that week:

    1. A cohort of the learner's own tier with room (fewer than ``COHORT_SIZE``), the oldest first.
    2. Else a cohort of the nearest tier with room (the lower one on a tie): when a tier has too few active
       learners its cohorts merge with the neighbours'. Each member keeps their own tier: promotion and
       demotion move them from it.
    3. Else (every cohort of the week is full, or this is the week's first learner) a new cohort of their tier,
       which the next learner to join, of any tier, is placed in by rule 1 or 2.

    Joins of one week are serialised (a PostgreSQL transaction-level advisory lock; SQLite's write lock), so two
    learners joining at once see each other's seat and never open two half-empty cohorts. Deterministic: the
    same joins in the same order give the same cohorts.
    """
    existing = membership_for(profile.user_id, week)
    if existing is not None:
        return existing
    _serialise_joins(week)
    existing = membership_for(profile.user_id, week)  # another tab of this learner got the lock first
    if existing is not None:
        return existing
    tier = profile.league_tier
    open_cohorts = db.session.execute(select(LeagueCohort.id, LeagueCohort.tier).where(
        LeagueCohort.week_start == week, LeagueCohort.size < COHORT_SIZE, LeagueCohort.closed_at.is_(None))).all()
    chosen = min(open_cohorts, key=lambda c: (abs(c.tier - tier), c.tier, c.id), default=None)
    if chosen is not None:
        cohort_id = chosen.id
        db.session.execute(update(LeagueCohort).where(LeagueCohort.id == cohort_id)
                           .values(size=LeagueCohort.size + 1))
    else:
        cohort = LeagueCohort(week_start=week, tier=tier, size=1)
        db.session.add(cohort)
        db.session.flush()
        cohort_id = cohort.id
    membership = LeagueMembership(user_id=profile.user_id, cohort_id=cohort_id, week_start=week, tier=tier, xp=0,
                                  joined_at=now())
    db.session.add(membership)
    db.session.flush()
    return membership


_JOIN_LOCK = 0x6C6561  # "lea": the advisory-lock namespace of league joins (the week's day number is the key)


def _serialise_joins(week: date) -> None:
    """Hold the week's join lock until the transaction ends (PostgreSQL). SQLite's actions already hold the
    database's write lock (``BEGIN IMMEDIATE``), which serialises joins as well."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(_JOIN_LOCK, week.toordinal())))


def add_xp(profile: ProgressProfile, amount: int, at: datetime) -> LeagueMembership:
    membership = join_week(profile, week_start(at))
    db.session.execute(update(LeagueMembership).where(LeagueMembership.id == membership.id)
                       .values(xp=LeagueMembership.xp + amount))
    outbox.add("leagues.push_table", {"cohort_id": membership.cohort_id})  # live tables, after the commit
    return membership


# --- Reading the table ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    display_name: str
    initials: str
    avatar_color: str
    xp: int
    zone: str  # "promotion", "demotion" or ""
    tier: int = 1  # the member's own tier (a cohort of a tier with few learners merges with its neighbours')


@dataclass(frozen=True)
class LeagueTable:
    tier: int
    week_start: date
    ends_at: datetime
    standings: list[Standing]
    me: Standing | None


def table_for(user_id: int, at: datetime | None = None) -> LeagueTable | None:
    """The learner's cohort this week, ranked; None until they earn XP this week. Two queries."""
    membership = membership_for(user_id, week_start(at or now()))
    if membership is None:
        return None
    return cohort_table(membership.cohort_id, me=user_id)


def cohort_table(cohort_id: int, me: int | None = None) -> LeagueTable:
    """The cohort ranked by XP (ties: who joined first), with the zones marked. One query."""
    rows = db.session.execute(
        select(LeagueMembership.user_id, LeagueMembership.xp, LeagueMembership.id, LeagueMembership.tier,
               LeagueMembership.week_start, User.display_name, User.avatar_color, User.profile_hidden_at)
        .join(User, User.id == LeagueMembership.user_id)
        .where(LeagueMembership.cohort_id == cohort_id)).all()
    ordered = sorted(rows, key=lambda row: (-row.xp, row.id))
    tiers = {row.tier for row in rows}
    tier = rows[0].tier if rows else 1
    # A merged cohort sizes its zones as a middle tier's would; a member at the top (bottom) tier stays out of
    # the promotion (demotion) zone.
    promote, demote = zone_sizes(len(rows), tier if len(tiers) <= 1 else 2)
    standings = []
    for index, row in enumerate(ordered):
        rank = index + 1
        zone = "promotion" if rank <= promote and row.xp > 0 and row.tier < LEAGUE_TIERS else \
            "demotion" if rank > len(rows) - demote and row.tier > 1 else ""
        # others see a name moderation hid as a neutral one; its owner still sees theirs
        name = row.display_name if row.user_id == me else public_name_of(row.display_name, row.profile_hidden_at)
        standings.append(Standing(rank, row.user_id, name, initials_of(name), row.avatar_color, row.xp, zone,
                                  row.tier))
    week = rows[0].week_start if rows else week_start(now())
    mine = next((s for s in standings if s.user_id == me), None)
    return LeagueTable(tier=mine.tier if mine else tier, week_start=week, ends_at=week_end(week),
                       standings=standings, me=mine)


# --- The end of the week --------------------------------------------------------------------------------

def close_week(week: date) -> int:
    """Promote the top and demote the bottom of every cohort of ``week``. Idempotent; returns cohorts closed.

    One action a cohort. Each cohort is claimed by setting ``closed_at`` where it is still empty, so running
    this twice (or in two workers at once) moves nobody twice.
    """
    cohort_ids = db.session.scalars(select(LeagueCohort.id).where(LeagueCohort.week_start == week,
                                                                  LeagueCohort.closed_at.is_(None))).all()
    return sum(_close_cohort(cohort_id, week) for cohort_id in cohort_ids)


@action
def _close_cohort(cohort_id: int, week: date) -> int:
    """1 when this call closed the cohort, 0 when another got there first."""
    claim = db.session.execute(update(LeagueCohort).where(LeagueCohort.id == cohort_id,
                                                          LeagueCohort.closed_at.is_(None))
                               .values(closed_at=now()))
    if rowcount(claim) != 1:
        return 0
    table = cohort_table(cohort_id)
    for standing in table.standings:
        outcome = {"promotion": "promoted", "demotion": "demoted"}.get(standing.zone, "stayed")
        db.session.execute(update(LeagueMembership).where(LeagueMembership.cohort_id == cohort_id,
                                                          LeagueMembership.user_id == standing.user_id)
                           .values(final_rank=standing.rank, outcome=outcome))
        change = {"promoted": 1, "demoted": -1}.get(outcome, 0)
        new_tier = max(1, min(LEAGUE_TIERS, standing.tier + change))
        db.session.execute(update(ProgressProfile).where(ProgressProfile.user_id == standing.user_id)
                           .values(league_tier=new_tier))
        if change:
            move = LeaguePromoted if change > 0 else LeagueDemoted
            events.record(move(from_tier=standing.tier, to_tier=new_tier, rank=standing.rank, week_start=week),
                          actor_id=standing.user_id, subject=("league_cohort", cohort_id))
    return 1


def close_finished_weeks(at: datetime | None = None) -> int:
    """Close every week that has ended (the worker calls this every few minutes)."""
    current_week = week_start(at or now())
    weeks = db.session.scalars(select(LeagueCohort.week_start).where(LeagueCohort.week_start < current_week,
                                                                     LeagueCohort.closed_at.is_(None))
                               .distinct()).all()
    return sum(close_week(week) for week in sorted(weeks))
