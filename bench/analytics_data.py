"""Synthetic data for the analytics benchmark, generated inside PostgreSQL (INSERT ... SELECT over
generate_series, so nothing crosses the wire row by row): learners with progress profiles and streaks, one
course of skills and items, lesson sessions, attempts, daily activity, events and notification sends.

    .venv/bin/python bench/analytics_data.py --database-url postgresql+psycopg://.../benchNAME \
        [--learners 100000] [--attempts 5000000]

The database must already be migrated (``flask db upgrade``); its name must start with ``bench``. Used by
``analytics_pages.py``, which starts a throwaway cluster, migrates it and calls :func:`generate`.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from sqlalchemy import Connection, create_engine, text

HISTORY_DAYS = 180  # sessions, attempts and activity spread over the last half-year
SIGN_UP_DAYS = 365
STEPS_PER_SESSION = 10
SKILLS, ITEMS = 50, 2000


def log(message: str) -> None:
    import sys
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _defaults(connection: Connection, table: str, given: set[str]) -> dict[str, str]:
    """SQL for every NOT NULL column of ``table`` without a server default that the caller did not give:
    an empty value of its type (the app's Python-side defaults do not apply to INSERT ... SELECT)."""
    rows = connection.execute(text(
        "SELECT column_name, udt_name FROM information_schema.columns WHERE table_name = :t "
        "AND table_schema = current_schema() AND is_nullable = 'NO' AND column_default IS NULL"), {"t": table})
    empty = {"timestamptz": "now()", "timestamp": "now()", "bool": "false", "int4": "0", "int8": "0", "int2": "0",
             "float8": "0", "float4": "0", "numeric": "0", "varchar": "''", "text": "''", "date": "current_date",
             "json": "'[]'::json", "jsonb": "'[]'::jsonb"}
    found = {}
    for name, udt in rows:
        if name not in given:
            found[name] = empty[udt]
    return found


def insert(connection: Connection, table: str, columns: dict[str, str], source: str) -> int:
    """INSERT INTO table (columns..., defaults...) SELECT expressions... FROM source; returns rows written."""
    filled = columns | _defaults(connection, table, set(columns))
    names = ", ".join(filled)
    values = ", ".join(filled.values())
    started = time.perf_counter()
    result = connection.execute(text(f"INSERT INTO {table} ({names}) SELECT {values} FROM {source}"))
    log(f"{table}: {result.rowcount} rows in {time.perf_counter() - started:.1f} s")
    return result.rowcount


@dataclass(frozen=True)
class Sizes:
    learners: int
    attempts: int

    @property
    def sessions(self) -> int:
        return max(1, self.attempts // STEPS_PER_SESSION)


def generate(connection: Connection, sizes: Sizes) -> None:
    """Fill an empty migrated database. ``setseed`` makes it the same data each run."""
    n, sessions = sizes.learners, sizes.sessions
    connection.execute(text("SET LOCAL synchronous_commit = off"))
    connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    connection.execute(text("SET LOCAL session_replication_role = replica"))  # no FK triggers while loading
    connection.execute(text("SELECT setseed(0.42)"))
    insert(connection, "users", {
        "id": "g", "email": "'bench' || g || '@example.com'", "display_name": "'Learner ' || g",
        "password_hash": "'!'", "role": "'learner'",
        "created_at": f"now() - random() * interval '{SIGN_UP_DAYS} days'"},
        f"generate_series(1, {n}) AS g")
    connection.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": n})
    # Streaks: most learners have none, a long tail has months.
    insert(connection, "progress_profiles", {
        "user_id": "u.id", "created_at": "u.created_at",
        "current_streak": "CASE WHEN random() < 0.55 THEN 0 ELSE floor(power(random(), 3) * 400)::int END",
        "longest_streak": "floor(power(random(), 2) * 400)::int"},
        "users u")
    insert(connection, "courses", {"id": "1", "slug": "'bench'", "title": "'Bench Spanish'",
                                   "target_language": "'es'", "target_language_name": "'Spanish'",
                                   "source_language": "'en'", "source_language_name": "'English'",
                                   "special_characters": "'[]'::json", "settings": "'{}'::json"},
           "generate_series(1, 1)")
    insert(connection, "units", {"id": "g", "course_id": "1", "slug": "'u' || g", "title": "'Unit ' || g",
                                 "position": "g"}, "generate_series(1, 5) AS g")
    insert(connection, "skills", {"id": "g", "course_id": "1", "unit_id": "1 + (g - 1) / 10", "slug": "'s' || g",
                                  "title": "'Skill ' || g", "position": "g", "path_position": "g",
                                  "settings": "'{}'::json"}, f"generate_series(1, {SKILLS}) AS g")
    insert(connection, "items", {"id": "g", "course_id": "1", "skill_id": f"1 + (g - 1) % {SKILLS}",
                                 "kind": "'WORD'", "text": "'palabra ' || g", "translation": "'word ' || g",
                                 "position": "g", "extra": "'{}'::json"}, f"generate_series(1, {ITEMS}) AS g")
    for table in ("courses", "units", "skills", "items"):
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    insert(connection, "lesson_sessions", {
        "id": "g", "user_id": f"1 + floor(random() * {n})::int", "course_id": "1",
        "skill_id": f"1 + floor(random() * {SKILLS})::int", "kind": "'lesson'",
        "status": "CASE WHEN g % 5 = 0 THEN 'abandoned' ELSE 'completed' END",
        "steps": "'[]'::json", "started_at": f"now() - random() * interval '{HISTORY_DAYS} days'"},
        f"generate_series(1, {sessions}) AS g")
    connection.execute(text("UPDATE lesson_sessions SET completed_at = started_at + interval '4 minutes', "
                            "correct_count = 8, wrong_count = 2 WHERE status = 'completed'"))
    connection.execute(text("SELECT setval(pg_get_serial_sequence('lesson_sessions', 'id'), :n)"), {"n": sessions})
    insert(connection, "lesson_learner_days", {  # the rollup the lesson player keeps with each start and completion
        "day": "day", "user_id": "user_id", "started": "count(*)", "completed": "count(completed_at)"},
        "(SELECT (started_at AT TIME ZONE 'UTC')::date AS day, user_id, completed_at FROM lesson_sessions) AS s "
        "GROUP BY day, user_id")
    # The attempts' plain indexes are built once after the load, not row by row (constraints stay).
    indexes = connection.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'attempts' AND schemaname = current_schema() "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)")).all()
    for name, _definition in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
    # Later steps of a lesson are harder: the last ones are answered right about half the time.
    insert(connection, "attempts", {
        "session_id": "s.id", "user_id": "s.user_id",
        "item_id": f"1 + floor(random() * {ITEMS})::int", "step_index": "k",
        "exercise_type": "'translate'",
        "verdict": "CASE WHEN random() < 0.95 - 0.45 * k / 10.0 THEN 'correct' "
                   "WHEN random() < 0.2 THEN 'almost' ELSE 'wrong' END",
        "duration_ms": "(2000 + random() * 8000)::int",
        "created_at": "s.started_at + k * interval '20 seconds'"},
        f"lesson_sessions s CROSS JOIN generate_series(0, {STEPS_PER_SESSION - 1}) AS k")
    started = time.perf_counter()
    for _name, definition in indexes:
        connection.execute(text(definition))
    log(f"attempts: {len(indexes)} indexes built in {time.perf_counter() - started:.1f} s")
    insert(connection, "item_day_stats", {  # the rollup the lesson player keeps with each answer
        "day": "day", "item_id": "item_id", "attempts": "count(*)",
        "correct": "sum(CASE WHEN verdict IN ('correct', 'almost') THEN 1 ELSE 0 END)"},
        "(SELECT (created_at AT TIME ZONE 'UTC')::date AS day, item_id, verdict FROM attempts) AS a "
        "GROUP BY day, item_id")
    insert(connection, "daily_activity", {
        "user_id": "user_id", "local_date": "day", "xp": "count(*) * 10", "lessons": "count(*)",
        "seconds": "count(*) * 240", "goal_reached": "count(*) >= 2", "freeze_used": "false"},
        "(SELECT user_id, (started_at AT TIME ZONE 'UTC')::date AS day FROM lesson_sessions) AS s "
        "GROUP BY user_id, day")
    names = "ARRAY['user.signed_up', 'lesson.completed', 'item.reviewed', 'user.role_changed', " \
            "'notification.delivery_retried', 'streak.milestone']"
    insert(connection, "events", {
        "name": f"({names})[1 + floor(random() * 6)::int]", "actor_id": f"1 + floor(random() * {n})::int",
        "subject_type": "'user'", "subject_id": f"1 + floor(random() * {n})::int", "payload": "'{}'::json",
        "created_at": f"now() - random() * interval '{SIGN_UP_DAYS} days'"},
        f"generate_series(1, {max(sessions * 2, 1)}) AS g")
    insert(connection, "deliveries", {
        "key": "'bench:' || g", "user_id": f"1 + floor(random() * {n})::int",
        "channel": "(ARRAY['email', 'push', 'sms'])[1 + floor(random() * 3)::int]", "kind": "'streak_reminder'",
        "status": "(ARRAY['sent', 'sent', 'sent', 'sent', 'failed', 'dropped'])[1 + floor(random() * 6)::int]",
        "attempts": "1", "created_at": f"now() - random() * interval '{HISTORY_DAYS} days'"},
        f"generate_series(1, {max(n * 3, 1)}) AS g")


def analyse(connection: Connection) -> None:
    started = time.perf_counter()
    connection.execute(text("ANALYZE"))
    log(f"ANALYZE in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=5_000_000)
    args = parser.parse_args()
    if not args.database_url.rsplit("/", 1)[-1].startswith("bench"):
        raise SystemExit("refusing: the database's name must start with 'bench'")
    engine = create_engine(args.database_url)
    try:
        with engine.begin() as connection:
            generate(connection, Sizes(args.learners, args.attempts))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            analyse(connection)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
