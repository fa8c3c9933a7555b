"""Weekly leagues: cohorts of about thirty, a live table, promotion and demotion when the week ends."""

import os
import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from puchi.accounts.models import User
from puchi.core.db import action, db, now
from puchi.core.outbox import OutboxMessage
from puchi.progress import leagues, services
from puchi.progress.models import LeagueCohort, LeagueMembership, ProgressProfile
from tests.progress.conftest import finish_lesson

MONDAY = date(2026, 5, 4)


def _learners(app, count: int, tier: int = 1, prefix: str = "l") -> list[int]:
    """Many learners at once, straight into the tables (a league test needs numbers, not sign-ups)."""
    with app.app_context():
        rows = [{"email": f"{prefix}{n}@example.com", "display_name": f"Learner {n}", "password_hash": "x",
                 "locale": "en", "timezone": "UTC", "daily_goal": 20, "theme": "system", "sound_effects": True,
                 "avatar_color": "teal", "is_admin": False, "desired_retention": 0.9, "relaxed_mode": False,
                 "leagues_enabled": True, "created_at": now(), "updated_at": now()} for n in range(count)]
        db.session.execute(insert(User), rows)
        ids = list(db.session.scalars(select(User.id).where(User.email.like(f"{prefix}%@example.com"))
                                      .order_by(User.id)))
        db.session.execute(insert(ProgressProfile), [{"user_id": i, "league_tier": tier, "hearts": 5,
                                                      "hearts_updated_at": now(), "created_at": now()} for i in ids])
        db.session.commit()
        return ids


def _crowd_league(app, ids: list[int], week: date, fill_cohort_of: int) -> None:
    """Cohorts of thirty for every learner in ``ids``, written in bulk (the placement rules have their own test).

    The first learners fill up the cohort of ``fill_cohort_of``, so that learner's table has thirty rows.
    """
    with app.app_context():
        mine = leagues.membership_for(fill_cohort_of, week)
        room = leagues.COHORT_SIZE - 1
        db.session.execute(insert(LeagueMembership), [
            {"user_id": user_id, "cohort_id": mine.cohort_id, "week_start": week, "tier": 1, "xp": n,
             "joined_at": now()} for n, user_id in enumerate(ids[:room])])
        ids = ids[room:]
        chunks = [ids[i:i + leagues.COHORT_SIZE] for i in range(0, len(ids), leagues.COHORT_SIZE)]
        db.session.execute(insert(LeagueCohort), [{"week_start": week, "tier": 1, "size": len(c)} for c in chunks])
        cohort_ids = list(db.session.scalars(select(LeagueCohort.id).where(LeagueCohort.week_start == week)
                                             .order_by(LeagueCohort.id)))[-len(chunks):]
        db.session.execute(insert(LeagueMembership), [
            {"user_id": user_id, "cohort_id": cohort_id, "week_start": week, "tier": 1, "xp": n % 97,
             "joined_at": now()}
            for cohort_id, chunk in zip(cohort_ids, chunks, strict=True) for n, user_id in enumerate(chunk)])
        db.session.commit()


def _earn(app, user_xp: dict[int, int], at: datetime) -> None:
    """League XP as a lesson's completion adds it, in the lesson's action."""
    with app.app_context(), action():
        for user_id, xp in user_xp.items():
            leagues.add_xp(db.session.get(ProgressProfile, user_id), xp, at)


def test_learners_who_earn_xp_are_placed_in_cohorts_of_thirty_of_their_tier(app):
    ids = _learners(app, 65, tier=3)
    _earn(app, {i: 10 for i in ids}, datetime(2026, 5, 5, 12, tzinfo=UTC))
    with app.app_context():
        sizes = sorted(db.session.scalars(select(LeagueCohort.size).where(LeagueCohort.tier == 3)))
        counted = db.session.execute(select(LeagueMembership.cohort_id, func.count()).group_by(
            LeagueMembership.cohort_id)).all()
    assert sizes == [5, 30, 30]
    assert sorted(n for _, n in counted) == [5, 30, 30]


def test_the_live_table_ranks_by_xp_and_marks_the_zones(app):
    ids = _learners(app, 30, tier=4)
    _earn(app, {user_id: 100 - n for n, user_id in enumerate(ids)}, datetime(2026, 5, 5, 12, tzinfo=UTC))
    with app.app_context():
        table = leagues.table_for(ids[10], at=datetime(2026, 5, 6, tzinfo=UTC))
    assert [s.xp for s in table.standings[:3]] == [100, 99, 98]
    assert table.me.rank == 11
    assert [s.zone for s in table.standings].count("promotion") == 7
    assert [s.zone for s in table.standings].count("demotion") == 5


def test_closing_the_week_promotes_the_top_and_demotes_the_bottom_once(app):
    ids = _learners(app, 30, tier=4)
    _earn(app, {user_id: 100 - n for n, user_id in enumerate(ids)}, datetime(2026, 5, 5, 12, tzinfo=UTC))
    with app.app_context():
        assert leagues.close_finished_weeks(at=datetime(2026, 5, 10, 23, 59, tzinfo=UTC)) == 0  # not over yet
        assert leagues.close_finished_weeks(at=datetime(2026, 5, 11, 0, 0, tzinfo=UTC)) == 1
        tiers = dict(db.session.execute(select(ProgressProfile.user_id, ProgressProfile.league_tier)).all())
        outcomes = db.session.scalars(select(LeagueMembership.outcome).order_by(LeagueMembership.final_rank)).all()
        first = (tiers, outcomes)
        assert leagues.close_week(MONDAY) == 0  # the second run finds nothing to do
        assert leagues.close_finished_weeks(at=datetime(2026, 5, 12, tzinfo=UTC)) == 0
        tiers_again = dict(db.session.execute(select(ProgressProfile.user_id, ProgressProfile.league_tier)).all())
    assert tiers_again == first[0]
    assert outcomes[:7] == ["promoted"] * 7 and outcomes[-5:] == ["demoted"] * 5
    assert [tiers[i] for i in ids[:7]] == [5] * 7
    assert [tiers[i] for i in ids[-5:]] == [3] * 5
    assert tiers[ids[10]] == 4


def test_the_top_league_promotes_no_one_and_the_bottom_demotes_no_one():
    assert leagues.zone_sizes(30, 10) == (0, 5)
    assert leagues.zone_sizes(30, 1) == (7, 0)
    assert leagues.zone_sizes(1, 5) == (0, 0)
    promote, demote = leagues.zone_sizes(6, 5)
    assert promote >= 1 and promote + demote <= 6


def test_a_new_week_starts_on_monday_at_midnight_utc():
    assert leagues.week_start(datetime(2026, 5, 10, 23, 59, tzinfo=UTC)) == MONDAY
    assert leagues.week_start(datetime(2026, 5, 11, 0, 0, tzinfo=UTC)) == MONDAY + timedelta(days=7)


def test_ties_are_ranked_by_who_joined_the_cohort_first(app):
    ids = _learners(app, 12, tier=2)
    _earn(app, {user_id: (n % 4) * 10 for n, user_id in enumerate(ids)}, datetime(2026, 5, 5, 12, tzinfo=UTC))
    with app.app_context():
        table = leagues.cohort_table(db.session.scalar(select(LeagueCohort.id)))
    # ids are in the order they earned, so joined: among equal XP the earlier joiner ranks first.
    expected = sorted(((n % 4) * 10, user_id) for n, user_id in enumerate(ids))
    expected.sort(key=lambda pair: -pair[0])  # stable: join order stays within each XP
    assert [(s.xp, s.user_id) for s in table.standings] == expected


class LessonFailed(Exception):
    """What ends a lesson's action with an error after its XP was counted."""


@pytest.mark.redis
def test_a_rolled_back_lesson_leaves_the_standings_unchanged(app, redis_server):
    from redis import Redis

    app.config["REDIS_URL"] = redis_server.url  # leagues never keep a copy in Redis, even when it is there
    ids = _learners(app, 3, tier=2)
    at = datetime(2026, 5, 5, 12, tzinfo=UTC)
    _earn(app, {ids[0]: 30, ids[1]: 20, ids[2]: 10}, at)
    live_tables = select(func.count(OutboxMessage.id)).where(OutboxMessage.job == "leagues.push_table")
    with app.app_context():
        before, pushes = leagues.table_for(ids[2], at=at), db.session.scalar(live_tables)
    with pytest.raises(LessonFailed), app.app_context(), action():
        leagues.add_xp(db.session.get(ProgressProfile, ids[2]), 50, at)  # enough to lead, had it committed
        raise LessonFailed
    with app.app_context():
        after = leagues.table_for(ids[2], at=at)
        assert db.session.scalar(live_tables) == pushes  # and no live table was sent
    assert after.standings == before.standings
    assert [(s.user_id, s.xp) for s in after.standings] == [(ids[0], 30), (ids[1], 20), (ids[2], 10)]
    assert Redis.from_url(redis_server.url).keys("puchi:league:*") == []


def test_finishing_a_lesson_puts_the_learner_in_this_weeks_league(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id)
    with app.app_context():
        table = leagues.table_for(learner.id)
    assert table.me.xp == 15 and table.me.rank == 1


def test_a_learner_who_switched_leagues_off_is_never_placed(app, enrolled):
    learner = enrolled()
    with app.app_context():
        db.session.get(User, learner.id).leagues_enabled = False
        db.session.commit()
    finish_lesson(app, learner.id)
    with app.app_context():
        assert leagues.table_for(learner.id) is None
        assert services.profile_for(learner.id).total_xp == 15


def test_the_league_page_shows_the_table(app, enrolled):
    from tests.conftest import AuthActions

    learner = enrolled(display_name="Zoë")
    finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    page = client.get("/leagues").text
    assert "Bronze league" in page and "Zoë" in page and "league-row--me" in page


def test_the_league_table_and_the_statistics_page_keep_their_query_count_with_10000_learners(app, enrolled):
    """Measured: the same number of queries for a league of 30 among 10 learners as among 10 000."""
    from tests.conftest import AuthActions
    from tests.learning.test_query_counts import counting_queries

    learner = enrolled()
    finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)

    def counts():
        result = {}
        for url in ("/leagues", "/progress", "/home"):
            client.get(url)
            with counting_queries(app) as statements:
                assert client.get(url).status_code == 200
            result[url] = len(statements)
        return result

    few = counts()
    ids = _learners(app, 10_000, tier=1, prefix="crowd")
    _crowd_league(app, ids, leagues.week_start(now()), fill_cohort_of=learner.id)
    many = counts()
    assert "Learner 28" in client.get("/leagues").text
    assert few == many, (few, many)
    assert max(many.values()) <= 15, many


def test_the_league_page_says_how_long_is_left_and_why_a_learner_is_alone(app, enrolled):
    from tests.conftest import AuthActions

    learner = enrolled(display_name="Zoë")
    finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    page = client.get("/leagues").text
    assert re.search(r"<time datetime=\"[^\"]+\" title=\"[^\"]+\">\d+ (days?|hours?) left</time>", page), page
    assert "Ends " not in page
    assert "You are the first in this week" in page and "#1 of 1" not in page


# --- Filling cohorts when few learners are active -------------------------------------------------------------

TUESDAY = datetime(2026, 5, 5, 12, tzinfo=UTC)


def _join_one_by_one(app, ids: list[int], at: datetime = TUESDAY) -> None:
    """Each learner's first XP of the week in a lesson of their own, one after another."""
    for user_id in ids:
        _earn(app, {user_id: 10}, at)


def _cohorts(app, week: date = MONDAY) -> dict[int, list[tuple[int, int]]]:
    """cohort id → [(user id, member's tier)] in joining order."""
    with app.app_context():
        rows = db.session.execute(select(LeagueMembership.cohort_id, LeagueMembership.user_id, LeagueMembership.tier)
                                  .where(LeagueMembership.week_start == week).order_by(LeagueMembership.id)).all()
        sizes = dict(db.session.execute(select(LeagueCohort.id, LeagueCohort.size)
                                        .where(LeagueCohort.week_start == week)).all())
    cohorts: dict[int, list[tuple[int, int]]] = {}
    for cohort_id, user_id, tier in rows:
        cohorts.setdefault(cohort_id, []).append((user_id, tier))
    assert {c: len(m) for c, m in cohorts.items()} == sizes, "each cohort's size counts its members"
    return cohorts


def test_a_learner_of_a_quiet_tier_shares_a_cohort_with_the_nearest_tier(app):
    gold = _learners(app, 1, tier=3, prefix="gold")
    ruby = _learners(app, 1, tier=5, prefix="ruby")
    silver = _learners(app, 1, tier=2, prefix="silver")
    _join_one_by_one(app, gold + ruby + silver)
    cohorts = _cohorts(app)
    assert list(cohorts.values()) == [[(gold[0], 3), (ruby[0], 5), (silver[0], 2)]]
    with app.app_context():
        table = leagues.table_for(ruby[0], at=TUESDAY)
    assert table.tier == 5 and len(table.standings) == 3, "each member sees their own league's name"
    assert {s.user_id: s.tier for s in table.standings} == {gold[0]: 3, ruby[0]: 5, silver[0]: 2}


def test_a_full_tier_makes_room_next_door_and_nobody_waits_alone(app):
    bronze = _learners(app, leagues.COHORT_SIZE + 1, tier=1, prefix="bronze")
    diamond = _learners(app, 1, tier=10, prefix="diamond")
    _join_one_by_one(app, bronze[:leagues.COHORT_SIZE])  # one full bronze cohort
    _join_one_by_one(app, diamond)  # every cohort is full: a new one, of the diamond tier
    _join_one_by_one(app, bronze[leagues.COHORT_SIZE:])  # the next learner keeps them company
    members = sorted(_cohorts(app).values(), key=len)
    assert members[0] == [(diamond[0], 10), (bronze[-1], 1)]
    assert len(members[1]) == leagues.COHORT_SIZE


def test_own_tier_first_then_the_nearest_lower_tier_on_a_tie(app):
    low = _learners(app, 1, tier=3, prefix="low")
    high = _learners(app, 1, tier=5, prefix="high")
    middle = _learners(app, 1, tier=4, prefix="middle")
    with app.app_context(), action():  # two cohorts with room, of tiers 3 and 5 (as if each tier had others)
        for user_id, tier in ((low[0], 3), (high[0], 5)):
            cohort = LeagueCohort(week_start=MONDAY, tier=tier, size=1)
            db.session.add(cohort)
            db.session.flush()
            db.session.add(LeagueMembership(user_id=user_id, cohort_id=cohort.id, week_start=MONDAY, tier=tier,
                                            xp=0, joined_at=now()))
    _join_one_by_one(app, middle)
    cohorts = _cohorts(app)
    assert [(middle[0], 4)] == [m for members in cohorts.values() for m in members if m[1] == 4]
    assert next(members for members in cohorts.values() if (middle[0], 4) in members)[0] == (low[0], 3)


def test_placement_is_deterministic_and_never_leaves_two_learners_alone(app):
    import random

    rng = random.Random(12)
    tiers = [rng.choice((1, 1, 1, 2, 2, 3, 6, 9, 10)) for _ in range(80)]
    ids = [_learners(app, 1, tier=tier, prefix=f"r{n}-")[0] for n, tier in enumerate(tiers)]
    for n, user_id in enumerate(ids):
        _join_one_by_one(app, [user_id])
        sizes = sorted(len(m) for m in _cohorts(app).values())
        assert sizes.count(1) <= 1, f"after join {n}: two learners alone ({sizes})"
        if n and sizes[0] == 1:
            assert all(size == leagues.COHORT_SIZE for size in sizes[1:]), sizes
    first_week = [[tiers[ids.index(u)] for u, _ in m] for m in _cohorts(app).values()]
    # The same joins in the same order, next week, give the same cohorts.
    _join_one_by_one(app, ids, at=TUESDAY + timedelta(days=7))
    next_week = [[tiers[ids.index(u)] for u, _ in m] for m in _cohorts(app, MONDAY + timedelta(days=7)).values()]
    assert first_week == next_week and sorted(map(len, first_week)) == [20, 30, 30]


def test_closing_a_merged_cohort_moves_each_member_from_their_own_tier(app):
    gold = _learners(app, 1, tier=3, prefix="gold")
    ruby = _learners(app, 1, tier=5, prefix="ruby")
    _earn(app, {gold[0]: 10}, TUESDAY)
    _earn(app, {ruby[0]: 50}, TUESDAY)
    with app.app_context():
        assert leagues.close_finished_weeks(at=datetime(2026, 5, 11, tzinfo=UTC)) == 1
        tiers = dict(db.session.execute(select(ProgressProfile.user_id, ProgressProfile.league_tier)).all())
    assert tiers[ruby[0]] == 6 and tiers[gold[0]] == 3


@pytest.mark.skipif(os.environ.get("PUCHI_TEST_DB") != "postgresql",
                    reason="concurrent writers need PostgreSQL (SQLite runs one writer at a time)")
def test_learners_joining_at_once_share_one_cohort(app):
    """Twelve learners of two tiers earn their first XP of the week at the same moment, in twelve threads: one
    cohort of twelve, not several half-empty ones."""
    ids = _learners(app, 6, tier=2, prefix="a") + _learners(app, 6, tier=7, prefix="b")
    barrier = threading.Barrier(len(ids))
    failures: list[str] = []

    def join(user_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                with action():
                    leagues.add_xp(db.session.get(ProgressProfile, user_id), 10, TUESDAY)
            except Exception as error:  # the outcome is what is asserted
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=join, args=(user_id,)) for user_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    cohorts = _cohorts(app)
    assert [len(m) for m in cohorts.values()] == [12]
