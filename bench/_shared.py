"""What the database benchmarks share: progress logging, throwaway databases (a SQLite file or a PostgreSQL
schema of their own) and a statement counter. Imported by the scripts next to it (``python bench/x.py``)."""

from __future__ import annotations

import math
import secrets
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the report."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Database:
    """Where one dataset lives: a SQLite file in the temp folder, or a schema of our own in PostgreSQL."""

    url: str
    engine_options: dict[str, Any]
    describe: str


def check_postgres_url(url: str) -> None:
    """Refuse anything but a PostgreSQL database whose name starts with ``bench``."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit(f"--database-url must be a postgresql+psycopg:// URL, not {parsed.drivername}")
    if not (parsed.database or "").startswith("bench"):
        raise SystemExit(f"refusing database {parsed.database!r}: its name must start with 'bench' "
                         "(the benchmark creates and drops schemas of its own in it)")


@contextmanager
def database_for(learners: int, base_url: str | None, tmp: Path, prefix: str) -> Iterator[Database]:
    """A fresh, empty database for one dataset, removed afterwards.

    SQLite: a file in the temp folder. PostgreSQL: a new schema ``<prefix>_<random>_<n>`` in the given
    database, used through ``search_path`` and dropped (with everything in it) at the end; nothing else in
    that database is touched.
    """
    if base_url is None:
        folder = tmp / f"sqlite-{learners}"
        folder.mkdir()
        yield Database(f"sqlite:///{folder / 'puchi.db'}", {"pool_pre_ping": True},
                       "SQLite (WAL) file in a temp folder")
        return
    schema = f"{prefix}_{secrets.token_hex(4)}_{learners}"
    admin = create_engine(base_url, pool_pre_ping=True)
    created = False
    try:
        with admin.begin() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            created = True
        shown = make_url(base_url).render_as_string(hide_password=True)
        yield Database(base_url, {"pool_pre_ping": True, "connect_args": {"options": f"-c search_path={schema}"}},
                       f"PostgreSQL {version} at {shown}, schema {schema}")
    finally:
        if created:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def relaxed_mode(database_url: str, email_like: str) -> None:
    """Relaxed mode (a learner setting: no hearts) for the benchmark's accounts. Hurried answers are mostly wrong,
    so with hearts every player is refused new lessons within seconds and a benchmark would time refusals
    instead of grading."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE users SET relaxed_mode = :yes WHERE email LIKE :pattern"),
                               {"yes": True, "pattern": email_like})
    finally:
        engine.dispose()


@dataclass
class QueryCounter:
    """SQL statements sent by ``db.engine`` (a ``before_cursor_execute`` listener)."""

    count: int = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


class LatencyStats:
    """For a result with ``latencies`` (seconds per call) and ``queries`` (statements per call -> calls)."""

    latencies: list[float]
    queries: Counter[int]

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    @property
    def queries_label(self) -> str:
        """``"2"`` when every call sent the same number of statements, else the range seen."""
        if not self.queries:
            return "?"
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"
