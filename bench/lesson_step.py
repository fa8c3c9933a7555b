"""Load-test the lesson player under gunicorn against a bare Flask endpoint on the same settings.

Run from the repository root: ``.venv/bin/python bench/lesson_step.py [--seconds N] [--concurrency C]``.
Everything it starts (a throwaway SQLite database, two gunicorn servers on free loopback ports) is
stopped and deleted before it exits. See bench/README.md.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from _http import (
    COMPLETE,
    HOST,
    ROOT,
    SOCKET_TIMEOUT,
    STEP_RE,
    VENV_BIN,
    VERDICT_RE,
    Client,
    Reply,
    _find,
    enrol_and_start,
    free_port,
    pick_answer,
    run_cli,
    start_gunicorn,
    start_lesson,
    stop,
    wait_until_up,
)
from _shared import log, relaxed_mode

DEMO_EMAIL, DEMO_PASSWORD = "learner@example.com", "puchi-demo-1"
BENCH_PASSWORD = "bench-password-1"
WORKERS, THREADS = 2, 8
MAX_REQUESTS_PER_THREAD = 200_000  # a second bound on every timed loop, besides the clock
BARE_APP = '''"""A bare Flask app: the floor any Flask view served by gunicorn sits on."""
from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare():
    return "ok"
'''

# --- Load workers ---------------------------------------------------------------------------------------

@dataclass
class Worker:
    """One thread's state for a measurement; ``step()`` makes one timed request (and maybe untimed ones)."""

    client: Client
    samples: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds) of the timed requests
    extra: Counter[str] = field(default_factory=Counter)

    def timed(self, call: Callable[[], Reply]) -> Reply | None:
        start = time.perf_counter()
        try:
            reply = call()
        except (OSError, http.client.HTTPException):
            self.samples.append((-1, time.perf_counter() - start))
            return None
        self.samples.append((reply.status, time.perf_counter() - start))
        return reply

    def step(self) -> None:
        raise NotImplementedError


@dataclass
class BareWorker(Worker):
    def step(self) -> None:
        self.timed(lambda: self.client.request("GET", "/bare"))


@dataclass
class LessonStepWorker(Worker):
    session_id: int = 0

    def step(self) -> None:
        self.timed(lambda: self.client.request("GET", f"/lessons/{self.session_id}", htmx=True))


@dataclass
class ReplayWorker(Worker):
    session_id: int = 0
    step_index: int = 0
    answer: str = ""

    def step(self) -> None:
        form = {"step": str(self.step_index), "answer": self.answer}
        reply = self.timed(lambda: self.client.post(f"/lessons/{self.session_id}/answer", form, htmx=True))
        if reply is not None and reply.status != 200:
            self.extra[f"status {reply.status}"] += 1


@dataclass
class PlayWorker(Worker):
    """Plays real lessons: read the current step, answer it (timed), start a new lesson when one ends."""

    skill_id: int = 0
    session_id: int = 0

    def step(self) -> None:
        try:
            fragment = self.client.request("GET", f"/lessons/{self.session_id}", htmx=True)
            self.extra["requests"] += 1
            if fragment.status == 200 and COMPLETE in fragment.text:
                self.extra["lessons completed"] += 1
                self.extra["requests"] += 1
                try:
                    self.session_id = start_lesson(self.client, self.skill_id)
                except RuntimeError:  # refused (out of hearts would be one reason): not grading, counted apart
                    self.extra["refused lesson starts"] += 1
                return
            step_match = STEP_RE.search(fragment.text)
        except (OSError, http.client.HTTPException, RuntimeError):
            self.extra["untimed errors"] += 1
            return
        if fragment.status != 200 or step_match is None:
            self.extra["untimed errors"] += 1
            return
        form = {"step": step_match.group(1), "answer": pick_answer(fragment.text), "duration_ms": "4000"}
        reply = self.timed(lambda: self.client.post(f"/lessons/{self.session_id}/answer", form, htmx=True))
        self.extra["requests"] += 1
        if reply is None:
            return
        if reply.status == 302:
            self.extra["stale step (302)"] += 1
        verdict = VERDICT_RE.search(reply.text)
        if verdict:
            self.extra[verdict.group(1)] += 1


# --- Measuring ------------------------------------------------------------------------------------------

@dataclass
class Result:
    name: str
    requests: int
    errors: int
    wall: float
    latencies: list[float]
    extra: Counter[str]

    @property
    def throughput(self) -> float:
        return self.requests / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def drive(workers: list[Worker], seconds: float) -> float:
    """Call every worker's ``step()`` in its own thread until the clock (or the request cap) runs out: wall time."""
    start = time.perf_counter() + 0.1  # threads begin together
    deadline = start + seconds
    finished: list[float] = []

    def loop(worker: Worker) -> None:
        time.sleep(max(0.0, start - time.perf_counter()))
        for _ in range(MAX_REQUESTS_PER_THREAD):
            if time.perf_counter() >= deadline:
                break
            worker.step()
        finished.append(time.perf_counter())

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + SOCKET_TIMEOUT * 2 + 5)
    if len(finished) != len(workers):
        raise RuntimeError("a load thread did not stop in time")
    return max(finished) - start


def measure(name: str, workers: list[Worker], seconds: float, warmup: float) -> Result:
    """Warm up (untimed), then measure for ``seconds``."""
    log(f"{name}: warm-up {warmup:g} s, then {seconds:g} s with {len(workers)} threads")
    drive(workers, warmup)
    for worker in workers:
        worker.samples.clear()
        worker.extra.clear()
    wall = drive(workers, seconds)
    samples = [s for w in workers for s in w.samples]
    extra: Counter[str] = Counter()
    for worker in workers:
        extra.update(worker.extra)
    errors = sum(1 for status, _ in samples if not 200 <= status < 400)
    return Result(name, len(samples), errors, wall, [latency for _, latency in samples], extra)


# --- Processes ------------------------------------------------------------------------------------------

# --- The run --------------------------------------------------------------------------------------------

def in_parallel(count: int, make: Callable[[int], Worker]) -> list[Worker]:
    """Build ``count`` workers concurrently (log-ins hash passwords; doing them one by one is slow)."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(make, range(count)))


def prepare(seconds: float, concurrency: int, warmup: float, tmp: Path) -> list[Result]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SMTP_URL", "PUCHI_ENV"}}
    env.update({"DATABASE_URL": f"sqlite:///{tmp / 'puchi.db'}", "SECRET_KEY": secrets.token_urlsafe(48),
                "PUCHI_RATELIMIT_ENABLED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    log("migrating a throwaway SQLite database and loading the demo data")
    run_cli(env, "db", "upgrade")
    run_cli(env, "puchi", "demo-data")
    log(f"creating {concurrency} bench accounts (relaxed mode: no hearts)")
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(lambda n: run_cli(env, "puchi", "create-user", "--email", f"bench{n}@example.com",
                                        "--name", f"Bench{n}", "--password", BENCH_PASSWORD),
                      range(1, concurrency + 1)))
    relaxed_mode(env["DATABASE_URL"], "bench%@example.com")

    (tmp / "bare_app.py").write_text(BARE_APP)
    puchi_port, bare_port = free_port(), free_port()
    while bare_port == puchi_port:
        bare_port = free_port()
    puchi_log, bare_log = tmp / "gunicorn-puchi.log", tmp / "gunicorn-bare.log"
    servers: list[subprocess.Popen[bytes]] = []
    clients: list[Client] = []
    try:
        servers.append(start_gunicorn("wsgi:app", puchi_port, env, ROOT, puchi_log, workers=WORKERS,
                                      threads=THREADS))
        servers.append(start_gunicorn("bare_app:app", bare_port, env, tmp, bare_log, workers=WORKERS,
                                      threads=THREADS))
        wait_until_up(servers[0], puchi_port, "/login", puchi_log)
        wait_until_up(servers[1], bare_port, "/bare", bare_log)
        log(f"Puchi on {HOST}:{puchi_port}, bare Flask on {HOST}:{bare_port}")

        def client(port: int) -> Client:
            made = Client(port)
            clients.append(made)
            return made

        # The demo learner: one lesson, shared by every thread (each with its own log-in session).
        first = client(puchi_port)
        first.log_in(DEMO_EMAIL, DEMO_PASSWORD)
        skill_id, session_id = enrol_and_start(first)

        def demo_worker(_: int) -> Worker:
            made = client(puchi_port)
            made.log_in(DEMO_EMAIL, DEMO_PASSWORD)
            return LessonStepWorker(made, session_id=session_id)

        results = [measure("bare flask", [BareWorker(client(bare_port)) for _ in range(concurrency)],
                           seconds, warmup)]
        step_workers = [LessonStepWorker(first, session_id=session_id),
                        *in_parallel(concurrency - 1, demo_worker)]
        results.append(measure("lesson step", step_workers, seconds, warmup))

        # Answer the current step once, then replay that same answer: the idempotent path.
        fragment = first.expect("GET", f"/lessons/{session_id}", 200, htmx=True).text
        step_index = int(_find(STEP_RE, fragment, "step index"))
        answer = pick_answer(fragment)
        first.expect("POST", f"/lessons/{session_id}/answer", 200,
                     {"csrf_token": first.csrf, "step": str(step_index), "answer": answer}, htmx=True)
        replay_workers: list[Worker] = [ReplayWorker(w.client, session_id=session_id, step_index=step_index,
                                                     answer=answer) for w in step_workers]
        results.append(measure("answer submit (replay)", replay_workers, seconds, warmup))

        def play_worker(n: int) -> Worker:
            made = client(puchi_port)
            made.log_in(f"bench{n + 1}@example.com", BENCH_PASSWORD)
            _, own_session = enrol_and_start(made, skill_id)
            return PlayWorker(made, skill_id=skill_id, session_id=own_session)

        results.append(measure("answer submit (first answer)", in_parallel(concurrency, play_worker),
                               seconds, warmup))
        return results
    finally:
        for made in clients:
            made.close()
        for server in servers:
            stop(server)


def report(results: list[Result], seconds: float, concurrency: int, warmup: float,
           load_before: tuple[float, float, float]) -> None:
    gunicorn_version = subprocess.run([str(VENV_BIN / "gunicorn"), "--version"], capture_output=True, text=True,
                                      timeout=30).stdout.strip()
    cpus = os.cpu_count()
    print("Puchi lesson-step benchmark")
    print(f"machine:     {cpus} CPUs ({platform.machine()}, {platform.system()} {platform.release()}), "
          f"Python {platform.python_version()}; the load generator runs on the same CPUs")
    load_after = os.getloadavg()
    print(f"load avg:    {' '.join(f'{x:.2f}' for x in load_before)} before the run, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after (1/5/15 min; other work on the machine skews results)")
    print(f"server:      {gunicorn_version}, gunicorn.conf.py: gthread, {WORKERS} workers x {THREADS} threads, "
          "keep-alive 2 s, access log on")
    print("app:         PUCHI_ENV=development, no Redis (jobs inline), rate limits off, database SQLite (WAL) in /tmp")
    print(f"load:        {concurrency} threads, one keep-alive connection each (http.client); "
          f"{warmup:g} s warm-up, then {seconds:g} s per measurement")
    print()
    print(f"{'measurement':<30} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r.name:<30} {r.requests:>9} {r.errors:>7} {r.throughput:>9.1f} {r.percentile(50):>8.2f} "
              f"{r.percentile(95):>8.2f} {r.percentile(99):>8.2f}")
    print()
    print("notes:")
    print("  lesson step: GET /lessons/<id> with HX-Request: true (the exercise fragment), one lesson shared by")
    print("    the threads, each logged in as learner@example.com with its own session.")
    print("  answer submit (replay): POST /lessons/<id>/answer re-sending an already answered step; the app")
    print("    returns the stored result and writes nothing (the idempotent path, not first-time grading).")
    play = next((r for r in results if r.name == "answer submit (first answer)"), None)
    if play is not None:
        verdicts = ", ".join(f"{play.extra[v]} {v}" for v in ("correct", "almost", "wrong", "skipped")
                             if play.extra[v])
        total = play.extra["requests"]
        print("  answer submit (first answer): each thread is its own account playing real lessons: GET the")
        print("    step, POST an answer (only the POSTs are timed and counted), new lesson when one ends;")
        print("    the accounts are in relaxed mode (no hearts), so wrong answers never stop them.")
        print(f"    {play.requests} answers graded ({verdicts or 'no verdicts parsed'}); "
              f"{play.extra['lessons completed']} lessons completed;")
        print(f"    {total} requests in all, {total / play.wall:.1f} req/s including the untimed GETs and "
              "lesson starts")
        odd = {k: v for k, v in play.extra.items()
               if k in {"stale step (302)", "untimed errors", "refused lesson starts"}}
        if odd:
            print(f"    unexpected: {odd}")
    for r in results:
        odd = {k: v for k, v in r.extra.items() if k.startswith("status ")}
        if odd:
            print(f"  {r.name}: unexpected statuses {odd}")
    bare = results[0]
    print()
    print("against the bare Flask endpoint (same gunicorn settings):")
    for r in results[1:]:
        if not (bare.throughput and r.requests):
            print(f"  {r.name}: no comparison (no requests)")
            continue
        throughput = r.throughput / bare.throughput
        slower = r.percentile(50) / bare.percentile(50)
        print(f"  {r.name}: {throughput:.2f}x the bare endpoint's throughput, p50 {slower:.1f}x slower")
    print("  (first answer: throughput counts the timed POSTs only; each thread also spends time on a GET per answer)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement (default 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent client threads (default 8)")
    args = parser.parse_args()
    if not 0 < args.seconds <= 120 or not 1 <= args.concurrency <= 64:
        parser.error("--seconds must be in (0, 120] and --concurrency in [1, 64]")
    warmup = min(2.0, max(0.5, args.seconds / 10))
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="puchi-bench-"))
    try:
        results = prepare(args.seconds, args.concurrency, warmup, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, args.seconds, args.concurrency, warmup, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
