"""Many learners, each in several tabs, playing real lessons under gunicorn: on SQLite and on PostgreSQL.

Run from the repository root: ``.venv/bin/python bench/load.py [--learners 8] [--tabs 2] [--seconds 30]
[--database sqlite|postgresql|both]``. Everything it starts (a throwaway database, a gunicorn server on a free
loopback port) is stopped and deleted before it exits. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from _http import (
    COMPLETE,
    COURSE,
    ROOT,
    SKILL_LINK_RE,
    SKILL_START_RE,
    SOCKET_TIMEOUT,
    STEP_RE,
    VENV_BIN,
    VERDICT_RE,
    Client,
    Reply,
    _find,
    free_port,
    pick_answer,
    run_cli,
    start_gunicorn,
    stop,
    wait_until_up,
)
from _shared import log, relaxed_mode
from sqlalchemy import create_engine, text

sys.path.insert(0, str(ROOT))
from tests.services import PostgresServer  # noqa: E402 - the test suite's throwaway cluster, on loopback

PASSWORD = "bench-password-1"
MAX_REQUESTS_PER_TAB = 100_000  # a second bound on every loop, besides the clock
SKILL_START = "/skills/{skill_id}/lessons"


# --- One learner's tabs ---------------------------------------------------------------------------------

@dataclass
class Tally:
    """What one tab saw: every request's status class, the answer POSTs' latencies, and what the answers got."""

    statuses: Counter[str] = field(default_factory=Counter)
    answer_latencies: list[float] = field(default_factory=list)
    verdicts: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def record(self, reply: Reply | None) -> Reply | None:
        self.statuses["conn error" if reply is None else f"{reply.status // 100}xx"] += 1
        if reply is not None and reply.status >= 500:
            self.notes[f"{reply.status}: {reply.text[:80]!r}"] += 1
        return reply


class Tab:
    """A browser tab: its own keep-alive connection, the learner's shared cookies, and the lesson it shows."""

    def __init__(self, port: int, learner: Client, skill_id: int) -> None:
        self.client = Client(port)
        self.client.cookies = learner.cookies  # one browser: every tab sends the same session cookie
        self.learner = learner
        self.skill_id = skill_id
        self.session_id = 0
        self.tally = Tally()

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> Reply | None:
        if method == "POST":
            form = {"csrf_token": self.learner.csrf, **(form or {})}
        try:
            return self.tally.record(self.client.request(method, path, form, htmx=path.startswith("/lessons/")))
        except (OSError, http.client.HTTPException):
            self.client.close()
            return self.tally.record(None)

    def start_lesson(self) -> None:
        """Start (or, if another tab just did, resume) a lesson of the skill, as the skill page's button does."""
        reply = self.send("POST", SKILL_START.format(skill_id=self.skill_id))
        if reply is not None and reply.status == 302 and reply.location.startswith("/lessons/"):
            self.session_id = int(reply.location.split("/")[2])
        elif reply is not None:
            self.tally.notes[f"lesson start refused ({reply.status})"] += 1

    def play_one_step(self) -> None:
        """Read the step this tab shows, answer it (the timed request), move on when the lesson ends."""
        if not self.session_id:
            self.start_lesson()
            return
        fragment = self.send("GET", f"/lessons/{self.session_id}")
        if fragment is None or fragment.status != 200:
            self.session_id = 0
            return
        if COMPLETE in fragment.text:
            self.start_lesson()
            return
        step = STEP_RE.search(fragment.text)
        if step is None:
            self.tally.notes["no step in the fragment"] += 1
            self.session_id = 0
            return
        form = {"step": step.group(1), "answer": pick_answer(fragment.text), "duration_ms": "4000"}
        started = time.perf_counter()
        reply = self.send("POST", f"/lessons/{self.session_id}/answer", form)
        self.tally.answer_latencies.append(time.perf_counter() - started)
        if reply is None:
            return
        if reply.status == 302:  # the other tab answered this step first: the player sends us to the current one
            self.tally.notes["answered in another tab (302)"] += 1
        verdict = VERDICT_RE.search(reply.text)
        if verdict:
            self.tally.verdicts[verdict.group(1)] += 1


def first_skill(learner: Client) -> int:
    """Enrol, then find the first skill's start button, as a learner clicking through the course map does."""
    if learner.post(f"/courses/{COURSE}/enroll").status != 302:
        raise RuntimeError("enrolment failed")
    course_page = learner.expect("GET", f"/courses/{COURSE}", 200).text
    first = _find(SKILL_LINK_RE, course_page, "first skill link on the course map")
    skill_page = learner.expect("GET", f"/skills/{first}", 200).text
    return int(_find(SKILL_START_RE, skill_page, "start-lesson form on the skill page"))


def run_tabs(tabs: list[Tab], seconds: float) -> float:
    """Every tab plays in its own thread until the clock (or the request cap) runs out: the wall time."""
    barrier = threading.Barrier(len(tabs) + 1)
    deadline: list[float] = []
    finished: list[float] = []

    def loop(tab: Tab) -> None:
        barrier.wait(timeout=60)
        for _ in range(MAX_REQUESTS_PER_TAB):
            if time.perf_counter() >= deadline[0]:
                break
            tab.play_one_step()
        finished.append(time.perf_counter())

    threads = [threading.Thread(target=loop, args=(tab,), daemon=True) for tab in tabs]
    for thread in threads:
        thread.start()
    begin = time.perf_counter()
    deadline.append(begin + seconds)
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=seconds + SOCKET_TIMEOUT * 2 + 5)
    if len(finished) != len(tabs):
        raise RuntimeError("a tab did not stop in time")
    return max(finished) - begin


# --- Databases and the server ---------------------------------------------------------------------------

@contextmanager
def database(kind: str, tmp: Path) -> Iterator[tuple[str, str]]:
    """(URL, description) of an empty database of the given kind, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'puchi.db'}", "SQLite (WAL, busy timeout, BEGIN IMMEDIATE in actions), temp file"
        return
    server = PostgresServer()
    try:
        url = server.start()
        yield url, "PostgreSQL 15, throwaway cluster on loopback (the test suite's: fsync off)"
    finally:
        server.stop()


def count_rows(url: str) -> tuple[int, int]:
    """Lessons completed and answers stored, read from the database itself after the run."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            lessons = connection.execute(text("SELECT count(*) FROM lesson_sessions WHERE completed_at IS NOT NULL "
                                              "AND user_id IN (SELECT id FROM users WHERE email LIKE 'load%')"))
            attempts = connection.execute(text("SELECT count(*) FROM attempts"))
            return int(lessons.scalar_one()), int(attempts.scalar_one())
    finally:
        engine.dispose()


@dataclass
class Outcome:
    kind: str
    describe: str
    wall: float
    tabs: list[Tab]
    lessons_completed: int
    attempts_stored: int
    server_errors_logged: int

    def merged(self) -> Tally:
        total = Tally()
        for tab in self.tabs:
            total.statuses.update(tab.tally.statuses)
            total.answer_latencies.extend(tab.tally.answer_latencies)
            total.verdicts.update(tab.tally.verdicts)
            total.notes.update(tab.tally.notes)
        return total


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def run_on(kind: str, learners: int, tabs_each: int, seconds: float, workers: int, threads: int,
           tmp: Path) -> Outcome:
    folder = tmp / kind
    folder.mkdir()
    with database(kind, folder) as (url, describe):
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SMTP_URL", "PUCHI_ENV"}}
        env.update({"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), "PUCHI_RATELIMIT_ENABLED": "0",
                    "PYTHONDONTWRITEBYTECODE": "1"})
        log(f"{kind}: migrating, loading the demo course, creating {learners} learners")
        run_cli(env, "db", "upgrade")
        run_cli(env, "puchi", "demo-data")
        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            list(pool.map(lambda n: run_cli(env, "puchi", "create-user", "--email", f"load{n}@example.com",
                                            "--name", f"Load{n}", "--password", PASSWORD), range(learners)))
        relaxed_mode(url, "load%@example.com")
        port = free_port()
        logfile = folder / "gunicorn.log"
        server = start_gunicorn("wsgi:app", port, env, ROOT, logfile, workers=workers, threads=threads)
        clients: list[Client] = []
        try:
            wait_until_up(server, port, "/login", logfile)

            def sign_in(n: int) -> tuple[Client, int]:
                learner = Client(port)
                clients.append(learner)
                learner.log_in(f"load{n}@example.com", PASSWORD)
                return learner, first_skill(learner)

            with ThreadPoolExecutor(max_workers=learners) as pool:
                signed_in = list(pool.map(sign_in, range(learners)))
            tabs = [Tab(port, learner, skill_id) for learner, skill_id in signed_in for _ in range(tabs_each)]
            clients.extend(tab.client for tab in tabs)
            log(f"{kind}: {len(tabs)} tabs playing for {seconds:g} s on gunicorn {workers} workers x {threads} "
                "threads")
            wall = run_tabs(tabs, seconds)
        finally:
            for client in clients:
                client.close()
            stop(server)
        server_log = logfile.read_text(errors="replace")
        lessons, attempts = count_rows(url)
        return Outcome(kind, describe, wall, tabs, lessons, attempts, server_log.count("Traceback"))


# --- Report ---------------------------------------------------------------------------------------------

def report(outcomes: list[Outcome], learners: int, tabs_each: int, seconds: float, workers: int, threads: int,
           load_before: tuple[float, float, float]) -> bool:
    version = subprocess.run([str(VENV_BIN / "gunicorn"), "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    print("Puchi load benchmark: learners playing real lessons in several tabs at once")
    print(f"machine:   {os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}; "
          "the load generator runs on the same CPUs")
    print(f"load avg:  {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after (1/5/15 min)")
    print(f"server:    {version}, gunicorn.conf.py: gthread, {workers} workers x {threads} threads; no Redis "
          "(jobs inline), rate limits off")
    print(f"load:      {learners} learners x {tabs_each} tabs = {learners * tabs_each} threads, {seconds:g} s; "
          "each tab: GET the step fragment, POST an answer (the first choice, or a typed guess), start the")
    print("           next lesson when one ends; a learner's tabs share one session and so one lesson; the")
    print("           accounts are in relaxed mode (no hearts) so that wrong answers never stop them")
    healthy = True
    for outcome in outcomes:
        tally = outcome.merged()
        requests = sum(tally.statuses.values())
        answers = len(tally.answer_latencies)
        print()
        print(f"== {outcome.kind}: {outcome.describe}")
        print(f"requests:  {requests} in {outcome.wall:.1f} s ({requests / outcome.wall:.1f}/s); "
              + ", ".join(f"{name} {count}" for name, count in sorted(tally.statuses.items())))
        p50, p95, p99, worst = (percentile(tally.answer_latencies, p) for p in (50, 95, 99, 100))
        print(f"answers:   {answers} POSTs ({answers / outcome.wall:.1f}/s), p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
              f"p99 {p99:.0f} ms, max {worst:.0f} ms")
        print(f"graded:    {', '.join(f'{n} {v}' for v, n in sorted(tally.verdicts.items())) or 'none'}; "
              f"{outcome.attempts_stored} attempts stored")
        print(f"lessons:   {outcome.lessons_completed} completed (counted in the database)")
        if tally.notes:
            print("notes:     " + "; ".join(f"{name}: {count}" for name, count in sorted(tally.notes.items())))
        print(f"server:    {outcome.server_errors_logged} tracebacks in the gunicorn log")
        if tally.statuses["5xx"] or tally.statuses["conn error"] or outcome.server_errors_logged:
            healthy = False
    return healthy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8, help="accounts playing at once (default 8)")
    parser.add_argument("--tabs", type=int, default=2, help="tabs per learner (default 2)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long they play (default 30)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker (default 16, as PUCHI_THREADS)")
    args = parser.parse_args()
    if not (1 <= args.learners <= 64 and 1 <= args.tabs <= 8 and 0 < args.seconds <= 300
            and 1 <= args.workers <= 8 and 1 <= args.threads <= 64):
        parser.error("--learners 1-64, --tabs 1-8, --seconds (0, 300], --workers 1-8, --threads 1-64")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="puchi-load-"))
    try:
        outcomes = [run_on(kind, args.learners, args.tabs, args.seconds, args.workers, args.threads, tmp)
                    for kind in kinds]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    healthy = report(outcomes, args.learners, args.tabs, args.seconds, args.workers, args.threads, load_before)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
