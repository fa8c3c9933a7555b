"""Measure how long a cheer sent through one web process takes to reach a WebSocket held by another.

Run from the repository root: ``.venv/bin/python bench/realtime_latency.py [--senders 20]``.
It starts a throwaway redis-server, a temp SQLite database migrated with the real migrations, two gunicorn
processes and one ``worker.py``, all on loopback; everything is stopped and deleted before it exits.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402 - after the path set-up, like the imports below
import simple_websocket  # noqa: E402
from _http import stop  # noqa: E402 - the benchmarks' one way to stop a server

from tests.services import RedisServer, free_port, wait_for_port  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = "bench-password-1"
RECEIVER_EMAIL = "receiver@example.com"
THREADS = 8
HTTP_TIMEOUT = 10.0
CHEER_TIMEOUT = 5.0  # per cheer: how long to wait for it on the socket
SETTLE_MIN, SETTLE_MAX, QUIET = 2.0, 20.0, 0.5  # draining the follows' nudges before measuring
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CHEERED = "cheered you on!"


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the report."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Processes:
    """What the run started, so that ``finally`` can stop all of it."""

    tmp: Path
    redis: RedisServer | None = None
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    worker: subprocess.Popen[bytes] | None = None
    logs: dict[str, Path] = field(default_factory=dict)

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs.get(name)
        if path is None or not path.exists():
            return ""
        return f"--- {name} log (tail) ---\n{path.read_text(errors='replace')[-chars:]}"


@dataclass
class Cheer:
    """One measured cheer: end-to-end latency (None if it never arrived) and how long the POST took."""

    sender: str
    post_seconds: float
    latency: float | None


# --- Processes ------------------------------------------------------------------------------------------

def base_env(tmp: Path, database_url: str, redis_url: str, secret: str) -> dict[str, str]:
    """The environment shared by every process: no inherited Redis, SMTP or production settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "SMTP_URL", "PUCHI_ENV", "DATABASE_URL", "SECRET_KEY"}}
    env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": secret,
                "PUCHI_MAIL_DIR": str(tmp / "mail"), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"})
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    """``flask --app puchi …`` in the repository with the benchmark's environment; fails loudly."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "puchi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_gunicorn(env: dict[str, str], port: int, logfile: Path) -> subprocess.Popen[bytes]:
    """One gunicorn master with one gthread worker of 8 threads, as production's config file runs it."""
    server_env = {**env, "PUCHI_BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": "1", "PUCHI_THREADS": str(THREADS),
                  "PUCHI_RATELIMIT_ENABLED": "0", "PUCHI_BASE_URL": f"http://{HOST}:{port}"}
    with logfile.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket",
             "--graceful-timeout", "2", "wsgi:app"],
            cwd=ROOT, env=server_env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)


def start_worker(env: dict[str, str], base_url: str, logfile: Path) -> subprocess.Popen[bytes]:
    """``python worker.py`` with the settings of the test suite's worker fixture."""
    worker_env = {**env, "PUCHI_BASE_URL": base_url, "PUCHI_RELAY_INTERVAL": "0.5",
                  "PUCHI_OUTBOX_RELAY_GRACE_SECONDS": "0.5", "PUCHI_JOB_RETRY_INTERVALS": "1,2"}
    with logfile.open("wb") as out:
        return subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=worker_env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def wait_for_worker(redis_url: str, worker: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    """Until the RQ worker has registered itself in Redis."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError("worker.py exited")
            if Worker.count(connection=connection) > 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker.py did not register with Redis within {limit:.0f} s")
    finally:
        connection.close()


# --- People ---------------------------------------------------------------------------------------------

def make_people(app: Any, senders: int) -> tuple[str, list[tuple[str, str, str]]]:
    """The receiver and ``senders`` learners, each sender a friend of the receiver (follows both ways).

    Returns the receiver's username and (email, display name, username) for each sender.
    """
    from puchi.accounts.services import create_verified_user
    from puchi.core.db import db
    from puchi.social import services as social

    with app.app_context():
        receiver = create_verified_user(email=RECEIVER_EMAIL, display_name="Receiver", password=PASSWORD)
        receiver_name = social.profile_of(receiver).username
        db.session.commit()
        people = []
        for n in range(1, senders + 1):
            email, name = f"sender{n}@example.com", f"Sender{n:03d}"
            sender = create_verified_user(email=email, display_name=name, password=PASSWORD)
            username = social.profile_of(sender).username
            db.session.commit()
            social.follow(sender, receiver_name)  # commits
            social.follow(receiver, username)
            people.append((email, name, username))
        db.session.remove()
    return receiver_name, people


def outbox_busy(app: Any) -> int:
    """Outbox messages not yet done (pending or running)."""
    from sqlalchemy import func, select

    from puchi.core.db import db
    from puchi.core.outbox import PENDING, RUNNING, OutboxMessage

    with app.app_context():
        try:
            return db.session.scalar(select(func.count(OutboxMessage.id))
                                     .where(OutboxMessage.status.in_([PENDING, RUNNING]))) or 0
        finally:
            db.session.remove()


def log_in(base: str, email: str) -> requests.Session:
    """Log in through the form, like a browser; the session keeps the cookie."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=HTTP_TIMEOUT)
    token = CSRF_RE.search(page.text)
    if page.status_code != 200 or token is None:
        raise RuntimeError(f"GET {base}/login: {page.status_code}, no csrf token")
    reply = session.post(f"{base}/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
                         allow_redirects=False, timeout=HTTP_TIMEOUT)
    if reply.status_code != 302 or "/login" in reply.headers.get("Location", "/login"):
        raise RuntimeError(f"log-in as {email} on {base} failed: {reply.status_code}")
    return session


# --- Measuring ------------------------------------------------------------------------------------------

def drain(socket: simple_websocket.Client, app: Any) -> int:
    """Read the follows' nudges until the outbox is empty and the socket has been quiet a while."""
    started = time.monotonic()
    quiet_since = started
    count = 0
    while time.monotonic() - started < SETTLE_MAX:
        message = socket.receive(timeout=0.1)
        now = time.monotonic()
        if message is not None:
            count += 1
            quiet_since = now
            continue
        if now - started >= SETTLE_MIN and now - quiet_since >= QUIET and outbox_busy(app) == 0:
            return count
    raise RuntimeError(f"the outbox did not settle within {SETTLE_MAX:.0f} s ({outbox_busy(app)} messages left)")


def cheer_once(base_a: str, receiver: str, email: str, name: str, socket: simple_websocket.Client) -> Cheer:
    """Log the sender in on process A, cheer the receiver and wait for the toast on process B's socket."""
    session = log_in(base_a, email)
    try:
        page = session.get(f"{base_a}/u/{receiver}", timeout=HTTP_TIMEOUT)
        token = CSRF_RE.search(page.text)
        if page.status_code != 200 or token is None:
            raise RuntimeError(f"GET /u/{receiver} as {email}: {page.status_code}, no csrf token")
        started = time.perf_counter()
        reply = session.post(f"{base_a}/u/{receiver}/cheer", data={"csrf_token": token.group(1)},
                             allow_redirects=False, timeout=HTTP_TIMEOUT)
        posted = time.perf_counter() - started
        if reply.status_code != 302:
            raise RuntimeError(f"POST /u/{receiver}/cheer as {email}: {reply.status_code}")
        deadline = started + CHEER_TIMEOUT
        while (left := deadline - time.perf_counter()) > 0:
            message = socket.receive(timeout=left)
            if message is not None and CHEERED in message and name in message:
                return Cheer(name, posted, time.perf_counter() - started)
        return Cheer(name, posted, None)
    finally:
        session.close()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def versions() -> tuple[str, str]:
    """redis-server's version and SQLite's."""
    binary = shutil.which("redis-server") or "redis-server"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"v=(\S+)", out)
    return (match.group(1) if match else out.strip() or "?"), sqlite3.sqlite_version


def run(senders: int, procs: Processes) -> tuple[list[Cheer], int]:
    """Start everything, make the people, measure; returns the cheers and how many nudges were drained."""
    tmp = procs.tmp
    procs.redis = RedisServer()
    redis_url = procs.redis.start()
    database_url = f"sqlite:///{tmp / 'puchi.db'}"
    env = base_env(tmp, database_url, redis_url, secrets.token_urlsafe(48))
    log("migrating a throwaway SQLite database")
    run_cli(env, "db", "upgrade")

    port_a, port_b = free_port(), free_port()
    while port_b == port_a:
        port_b = free_port()
    base_a, base_b = f"http://{HOST}:{port_a}", f"http://{HOST}:{port_b}"
    for label, port in (("process A", port_a), ("process B", port_b)):
        procs.logs[label] = tmp / f"gunicorn-{label[-1]}.log"
        procs.servers.append(start_gunicorn(env, port, procs.logs[label]))
    procs.logs["worker"] = tmp / "worker.log"
    procs.worker = start_worker(env, base_b, procs.logs["worker"])
    for (label, port), server in zip((("process A", port_a), ("process B", port_b)), procs.servers, strict=True):
        wait_for_port(port, timeout=30)
        if server.poll() is not None:
            raise RuntimeError(f"{label} exited")
    wait_for_worker(redis_url, procs.worker)
    log(f"process A on {base_a}, process B on {base_b}, worker and Redis up")

    from puchi import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                      "SECRET_KEY": env["SECRET_KEY"], "RATELIMIT_ENABLED": False, "MAIL_DIR": env["PUCHI_MAIL_DIR"]})
    try:
        log(f"creating the receiver and {senders} senders, each a friend of the receiver")
        receiver, people = make_people(app, senders)
        receiver_session = log_in(base_b, RECEIVER_EMAIL)
        cookie = receiver_session.cookies.get("puchi_session")
        receiver_session.close()
        if not cookie:
            raise RuntimeError("no puchi_session cookie after logging in on process B")
        socket = simple_websocket.Client.connect(f"ws://{HOST}:{port_b}/ws", headers={
            "Cookie": f"puchi_session={cookie}", "Origin": base_b})
        try:
            first = socket.receive(timeout=10)
            if first is None or 'id="bell_count"' not in first:
                raise RuntimeError(f"no catch-up message on the socket: {first!r}")
            drained = drain(socket, app)
            log(f"socket open on process B; drained {drained} follow nudge(s); cheering {senders} times via A")
            cheers = []
            for email, name, _ in people:
                cheers.append(cheer_once(base_a, receiver, email, name, socket))
        finally:
            socket.close()
    finally:
        with app.app_context():
            from puchi.core.db import db

            db.engine.dispose()
    return cheers, drained


def report(cheers: list[Cheer], drained: int, senders: int) -> None:
    redis_version, sqlite_version = versions()
    arrived = [c.latency for c in cheers if c.latency is not None]
    posts = [c.post_seconds for c in cheers]
    print("realtime latency: a cheer POSTed to web process A, received on a WebSocket held by web process B")
    print(f"  CPUs: {os.cpu_count()}  load avg: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  "
          f"Python {platform.python_version()}")
    print(f"  processes: 2 × gunicorn (1 gthread worker × {THREADS} threads each), 1 × worker.py "
          "(RQ SimpleWorker + outbox relay every 0.5 s)")
    print(f"  Redis {redis_version} (loopback, no persistence); SQLite {sqlite_version} (temp file, real migrations)")
    print(f"  {senders} senders, one cheer each, in turn; {drained} nudge(s) of the follows still arrived on the socket"
          " before measuring (most are published before it opens)")
    print()
    missed = len(cheers) - len(arrived)
    print(f"end-to-end latency (ms), POST sent → toast received: count {len(arrived)}"
          + (f" ({missed} did not arrive within {CHEER_TIMEOUT:g} s)" if missed else ""))
    if arrived:
        print(f"  min {min(arrived) * 1000:.1f}  p50 {percentile(arrived, 50):.1f}  p95 {percentile(arrived, 95):.1f}"
              f"  max {max(arrived) * 1000:.1f}")
        print("  each: " + " ".join(f"{c.latency * 1000:.0f}" if c.latency is not None else "—" for c in cheers))
    print(f"of which the POST's own round trip (ms, until process A's 302): min {min(posts) * 1000:.1f}  "
          f"p50 {percentile(posts, 50):.1f}  p95 {percentile(posts, 95):.1f}  max {max(posts) * 1000:.1f}")
    print()
    print("path measured: process A (POST /u/<name>/cheer: event → notification + outbox row, commit, RQ enqueue)")
    print("  → outbox → RQ worker (claims the row, renders the toast, PUBLISH puchi:user:<id>)")
    print("  → Redis pub/sub → process B (its listener thread) → WebSocket → this client")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=20, help="learners who each cheer once (default 20)")
    args = parser.parse_args()
    if not 1 <= args.senders <= 200:
        parser.error("--senders must be in [1, 200]")
    procs = Processes(Path(tempfile.mkdtemp(prefix="puchi-bench-rt-")))
    try:
        cheers, drained = run(args.senders, procs)
    except Exception:
        for name in procs.logs:
            log(procs.tail(name))
        raise
    finally:
        for server in procs.servers:
            stop(server)
        stop(procs.worker)
        if procs.redis is not None:
            procs.redis.destroy()
        shutil.rmtree(procs.tmp, ignore_errors=True)
    report(cheers, drained, args.senders)
    return 0 if all(c.latency is not None for c in cheers) else 1


if __name__ == "__main__":
    sys.exit(main())
