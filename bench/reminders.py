"""Measure the job the worker runs every minute: due reminders and due weekly reports among many learners.

Run from the repository root:
``.venv/bin/python bench/reminders.py [--learners N] [--seconds S] [--database-url URL]``.
It migrates a throwaway database twice (N learners, then 100 as the baseline), fills it in bulk with enrolled
learners spread over 24 timezones (one per UTC offset) on a fixed winter Sunday, and times, single-threaded and
in-process, ``reminders.send_due_reminders`` and ``reminders.send_due_reports`` at a minute when nobody is due
and at the minute one timezone comes due, counting the SQL statements of each call. Everything it creates (a
temp folder, SQLite files or PostgreSQL schemas) is deleted before it exits. See bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from _shared import Database, LatencyStats, QueryCounter, check_postgres_url, database_for, log
from flask import Flask
from sqlalchemy import delete, event, func, insert, select

from puchi import create_app
from puchi.accounts.models import User
from puchi.core.db import db, now
from puchi.core.outbox import OutboxMessage
from puchi.learning.models import Course, Enrollment
from puchi.notifications import reminders, schedule
from puchi.notifications.models import Delivery, Notification, NotificationSchedule
from puchi.notifications.schedule import Schedule
from puchi.progress.models import DailyActivity, ProgressProfile

BASELINE_LEARNERS = 100
MAX_ITERATIONS = 10_000  # a second bound on the timed loop of a quiet minute, besides the clock
MAX_WARMUP_ITERATIONS = 200
MAX_DUE_REPEATS = 5  # a due minute is timed again (its notifications deleted in between) at most this often
# The environment must not point the benchmark at a real database, Redis, mail server, push keys or SMS gateway.
IGNORED_ENV = ("PUCHI_ENV", "DATABASE_URL", "REDIS_URL", "SMTP_URL", "PUCHI_MAIL_DIR", "PUCHI_SMS_DIR",
               "VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "SMS_GATEWAY", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN")

# A Sunday (the default weekly-report day) in northern winter, fixed so that every UTC offset below is too.
DAY = date(2026, 1, 11)
# One timezone per UTC offset on DAY, so that exactly one of them reaches a whole local hour at a given minute.
TIMEZONES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Halifax", "America/Sao_Paulo", "Atlantic/South_Georgia", "Atlantic/Azores",
    "Europe/London", "Europe/Madrid", "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi",
    "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Brisbane",
    "Australia/Sydney", "Pacific/Auckland",
)
DUE_ZONE = "Europe/Madrid"  # UTC+1 on DAY: 19:00 there at 18:00 UTC, 10:00 there at 09:00 UTC


def utc(hour: int, minute: int) -> datetime:
    return datetime.combine(DAY, clock(hour, minute), tzinfo=UTC)


# The job's minutes. A first run at the minute before catches up with everything due so far (every zone whose
# evening or report hour has already come), so the next minute brings exactly one zone's learners.
REMINDERS_BEFORE, REMINDERS_DUE = utc(17, 59), utc(18, 0)  # 19:00 in Madrid
REPORTS_BEFORE, REPORTS_DUE = utc(8, 59), utc(9, 0)  # 10:00 in Madrid, on Sunday

SCHEDULE_SHARE = 0.12  # learners with a notification_schedules row; the rest have the defaults
# Their choices; times off the whole hour, so that none of them comes due at the two due minutes above.
SCHEDULES = (
    Schedule(quiet_start=clock(22, 0), quiet_end=clock(7, 0)),  # nights: late zones' reminders are held back
    Schedule(reminder_time=clock(7, 45)),  # a morning reminder
    Schedule(reminder_time=clock(20, 10), weekly_day=2),  # later in the evening; the report on Wednesdays
    Schedule(quiet_start=clock(18, 30), quiet_end=clock(19, 30)),  # holds the 19:00 reminder until 19:30
    Schedule(quiet_start=clock(9, 30), quiet_end=clock(10, 30)),  # holds the 10:00 report until 10:30
    Schedule(reminders_on=False, weekly_on=False),  # neither
)


def check_timezones() -> None:
    offsets = {REMINDERS_DUE.astimezone(schedule.zone_named(name)).utcoffset() for name in TIMEZONES}
    if len(offsets) != len(TIMEZONES):
        raise RuntimeError("two of the benchmark's timezones share a UTC offset on its day (tzdata changed?)")
    for at, wall in ((REMINDERS_DUE, schedule.DEFAULT_REMINDER), (REPORTS_DUE, schedule.WEEKLY_REPORT_AT)):
        local = at.astimezone(schedule.zone_named(DUE_ZONE))
        if local.time() != wall or local.date() != DAY:
            raise RuntimeError(f"{at:%H:%M} UTC is {local:%Y-%m-%d %H:%M} in {DUE_ZONE}, not {wall:%H:%M} on {DAY}")


# --- Databases ------------------------------------------------------------------------------------------

def make_app(database: Database, tmp: Path) -> Flask:
    """The real app on ``database``, migrated with the real Alembic migrations.

    No Redis (outbox messages would run inline), console mail and SMS into the temp folder, no push keys."""
    from flask_migrate import upgrade

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database.url,
        "SQLALCHEMY_ENGINE_OPTIONS": database.engine_options,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "REDIS_URL": None,
        "SMTP_URL": None,
        "MAIL_DIR": str(tmp / "mail"),
        "SMS_GATEWAY": "console",
        "SMS_DIR": str(tmp / "sms"),
        "VAPID_PUBLIC_KEY": None,
        "VAPID_PRIVATE_KEY": None,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        upgrade()
    return app


# --- Filling it -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Learner:
    """What the benchmark seeded for one learner: enough to tell, independently of the job, who is due when."""

    timezone: str
    last_active: date | None  # in their own calendar
    streak: int
    chosen: Schedule
    has_schedule_row: bool


def plan_learner(n: int, rng: random.Random) -> Learner:
    """Spread evenly over the timezones; most last practised yesterday, some today, a few never."""
    timezone = TIMEZONES[n % len(TIMEZONES)]
    today = REMINDERS_BEFORE.astimezone(schedule.zone_named(timezone)).date()
    roll = rng.random()
    if roll < 0.05:
        last_active, streak = None, 0
    else:
        last_active = today if roll < 0.20 else today - timedelta(days=1)
        streak = rng.randrange(1, 120)
    chosen = rng.choice(SCHEDULES) if rng.random() < SCHEDULE_SHARE else None
    return Learner(timezone, last_active, streak, chosen or Schedule(), chosen is not None)


def reminder_due(learner: Learner, at: datetime) -> bool:
    """The reminder rule, written out here, to check the job's count (``already sent`` is left to the caller)."""
    local = at.astimezone(schedule.zone_named(learner.timezone))
    chosen = learner.chosen
    return (chosen.reminders_on and chosen.reminder_time <= local.time().replace(second=0, microsecond=0)
            and (learner.last_active is None or learner.last_active < local.date())
            and not schedule.in_quiet_hours(chosen, local.time()))


def report_due(learner: Learner, at: datetime) -> bool:
    local = at.astimezone(schedule.zone_named(learner.timezone))
    chosen = learner.chosen
    return (chosen.weekly_on and local.time() >= schedule.WEEKLY_REPORT_AT and local.weekday() == chosen.weekly_day
            and not schedule.in_quiet_hours(chosen, local.time()))


@dataclass
class Dataset:
    learners: list[Learner]
    user_ids: list[int]  # in the order of ``learners``
    activity_rows: int
    timings: dict[str, float]
    sent: dict[str, set[int]] = field(default_factory=lambda: {"reminder": set(), "weekly": set()})  # indexes

    @property
    def populate_seconds(self) -> float:
        return sum(self.timings.values())

    @property
    def schedule_rows(self) -> int:
        return sum(learner.has_schedule_row for learner in self.learners)

    def expected(self, kind: str, at: datetime) -> set[int]:
        """The learners the job should find due at ``at``: the rule above, less those already sent one."""
        due = reminder_due if kind == "reminder" else report_due
        return {i for i, learner in enumerate(self.learners) if i not in self.sent[kind] and due(learner, at)}


def populate(app: Flask, learners: int) -> Dataset:
    """One course, then N learners with one executemany insert each for users, enrollments, progress profiles,
    notification schedules (about 12 %) and daily activity (the streak's last days, up to a week)."""
    rng = random.Random(learners)
    plan = [plan_learner(n, rng) for n in range(learners)]
    timings: dict[str, float] = {}
    with app.app_context():
        stamp = now()
        started = time.perf_counter()
        db.session.execute(insert(Course.__table__), [{
            "slug": "bench-spanish", "title": "Spanish (bench)", "description": "", "target_language": "es",
            "target_language_name": "Spanish", "source_language": "en", "source_language_name": "English",
            "licence_name": "", "licence_short_name": "", "licence_link": "", "repository": "",
            "special_characters": [], "settings": {}, "version": 1, "is_published": True, "created_at": stamp,
            "updated_at": stamp}])
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "bench-spanish"))
        db.session.execute(insert(User.__table__), [
            {"email": f"learner{n}@bench.example.com", "display_name": f"Learner {n}", "password_hash": "x",
             "email_verified_at": None, "locale": "en", "timezone": learner.timezone, "daily_goal": 20,
             "theme": "system", "sound_effects": True, "avatar_color": rng.choice(("teal", "coral", "violet")),
             "is_admin": False, "desired_retention": 0.9, "relaxed_mode": False, "leagues_enabled": True,
             "created_at": stamp, "updated_at": stamp} for n, learner in enumerate(plan)])
        user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        if len(user_ids) != learners:
            raise RuntimeError(f"expected {learners} users, found {len(user_ids)}")
        timings["course and users"] = time.perf_counter() - started

        started = time.perf_counter()
        db.session.execute(insert(Enrollment.__table__), [
            {"user_id": user_id, "course_id": course_id, "is_active": True, "created_at": stamp,
             "last_practised_at": None} for user_id in user_ids])
        timings["enrollments"] = time.perf_counter() - started

        started = time.perf_counter()
        db.session.execute(insert(ProgressProfile.__table__), [
            {"user_id": user_id, "league_tier": rng.randrange(1, 6), "hearts": 5, "hearts_updated_at": stamp,
             "created_at": stamp, "total_xp": learner.streak * 30, "lessons_completed": learner.streak * 2,
             "perfect_lessons": 0, "current_streak": learner.streak, "longest_streak": learner.streak,
             "last_active_date": learner.last_active, "streak_freezes": rng.randrange(3), "gems": 0}
            for user_id, learner in zip(user_ids, plan, strict=True)])
        timings["profiles"] = time.perf_counter() - started

        started = time.perf_counter()
        rows = [{"user_id": user_id, "quiet_start": learner.chosen.quiet_start, "quiet_end": learner.chosen.quiet_end,
                 "reminder_time": learner.chosen.reminder_time, "reminders_on": learner.chosen.reminders_on,
                 "weekly_day": learner.chosen.weekly_day, "weekly_on": learner.chosen.weekly_on}
                for user_id, learner in zip(user_ids, plan, strict=True) if learner.has_schedule_row]
        if rows:
            db.session.execute(insert(NotificationSchedule.__table__), rows)
        timings["schedules"] = time.perf_counter() - started

        started = time.perf_counter()
        activity = [{"user_id": user_id, "local_date": learner.last_active - timedelta(days=back),
                     "xp": rng.randrange(10, 80), "lessons": rng.randrange(1, 4), "seconds": rng.randrange(120, 1800),
                     "goal_reached": True, "freeze_used": False}
                    for user_id, learner in zip(user_ids, plan, strict=True) if learner.last_active is not None
                    for back in range(min(learner.streak, 7))]
        db.session.execute(insert(DailyActivity.__table__), activity)
        db.session.commit()
        timings["daily activity"] = time.perf_counter() - started
    return Dataset(plan, user_ids, len(activity), timings)


# --- Measuring ------------------------------------------------------------------------------------------

@dataclass
class Result(LatencyStats):
    job: str  # "reminders" or "reports"
    case: str
    at: datetime
    iterations: int
    latencies: list[float]
    queries: Counter[int] = field(default_factory=Counter)  # statements per call -> calls
    sent: int = 0  # returned by every call of the case (checked)
    expected: int = 0  # what the learners' seeded schedules say
    zones: Counter[str] = field(default_factory=Counter)  # the new notifications' timezones (last call)

    @property
    def name(self) -> str:
        return f"{self.job}: {self.case}"


    @property
    def queries_per_sent(self) -> float:
        if not self.sent or not self.queries:
            return math.nan
        return sum(count * calls for count, calls in self.queries.items()) / self.queries.total() / self.sent

    @property
    def zones_label(self) -> str:
        if not self.zones:
            return "-"
        if len(self.zones) == 1:
            return next(iter(self.zones))
        return f"{len(self.zones)} zones"


Send = Callable[[datetime], int]
JOBS: dict[str, tuple[str, Send]] = {  # the job's name in the report -> (notification kind, function)
    "reminders": ("reminder", reminders.send_due_reminders),
    "reports": ("weekly", reminders.send_due_reports),
}


def call(app: Flask, send: Send, at: datetime) -> int:
    with app.app_context():  # a fresh one each call, as the worker's minute
        return send(at)


def new_zones(app: Flask, since_id: int) -> Counter[str]:
    """The timezones of the learners given a notification after ``since_id``."""
    with app.app_context():
        return Counter(dict(db.session.execute(
            select(User.timezone, func.count(Notification.id)).join(Notification, Notification.user_id == User.id)
            .where(Notification.id > since_id).group_by(User.timezone)).all()))


def last_notification_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(Notification.id))) or 0


def measure_quiet(app: Flask, data: Dataset, job: str, at: datetime, counter: QueryCounter, seconds: float,
                  warmup: float) -> Result:
    """A minute when nobody is due: warm up (untimed), then call for ``seconds`` or MAX_ITERATIONS times."""
    kind, send = JOBS[job]
    if data.expected(kind, at):
        raise RuntimeError(f"{job} at {at:%H:%M} UTC: the seeded schedules make someone due; pick another minute")
    log(f"{job} at {at:%H:%M} UTC, nobody due: warm-up {warmup:g} s, then {seconds:g} s")

    def once() -> int:
        sent = call(app, send, at)
        if sent != 0:
            raise RuntimeError(f"{job} at {at:%H:%M} UTC sent {sent}, expected nobody to be due")
        return sent

    deadline = time.perf_counter() + warmup
    for _ in range(MAX_WARMUP_ITERATIONS):
        once()
        if time.perf_counter() >= deadline:
            break
    latencies: list[float] = []
    queries: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds
    for _ in range(MAX_ITERATIONS):
        before = counter.count
        began = time.perf_counter()
        once()
        ended = time.perf_counter()
        latencies.append(ended - began)
        queries[counter.count - before] += 1
        if ended >= deadline:
            break
    return Result(job, "nobody due", at, len(latencies), latencies, queries)


def measure_due(app: Flask, data: Dataset, job: str, case: str, at: datetime, counter: QueryCounter,
                seconds: float) -> Result:
    """A minute when learners come due: one call, checked against the seeded schedules and timed; then, while
    ``seconds`` last (at most MAX_DUE_REPEATS calls), its notifications are deleted (untimed) and it is timed
    again. The last call's notifications stay, as the next minutes of the day would find them."""
    kind, send = JOBS[job]
    expected = data.expected(kind, at)
    log(f"{job} at {at:%H:%M} UTC, {case}: {len(expected)} due by the seeded schedules")
    latencies: list[float] = []
    queries: Counter[int] = Counter()
    sent, zones = 0, Counter[str]()
    start = time.perf_counter()
    for repeat in range(MAX_DUE_REPEATS):
        mark = last_notification_id(app)
        before = counter.count
        began = time.perf_counter()
        count = call(app, send, at)
        ended = time.perf_counter()
        latencies.append(ended - began)
        queries[counter.count - before] += 1
        zones = new_zones(app, mark)
        if zones.total() != count or (repeat and count != sent):
            raise RuntimeError(f"{job} at {at:%H:%M} UTC returned {count} but created {zones.total()} notifications"
                               f" (first call: {sent})")
        sent = count
        if ended - start >= seconds or repeat == MAX_DUE_REPEATS - 1:
            break
        with app.app_context():
            db.session.execute(delete(Notification).where(Notification.id > mark))
            db.session.commit()
    data.sent[kind] |= expected
    return Result(job, case, at, len(latencies), latencies, queries, sent, len(expected), zones)


def run_dataset(app: Flask, data: Dataset, seconds: float, warmup: float) -> tuple[list[Result], dict[str, int]]:
    """The reminder minutes of the evening, then the report minutes of the morning (the two kinds do not
    interact); returns the results and what the run left in the outbox and the deliveries."""
    with app.app_context():
        engine = db.engine
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        results = []
        for job, before, due in (("reminders", REMINDERS_BEFORE, REMINDERS_DUE),
                                 ("reports", REPORTS_BEFORE, REPORTS_DUE)):
            results.append(measure_due(app, data, job, "catch-up run", before, counter, seconds))
            results.append(measure_quiet(app, data, job, before, counter, seconds, warmup))
            results.append(measure_due(app, data, job, "one zone due", due, counter, seconds))
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    with app.app_context():
        left = {"outbox messages": db.session.scalar(select(func.count(OutboxMessage.id))) or 0,
                "deliveries": db.session.scalar(select(func.count(Delivery.id))) or 0,
                "notifications": db.session.scalar(select(func.count(Notification.id))) or 0}
    return results, left


def bench(learners: int, base_url: str | None, seconds: float, warmup: float,
          tmp: Path) -> tuple[Dataset, list[Result], dict[str, int], str]:
    """Migrate, fill and measure one dataset in a database of its own; returns the database's description."""
    with database_for(learners, base_url, tmp, prefix="bench_reminders") as database:
        log(f"N={learners}: migrating ({database.describe})")
        app = make_app(database, tmp)
        try:
            log(f"N={learners}: populating")
            data = populate(app, learners)
            results, left = run_dataset(app, data, seconds, warmup)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return data, results, left, database.describe


# --- The report -----------------------------------------------------------------------------------------

HEADER = (f"  {'learners':>8} {'zones':>5}  {'case':<26} {'UTC':>5} {'calls':>5} {'sent':>5} {'p50 ms':>9} "
          f"{'p95 ms':>9} {'stmts/call':>10} {'stmts/sent':>10}  {'new notifications in'}")


def row(learners: int, r: Result) -> str:
    p95 = f"{r.percentile(95):9.2f}" if r.iterations > 1 else f"{'-':>9}"
    per_sent = f"{r.queries_per_sent:10.2f}" if r.sent else f"{'-':>10}"
    check = "" if r.sent == r.expected else f"  MISMATCH: the seeded schedules make {r.expected} due"
    return (f"  {learners:>8} {len(TIMEZONES):>5}  {r.name:<26} {r.at:%H:%M} {r.iterations:>5} {r.sent:>5} "
            f"{r.percentile(50):9.2f} {p95} {r.queries_label:>10} {per_sent}  {r.zones_label}{check}")


def print_dataset(label: str, data: Dataset, left: dict[str, int]) -> None:
    timings = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in data.timings.items())
    print(f"{label}: {len(data.learners)} learners, {len(data.learners) // len(TIMEZONES)}-"
          f"{math.ceil(len(data.learners) / len(TIMEZONES))} per timezone, all enrolled in one course; "
          f"{data.schedule_rows} with a notification_schedules row, {data.activity_rows} daily_activity rows")
    print(f"  populated in {data.populate_seconds:.2f} s: {timings}")
    print(f"  left at the end: {', '.join(f'{count} {name}' for name, count in left.items())}")


def extra_per_sent(due: Result, results: list[Result]) -> tuple[float, float]:
    """Milliseconds and statements a due minute adds, per notification sent, to the same job's quiet minute."""
    quiet = next(r for r in results if r.job == due.job and r.case == "nobody due")
    stmts = sum(count * calls for count, calls in due.queries.items()) / due.queries.total()
    return ((due.percentile(50) - quiet.percentile(50)) / due.sent,
            (stmts - min(quiet.queries)) / due.sent)


def report(big: tuple[Dataset, list[Result], dict[str, int]], small: tuple[Dataset, list[Result], dict[str, int]],
           database: str, seconds: float, warmup: float, load_before: tuple[float, ...]) -> None:
    print("Puchi reminder-job benchmark (reminders.send_due_reminders and send_due_reports)")
    print(f"machine:   {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()} {platform.release()}), "
          f"Python {platform.python_version()}")
    load_after = os.getloadavg()
    print(f"load avg:  {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after (1/5/15 min)")
    print(f"database:  {database}, real Alembic migrations; a second one for the baseline")
    print(f"day:       Sunday {DAY.isoformat()} (northern winter); {len(TIMEZONES)} timezones, one per UTC offset, "
          f"learners spread evenly")
    print(f"minutes:   reminders {REMINDERS_BEFORE:%H:%M} UTC (a catch-up run, then the same minute again: nobody "
          f"due), {REMINDERS_DUE:%H:%M} UTC (19:00 in {DUE_ZONE});")
    print(f"           reports {REPORTS_BEFORE:%H:%M} UTC (likewise), {REPORTS_DUE:%H:%M} UTC (Sunday 10:00 in "
          f"{DUE_ZONE})")
    print("           'sent' is what each call returned, checked against the seeded schedules and the rows it wrote")
    print("channels:  email_verified_at NULL, no push keys or subscriptions, no phone numbers: each reminder or")
    print("           report is a notifications row (source key, once per local day) and its channel look-ups, but no")
    print("           channel reaches the learner, so no outbox message is written and nothing runs inline (no email")
    print("           rendering, no SMTP); no REDIS_URL, console mail and SMS in the temp folder (unused)")
    print(f"timing:    single-threaded, in-process, each call in a fresh app context; nobody due: {warmup:g} s "
          f"warm-up, then {seconds:g} s (at most {MAX_ITERATIONS} calls);")
    print(f"           a due minute: timed again while {seconds:g} s last (at most {MAX_DUE_REPEATS} calls), its "
          "notifications deleted in between (untimed)")
    print("           stmts: statements per call seen by a before_cursor_execute listener on db.engine")
    print()
    print_dataset(f"N = {len(big[0].learners)}", big[0], big[2])
    print_dataset(f"baseline N = {len(small[0].learners)}", small[0], small[2])
    print()
    print(HEADER)
    for data, results, _ in (big, small):
        for r in results:
            print(row(len(data.learners), r))
    print()
    quiet = [(len(data.learners), sum(r.percentile(50) for r in results if r.case == "nobody due"),
              sum(min(r.queries) for r in results if r.case == "nobody due")) for data, results, _ in (big, small)]
    print("every minute with nobody due (both jobs, p50s added): "
          + ", ".join(f"{ms:.2f} ms and {stmts} statements at N = {n}" for n, ms, stmts in quiet))
    print()
    n_big, n_small = len(big[0].learners), len(small[0].learners)
    print(f"N = {n_big} against N = {n_small}: p50 per call; for a due minute, what each notification sent adds "
          "to the quiet minute")
    print("(p50 and statements beyond the same job's nobody-due call, divided by the number sent):")
    baseline = {r.name: r for r in small[1]}
    for r in big[1]:
        base = baseline[r.name]
        ratio = r.percentile(50) / base.percentile(50) if base.latencies else math.nan
        line = f"  {r.name:<26} p50 {ratio:7.2f}x"
        if r.sent and base.sent:
            big_ms, big_stmts = extra_per_sent(r, big[1])
            base_ms, base_stmts = extra_per_sent(base, small[1])
            line += (f"   extra per sent {big_ms:.3f} vs {base_ms:.3f} ms ({big_ms / base_ms:.2f}x), "
                     f"{big_stmts:.2f} vs {base_stmts:.2f} statements")
        else:
            same = "same" if r.queries_label == base.queries_label else "different"
            line += f"   stmts/call {r.queries_label} vs {base.queries_label} ({same})"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000, help="learners in the big dataset (default 10000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement (default 5)")
    parser.add_argument("--database-url", help="postgresql+psycopg://… of a database named bench*; default: "
                                               "a throwaway SQLite file")
    args = parser.parse_args()
    if not 0 < args.seconds <= 120 or not len(TIMEZONES) <= args.learners <= 1_000_000:
        parser.error(f"--seconds must be in (0, 120] and --learners in [{len(TIMEZONES)}, 1000000]")
    if args.database_url:
        check_postgres_url(args.database_url)
    for name in IGNORED_ENV:
        os.environ.pop(name, None)
    check_timezones()
    warmup = min(1.0, max(0.2, args.seconds / 10))
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="puchi-bench-reminders-"))
    try:
        big_data, big_results, big_left, database = bench(args.learners, args.database_url, args.seconds, warmup,
                                                          tmp)
        small_data, small_results, small_left, _ = bench(BASELINE_LEARNERS, args.database_url, args.seconds,
                                                         warmup, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report((big_data, big_results, big_left), (small_data, small_results, small_left), database, args.seconds,
           warmup, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
