"""Measure the weekly league table read among many learners, and show it does not grow with their number.

Run from the repository root:
``.venv/bin/python bench/league_table.py [--learners N] [--seconds S] [--database-url URL]``.
It migrates a throwaway database twice (N learners, then 100 as the baseline), fills it in bulk with learners
in cohorts of thirty for the current week, and times, single-threaded and in-process, ``leagues.cohort_table``,
``leagues.table_for`` and the whole ``GET /leagues`` page through the Flask test client, counting the SQL
statements of each. Everything it creates (a temp folder, SQLite files or PostgreSQL schemas) is deleted before
it exits. See bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from _shared import Database, LatencyStats, QueryCounter, check_postgres_url, database_for, log
from flask import Flask
from sqlalchemy import event, insert, select

from puchi import create_app
from puchi.accounts.models import User
from puchi.core.db import db, now
from puchi.progress import leagues
from puchi.progress.models import LeagueCohort, LeagueMembership, ProgressProfile

BASELINE_LEARNERS = 100
MAX_ITERATIONS = 200_000  # a second bound on every timed loop, besides the clock
MAX_WARMUP_ITERATIONS = 2_000
BENCH_EMAIL, BENCH_NAME, BENCH_PASSWORD = "bench-learner@example.com", "Bench Learner", "bench-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW_MARK = '<tr class="league-row'
ME_MARK = "league-row--me"
# The environment must not point the benchmark at a real database, Redis or mail server, nor at production.
IGNORED_ENV = ("PUCHI_ENV", "DATABASE_URL", "REDIS_URL", "SMTP_URL")


# --- Databases ------------------------------------------------------------------------------------------

def make_app(database: Database, tmp: Path) -> Flask:
    """The real app on ``database``, migrated with the real Alembic migrations."""
    from flask_migrate import upgrade

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database.url,
        "SQLALCHEMY_ENGINE_OPTIONS": database.engine_options,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "REDIS_URL": None,
        "SMTP_URL": None,
        "MAIL_DIR": str(tmp / "mail"),
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        upgrade()
    return app


# --- Filling it -----------------------------------------------------------------------------------------

@dataclass
class Dataset:
    learners: int
    cohorts: int
    week: date
    user_id: int  # the learner who logs in; their cohort is full and sits in the middle of the week's cohorts
    cohort_id: int
    timings: dict[str, float]

    @property
    def populate_seconds(self) -> float:
        return sum(self.timings.values())


def populate(app: Flask, learners: int) -> Dataset:
    """One real account (argon2 hash) plus ``learners - 1`` bulk ones, all in cohorts of thirty this week.

    Users, profiles, cohorts and memberships go in with one executemany insert each.
    """
    from puchi.accounts.services import create_verified_user

    rng = random.Random(learners)
    timings: dict[str, float] = {}
    with app.app_context():
        week = leagues.week_start(now())
        started = time.perf_counter()
        me = create_verified_user(email=BENCH_EMAIL, display_name=BENCH_NAME, password=BENCH_PASSWORD).id
        timings["1 account via create_verified_user"] = time.perf_counter() - started

        started = time.perf_counter()
        stamp = now()
        db.session.execute(insert(User.__table__), [
            {"email": f"learner{n}@bench.example.com", "display_name": f"Learner {n}", "password_hash": "x",
             "locale": "en", "timezone": "UTC", "daily_goal": 20, "theme": "system", "sound_effects": True,
             "avatar_color": rng.choice(("teal", "coral", "violet", "amber")), "is_admin": False,
             "desired_retention": 0.9, "relaxed_mode": False, "leagues_enabled": True, "created_at": stamp,
             "updated_at": stamp} for n in range(learners - 1)])
        others = list(db.session.scalars(select(User.id).where(User.id != me).order_by(User.id)))
        timings["users"] = time.perf_counter() - started

        started = time.perf_counter()
        # create_verified_user made the real learner's profile already (progress subscribes to user.created).
        db.session.execute(insert(ProgressProfile.__table__), [
            {"user_id": user_id, "league_tier": 1, "hearts": 5, "hearts_updated_at": stamp, "created_at": stamp,
             "total_xp": 0, "lessons_completed": 0, "perfect_lessons": 0, "current_streak": 0, "longest_streak": 0,
             "streak_freezes": 0, "gems": 0} for user_id in others])
        timings["profiles"] = time.perf_counter() - started

        # The learner's cohort is a full one in the middle, so any scan over the week would show.
        middle = (learners // leagues.COHORT_SIZE) // 2
        seat = middle * leagues.COHORT_SIZE + rng.randrange(leagues.COHORT_SIZE)
        members = [*others[:seat], me, *others[seat:]]
        chunks = [members[i:i + leagues.COHORT_SIZE] for i in range(0, len(members), leagues.COHORT_SIZE)]
        started = time.perf_counter()
        db.session.execute(insert(LeagueCohort.__table__), [{"week_start": week, "tier": 1, "size": len(chunk)}
                                                            for chunk in chunks])
        cohort_ids = list(db.session.scalars(select(LeagueCohort.id).where(LeagueCohort.week_start == week)
                                             .order_by(LeagueCohort.id)))
        if len(cohort_ids) != len(chunks):
            raise RuntimeError(f"expected {len(chunks)} cohorts, found {len(cohort_ids)}")
        timings["cohorts"] = time.perf_counter() - started

        xp = {user_id: rng.randrange(0, 400) for user_id in members}  # ties included: ranks break them
        started = time.perf_counter()
        db.session.execute(insert(LeagueMembership.__table__), [
            {"user_id": user_id, "cohort_id": cohort_id, "week_start": week, "tier": 1, "xp": xp[user_id],
             "joined_at": stamp}
            for cohort_id, chunk in zip(cohort_ids, chunks, strict=True) for user_id in chunk])
        db.session.commit()
        timings["memberships"] = time.perf_counter() - started

        cohort_id = cohort_ids[middle]
        if len(chunks[middle]) != leagues.COHORT_SIZE or me not in chunks[middle]:
            raise RuntimeError("the bench learner's cohort is not full")
    return Dataset(learners, len(chunks), week, me, cohort_id, timings)


# --- Measuring ------------------------------------------------------------------------------------------

@dataclass
class Result(LatencyStats):
    name: str
    iterations: int
    wall: float
    latencies: list[float]
    queries: Counter[int] = field(default_factory=Counter)  # statements per call -> calls

    @property
    def throughput(self) -> float:
        return self.iterations / self.wall if self.wall else 0.0



def measure(name: str, operation: Callable[[], None], counter: QueryCounter, seconds: float,
            warmup: float) -> Result:
    """Warm up (untimed), then call ``operation`` for ``seconds`` or MAX_ITERATIONS times, whichever ends first."""
    log(f"{name}: warm-up {warmup:g} s, then {seconds:g} s")
    deadline = time.perf_counter() + warmup
    for _ in range(MAX_WARMUP_ITERATIONS):
        operation()
        if time.perf_counter() >= deadline:
            break
    latencies: list[float] = []
    queries: Counter[int] = Counter()
    start = time.perf_counter()
    deadline = start + seconds
    for _ in range(MAX_ITERATIONS):
        before = counter.count
        began = time.perf_counter()
        operation()
        ended = time.perf_counter()
        latencies.append(ended - began)
        queries[counter.count - before] += 1
        if ended >= deadline:
            break
    return Result(name, len(latencies), time.perf_counter() - start, latencies, queries)


def expect_table(table: leagues.LeagueTable | None, me: int | None = None) -> None:
    if table is None or len(table.standings) != leagues.COHORT_SIZE:
        raise RuntimeError(f"expected a table of {leagues.COHORT_SIZE}, got {table and len(table.standings)}")
    if me is not None and (table.me is None or table.me.user_id != me):
        raise RuntimeError("the table does not show the learner")


def log_in(app: Flask) -> Any:
    """A test client logged in as the bench learner through the real form (CSRF token, argon2 check)."""
    client = app.test_client()
    page = client.get("/login")
    match = CSRF_RE.search(page.text)
    if page.status_code != 200 or match is None:
        raise RuntimeError(f"no log-in form on /login ({page.status_code})")
    reply = client.post("/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD,
                                        "csrf_token": match.group(1)})
    if reply.status_code != 302 or reply.location.startswith("/login"):
        raise RuntimeError(f"log-in failed: {reply.status_code} {reply.text[:300]!r}")
    return client


def run_dataset(app: Flask, data: Dataset, seconds: float, warmup: float) -> list[Result]:
    """Time each read of ``data``'s learner and cohort; every call runs in a fresh app context, as a request."""
    cohort_id, me = data.cohort_id, data.user_id
    client = log_in(app)

    def cohort_table() -> None:
        with app.app_context():
            expect_table(leagues.cohort_table(cohort_id))

    def table_for() -> None:
        with app.app_context():
            expect_table(leagues.table_for(me), me)

    def page() -> None:
        reply = client.get("/leagues")
        if reply.status_code != 200 or reply.text.count(ROW_MARK) != leagues.COHORT_SIZE or ME_MARK not in reply.text:
            raise RuntimeError(f"GET /leagues: {reply.status_code}, {reply.text.count(ROW_MARK)} rows")

    with app.app_context():
        engine = db.engine
    operations: list[tuple[str, Callable[[], None]]] = [
        ("cohort_table", cohort_table), ("table_for", table_for), ("GET /leagues (whole page)", page)]

    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        return [measure(name, operation, counter, seconds, warmup) for name, operation in operations]
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def bench(learners: int, base_url: str | None, seconds: float, warmup: float,
          tmp: Path) -> tuple[Dataset, list[Result], str]:
    """Migrate, fill and measure one dataset in a database of its own; returns the database's description."""
    with database_for(learners, base_url, tmp, prefix="bench_league") as database:
        log(f"N={learners}: migrating ({database.describe})")
        app = make_app(database, tmp)
        try:
            log(f"N={learners}: populating")
            data = populate(app, learners)
            results = run_dataset(app, data, seconds, warmup)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return data, results, database.describe


# --- The report -----------------------------------------------------------------------------------------

def print_dataset(label: str, data: Dataset, results: list[Result]) -> None:
    timings = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in data.timings.items())
    print(f"{label}: {data.learners} learners in {data.cohorts} cohorts of up to {leagues.COHORT_SIZE} "
          f"(week of {data.week.isoformat()})")
    print(f"  populated in {data.populate_seconds:.2f} s: {timings}")
    print(f"  {'operation':<28} {'iterations':>10} {'ops/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'queries/op':>10}")
    for r in results:
        print(f"  {r.name:<28} {r.iterations:>10} {r.throughput:>9.1f} {r.percentile(50):>8.3f} "
              f"{r.percentile(95):>8.3f} {r.percentile(99):>8.3f} {r.queries_label:>10}")
    print()


def report(big: tuple[Dataset, list[Result]], small: tuple[Dataset, list[Result]], database: str,
           seconds: float, warmup: float, load_before: tuple[float, ...]) -> None:
    print("Puchi league-table benchmark")
    print(f"machine:   {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()} {platform.release()}), "
          f"Python {platform.python_version()}")
    load_after = os.getloadavg()
    print(f"load avg:  {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after (1/5/15 min)")
    print(f"database:  {database}, real Alembic migrations; a second one for the baseline")
    print(f"timing:    single-threaded, in-process; per operation {warmup:g} s warm-up, then {seconds:g} s "
          f"(at most {MAX_ITERATIONS} calls)")
    print("           each call in a fresh app context, as a request; the page is one logged-in test-client GET")
    print("           queries/op: statements per call seen by a before_cursor_execute listener on db.engine")
    print()
    print_dataset(f"N = {big[0].learners}", *big)
    print_dataset(f"baseline N = {small[0].learners}", *small)
    print(f"N = {big[0].learners} against N = {small[0].learners} (p50 ratio ~1.0: the read does not grow with "
          "the number of learners):")
    baseline = {r.name: r for r in small[1]}
    for r in big[1]:
        base = baseline[r.name]
        ratio = r.percentile(50) / base.percentile(50) if base.latencies else math.nan
        same = "same" if r.queries_label == base.queries_label else "DIFFERENT"
        print(f"  {r.name:<28} p50 {ratio:5.2f}x   queries {r.queries_label} vs {base.queries_label} ({same})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000, help="learners in the big dataset (default 10000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement (default 5)")
    parser.add_argument("--database-url", help="postgresql+psycopg://… of a database named bench*; default: "
                                               "a throwaway SQLite file")
    args = parser.parse_args()
    if not 0 < args.seconds <= 120 or not leagues.COHORT_SIZE <= args.learners <= 1_000_000:
        parser.error(f"--seconds must be in (0, 120] and --learners in [{leagues.COHORT_SIZE}, 1000000]")
    if args.database_url:
        check_postgres_url(args.database_url)
    for name in IGNORED_ENV:
        os.environ.pop(name, None)
    warmup = min(1.0, max(0.2, args.seconds / 10))
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="puchi-bench-league-"))
    try:
        big_data, big_results, database = bench(args.learners, args.database_url, args.seconds, warmup, tmp)
        small_data, small_results, _ = bench(BASELINE_LEARNERS, args.database_url, args.seconds, warmup, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report((big_data, big_results), (small_data, small_results), database, args.seconds, warmup, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
