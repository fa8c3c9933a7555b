"""How long each analytics page (and the audit log) takes on PostgreSQL with 100 000 learners and 5 million
attempts: the target is under 500 ms a page.

    .venv/bin/python bench/analytics_pages.py [--learners 100000] [--attempts 5000000] [--runs 5]

It starts a throwaway PostgreSQL cluster (the test suite's: loopback, fsync off), migrates it with the real
Alembic migrations, fills it with ``analytics_data.generate`` (INSERT ... SELECT in the server), makes one admin
with a second factor and signs in through the real log-in and step-up pages. Then, in-process through Flask's
test client, it asks each page once to warm up and ``--runs`` times more, and prints min / median / max in ms
and the statements each page sent. Last, it runs EXPLAIN (ANALYZE, BUFFERS) on the slowest statements seen
(by their time in the measured runs) and prints the plans. Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import analytics_data  # noqa: E402 - next to this script

from puchi import create_app  # noqa: E402
from puchi.accounts import services as accounts  # noqa: E402
from puchi.core.db import db  # noqa: E402
from tests.accounts.mfa_support import enrol_totp, prove_it_is_me  # noqa: E402
from tests.conftest import DEFAULT_PASSWORD, AuthActions  # noqa: E402
from tests.services import PostgresServer  # noqa: E402

TARGET_MS = 500
PAGES = (
    "/admin/analytics",
    "/admin/analytics/learning",
    "/admin/analytics/retention",
    "/admin/analytics/notifications",
    "/admin/analytics?start={start90}",  # the longest range allowed
    "/admin/analytics/learning?start={start90}",
    "/admin/audit",
    "/admin/audit?actor=bench77@example.com",
    "/admin/audit?type=lesson.",
    "/admin/audit?subject_type=user&subject_id=4242",
    "/admin/audit?start={start7}&end={today}&type=user.role",
    "/admin/audit?before={middle_event}",
)


@dataclass
class Statement:
    sql: str
    parameters: Any
    seconds: float
    page: str


@dataclass
class Timer:
    page: str = ""
    started: dict[int, float] = field(default_factory=dict)
    seen: list[Statement] = field(default_factory=list)
    count: int = 0

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.started[id(cursor)] = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        began = self.started.pop(id(cursor), None)
        self.count += 1
        if began is not None and self.page:
            self.seen.append(Statement(statement, parameters, time.perf_counter() - began, self.page))


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plans", type=int, default=4, help="EXPLAIN ANALYZE this many of the slowest statements")
    args = parser.parse_args()

    server = PostgresServer()
    tmp = Path(tempfile.mkdtemp(prefix="puchi-bench-analytics-"))
    try:
        url = server.start()
        log(f"PostgreSQL at {url}")
        from flask_migrate import upgrade

        app = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_urlsafe(48), "REDIS_URL": None,
            "SMTP_URL": None, "MAIL_DIR": str(tmp / "mail"), "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": True,
        })
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            with db.engine.begin() as connection:
                analytics_data.generate(connection, analytics_data.Sizes(args.learners, args.attempts))
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                analytics_data.analyse(connection)
            generated = time.perf_counter() - started
            admin = accounts.create_verified_user(email="boss@bench.example.com", display_name="Boss",
                                                  password=DEFAULT_PASSWORD, role="admin")
            admin_id = admin.id
            counts = {t: db.session.execute(db.text(f"SELECT count(*) FROM {t}")).scalar_one()
                      for t in ("users", "attempts", "lesson_sessions", "daily_activity", "events", "deliveries")}
            middle_event = counts["events"] // 2
            db.session.remove()
        client = app.test_client()
        assert AuthActions(client).log_in("boss@bench.example.com").status_code == 302
        prove_it_is_me(client, enrol_totp(app, admin_id))

        today = datetime.now(UTC).date()
        values = {"start90": (today - timedelta(days=91)).isoformat(),
                  "start7": (today - timedelta(days=7)).isoformat(),
                  "today": today.isoformat(), "middle_event": middle_event}

        timer = Timer()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", timer.before)
            event.listen(db.engine, "after_cursor_execute", timer.after)

        print(f"# Analytics pages on PostgreSQL 15 (throwaway cluster, fsync off), {args.runs} runs each")
        print("Rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items())
              + f"; generated and analysed in {generated:.0f} s")
        print(f"{'page':<62} {'min':>7} {'median':>7} {'max':>7} {'stmts':>6}  target")
        over = 0
        for template in PAGES:
            page = template.format(**values)
            response = client.get(page)  # warm-up (and a check)
            assert response.status_code == 200, (page, response.status_code, response.text[:300])
            times = []
            for _ in range(args.runs):
                timer.page, before = page, timer.count
                began = time.perf_counter()
                response = client.get(page)
                times.append((time.perf_counter() - began) * 1000)
                statements = timer.count - before
                timer.page = ""
                assert response.status_code == 200
            worst = max(times)
            over += statistics.median(times) >= TARGET_MS
            print(f"{page:<62} {min(times):7.1f} {statistics.median(times):7.1f} {worst:7.1f} {statements:6d}  "
                  f"{'ok' if statistics.median(times) < TARGET_MS else 'OVER'}", flush=True)

        began = time.perf_counter()
        export = client.get("/admin/audit.csv")
        size = len(export.data)
        took = (time.perf_counter() - began) * 1000
        print(f"{'/admin/audit.csv (streamed, at most 50 000 rows)':<62} {took:7.1f} ms, {size:,} bytes")

        # The slowest statements, by their median time, and their plans.
        by_sql: dict[str, list[Statement]] = {}
        for statement in timer.seen:
            by_sql.setdefault(statement.sql, []).append(statement)
        ranked = sorted(by_sql.values(), key=lambda runs: -statistics.median(s.seconds for s in runs))
        print(f"\n# The {args.plans} slowest statements (median over runs) and their plans")
        with app.app_context():
            raw = db.engine.raw_connection()
            try:
                cursor = raw.cursor()
                for runs in ranked[:args.plans]:
                    first = runs[0]
                    print(f"\n## {statistics.median(s.seconds for s in runs) * 1000:.1f} ms, from {first.page}")
                    print(first.sql)
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + first.sql, first.parameters)
                    for (line,) in cursor.fetchall():
                        print("    " + line)
                raw.rollback()
            finally:
                raw.close()
        print(f"\nPages over {TARGET_MS} ms: {over}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
