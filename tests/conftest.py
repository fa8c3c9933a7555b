"""Fixtures: the app on SQLite or PostgreSQL, a real Redis and RQ worker, a real SMTP sink, and helpers.

``PUCHI_TEST_DB=postgresql`` runs the suite against a throwaway PostgreSQL 15 cluster; the default is a
SQLite file. Redis and the SMTP sink are started once per session on free loopback ports.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from puchi import create_app
from puchi.core.db import db
from tests.services import PostgresServer, RedisServer, SmtpSink, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PASSWORD = "correct-horse-battery"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translation catalogs, as installing Puchi does, so pages render translated."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (ROOT / "puchi" / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as source:
            catalog = read_po(source)
        # Written aside and moved into place: the SQLite and PostgreSQL runs start side by side.
        partial = po_path.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as target:
            write_mo(target, catalog)
        os.replace(partial, po_path.with_suffix(".mo"))
    from puchi.core.pwa import build_icons

    build_icons(ROOT / "static")  # as installing Puchi does

# --- GET and HEAD never write ----------------------------------------------------------------

# The one write a read may make: a device session's "last active" time, at most once per
# SESSION_TOUCH_INTERVAL (it is what the account page's device list shows).
READS_MAY_WRITE = ("UPDATE user_sessions SET last_seen_at",)
_reads_that_wrote: list[str] = []


def _in_a_read() -> str | None:
    from flask import has_request_context, request

    if has_request_context() and request.method in {"GET", "HEAD"} and request.path != "/ws":
        return f"{request.method} {request.full_path}"
    return None


def _watch_statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    words = statement.lstrip().split(None, 1)
    if not words or words[0].upper() not in {"INSERT", "UPDATE", "DELETE", "REPLACE"}:
        return
    where = _in_a_read()
    if where is None:
        return
    from flask import g

    if statement.lstrip().startswith(READS_MAY_WRITE):
        g.puchi_allowed_write = True
    else:
        _reads_that_wrote.append(f"{where} wrote: {statement[:120]}")


def _watch_commit(conn: Any) -> None:
    from flask import g

    where = _in_a_read()
    if where and not g.pop("puchi_allowed_write", False):
        _reads_that_wrote.append(f"{where} committed")


@contextmanager
def _watching_statements_and_commits(on_statement: Callable[..., None], on_commit: Callable[..., None]
                                     ) -> Iterator[None]:
    """Call ``on_statement`` before every SQL statement and ``on_commit`` at every commit, on every engine."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "commit", on_commit)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)
        event.remove(Engine, "commit", on_commit)


@pytest.fixture(autouse=True)
def reads_never_write() -> Iterator[None]:
    """Every test fails if a GET or HEAD it made wrote to the database or committed."""
    _reads_that_wrote.clear()
    with _watching_statements_and_commits(_watch_statement, _watch_commit):
        yield
    assert not _reads_that_wrote, "a GET or HEAD wrote:\n" + "\n".join(dict.fromkeys(_reads_that_wrote))


# --- Every change runs in an action ------------------------------------------------------------
# Puchi's own code writes and commits only inside an action (puchi.core.db.action), or in the outbox relay,
# the one place whose bookkeeping commits on its own (puchi/core/outbox.py). Tests may arrange rows however
# they like: who made a statement is the innermost frame of this repository's code on the stack, and only
# frames under puchi/ are held to the rule.

_PUCHI = str(ROOT / "puchi") + os.sep
_OUTBOX_RELAY = str(ROOT / "puchi" / "core" / "outbox.py")
_PROJECT = str(ROOT) + os.sep
_VENV = str(ROOT / ".venv") + os.sep
_outside_actions: list[str] = []


def _app_code_outside_an_action() -> str | None:
    """Where Puchi's code (not a test's, nor the relay's) is running outside an action now, or None."""
    from puchi.core.db import in_action

    if in_action():
        return None
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_PROJECT) and not filename.startswith(_VENV):
            if not filename.startswith(_PUCHI) or filename == _OUTBOX_RELAY:
                return None
            return f"{os.path.relpath(filename, ROOT)}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return None


def _watch_writes_outside_actions(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    words = statement.lstrip().split(None, 1)
    if words and words[0].upper() in {"INSERT", "UPDATE", "DELETE", "REPLACE"}:
        if where := _app_code_outside_an_action():
            _outside_actions.append(f"{where} wrote outside an action: {statement.strip()[:100]}")


def _watch_commits_outside_actions(conn: Any) -> None:
    if where := _app_code_outside_an_action():
        _outside_actions.append(f"{where} committed outside an action")


@pytest.fixture(autouse=True)
def changes_run_in_actions() -> Iterator[None]:
    """Every test fails if Puchi's code wrote or committed outside an action (the outbox relay aside)."""
    _outside_actions.clear()
    with _watching_statements_and_commits(_watch_writes_outside_actions, _watch_commits_outside_actions):
        yield
    assert not _outside_actions, "changes outside an action:\n" + "\n".join(dict.fromkeys(_outside_actions))


# --- Servers (one per session) -------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    backend = os.environ.get("PUCHI_TEST_DB", "sqlite")
    if backend == "postgresql":
        server = PostgresServer()
        try:
            url = server.start()
            _migrate(url)
            yield url
        finally:
            server.stop()
    else:
        folder = Path(tempfile.mkdtemp(prefix="puchi-sqlite-"))
        url = f"sqlite:///{folder / 'puchi.db'}"
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    """Build the schema with the real Alembic migrations, exactly as a deployment does."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _redis_process() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        from puchi.core import realtime

        realtime.stop_listeners()  # before Redis goes: it would log reconnection attempts
        server.destroy()


@pytest.fixture
def redis_server(_redis_process: RedisServer) -> RedisServer:
    """The session's Redis, emptied for each test (queues, league sorted sets, rate-limit counters)."""
    from redis import Redis

    Redis.from_url(_redis_process.url).flushall()
    return _redis_process


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def mailbox(smtp_sink: SmtpSink) -> SmtpSink:
    smtp_sink.clear()
    return smtp_sink


# --- The app -------------------------------------------------------------------------------------

EXPORT_DIR = tempfile.mkdtemp(prefix="puchi-exports-")
MEDIA_DIR = tempfile.mkdtemp(prefix="puchi-media-")


def settings_for_tests(database_url: str, smtp_url: str, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SMTP_URL": smtp_url,
        "BASE_URL": "http://localhost",
        "REDIS_URL": None,
        "INLINE_CHORES": False,  # tests run chores themselves, at the moments they choose
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_LOGIN": "1000 per minute",
        "RATELIMIT_SIGNUP": "1000 per minute",
        "RATELIMIT_RESET": "1000 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "1000 per minute",
        "RATELIMIT_MFA": "1000 per minute",
        # Cheap hashes keep the suite fast; test_passwords checks the production parameters.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "JOB_RETRY_INTERVALS": [1, 2],
        "OUTBOX_RELAY_GRACE_SECONDS": 0.5,
        "EXPORT_DIR": EXPORT_DIR,  # data exports (GDPR): never into instance/
        "MEDIA_DIR": MEDIA_DIR,  # uploaded pictures and recordings: never into instance/
        "TTS_ENGINE": "none",  # the browser's voice or the text; tests of spoken audio turn espeak-ng on
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def app_settings() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's settings."""
    return {}


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, smtp_sink: SmtpSink,
        app_settings: dict[str, Any]) -> Iterator[Flask]:
    smtp_sink.clear()
    flask_app = create_app(settings_for_tests(database_url, smtp_sink.url, **app_settings))
    with flask_app.app_context():
        seeded_courses.keep_only(set(request.fixturenames))
    yield flask_app
    with flask_app.app_context():
        db.session.remove()
        _empty_tables(keep=seeded_courses.tables_to_keep())
        db.engine.dispose()


# --- The bundled courses: imported once, kept between the tests that ask for them ----------------
# Importing a course takes 0.4–1.8 s; most learning and progress tests only read it. So a course fixture
# imports it the first time, and the tables of course content survive the clean-up after each test while
# no statement has changed them since (any INSERT, UPDATE or DELETE on them, outside the import, does).
# A test sees exactly the seeded courses its fixtures ask for: any others are cleared before it starts.

COURSE_TABLES = ("courses", "units", "skills", "items", "authored_exercises", "dictionary_entries")
_COURSE_WRITE = re.compile(r"\s*(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(" + "|".join(COURSE_TABLES)
                           + r")\b", re.IGNORECASE)


class SeededCourses:
    """Which bundled courses the database holds, unchanged since their import."""

    def __init__(self) -> None:
        self.fixtures: dict[str, str] = {}  # fixture name → course slug
        self.present: set[str] = set()
        self.importing = False
        self.changed = False

    def register(self, fixture_name: str, slug: str) -> None:
        self.fixtures[fixture_name] = slug

    def watch(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if not self.importing and _COURSE_WRITE.match(statement):
            self.changed = True

    def keep_only(self, fixture_names: set[str]) -> None:
        """Before a test: clear the course tables unless they hold only courses this test asks for."""
        wanted = {slug for name, slug in self.fixtures.items() if name in fixture_names}
        if self.changed or not self.present <= wanted:
            _empty_tables(keep=())
            self.present.clear()
            self.changed = False

    def ensure(self, slug: str, load: Callable[[], Any]) -> str:
        if slug not in self.present:
            self.importing = True
            try:
                load()
            finally:
                self.importing = False
            self.present.add(slug)
        return slug

    def tables_to_keep(self) -> tuple[str, ...]:
        if self.changed or not self.present:
            self.present.clear()
            self.changed = False
            return ()
        return COURSE_TABLES


seeded_courses = SeededCourses()


@pytest.fixture(autouse=True, scope="session")
def _watch_course_writes() -> Iterator[None]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", seeded_courses.watch)
    yield
    event.remove(Engine, "before_cursor_execute", seeded_courses.watch)


def _empty_tables(keep: tuple[str, ...] = ()) -> None:
    # DELETE, not TRUNCATE, on PostgreSQL too: TRUNCATE makes new files for every table and index (~110 ms a
    # test against ~12 ms), and the tables are nearly empty. Children first, then each emptied table's id
    # sequence starts again at 1, as after TRUNCATE ... RESTART IDENTITY.
    tables = [table.name for table in reversed(db.metadata.sorted_tables) if table.name not in keep]
    seeded_courses.importing = True  # these DELETEs are no change to a kept course
    try:
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            if connection.dialect.name == "postgresql":
                sequences = [sequence for table, sequence in _id_sequences(connection) if table in tables]
                connection.execute(text("SELECT setval(name::regclass, 1, false) "
                                        "FROM unnest(CAST(:names AS text[])) AS name"), {"names": sequences})
    finally:
        seeded_courses.importing = False
    if "courses" in tables:
        seeded_courses.present.clear()
        seeded_courses.changed = False


_SEQUENCES: dict[str, list[tuple[str, str]]] = {}


def _id_sequences(connection: Any) -> list[tuple[str, str]]:
    """(table, the sequence its serial or identity column draws from), read once per database."""
    url = str(connection.engine.url)
    if url not in _SEQUENCES:
        _SEQUENCES[url] = [(table, sequence) for table, sequence in connection.execute(text(
            "SELECT t.relname, s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
            "AND d.deptype IN ('a', 'i') JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S'"))]
    return _SEQUENCES[url]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class HtmxClient:
    """A test client whose requests look like HTMX's: HX-Request, and optionally HX-Boosted."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, boosted: bool = False, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self._headers(boosted), **kwargs)

    def post(self, url: str, boosted: bool = False, **kwargs: Any) -> Any:
        return self.client.post(url, headers=self._headers(boosted), **kwargs)

    @staticmethod
    def _headers(boosted: bool) -> dict[str, str]:
        headers = {"HX-Request": "true"}
        if boosted:
            headers["HX-Boosted"] = "true"
        return headers


@pytest.fixture
def htmx(client: FlaskClient) -> HtmxClient:
    return HtmxClient(client)


# --- People and their actions --------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str) -> str:
    response = client.get(page)
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, page: str, data: dict[str, Any], action: str | None = None,
              **kwargs: Any) -> Any:
    """Open ``page`` like a browser, then submit its form with ``data`` and the page's CSRF token."""
    token = csrf_token(client, page)
    return client.post(action or page, data={"csrf_token": token, **data}, **kwargs)


def follow_email_link(client: FlaskClient, link: str) -> Any:
    """Open an emailed confirmation link and press its button, as a learner does (a GET only shows it)."""
    page = client.get(link)
    match = CSRF_RE.search(page.text)
    if page.status_code != 200 or match is None:
        return page
    return client.post(link, data={"csrf_token": match.group(1)})


@dataclass
class AuthActions:
    client: FlaskClient

    def sign_up(self, email: str = "ana@example.com", password: str = DEFAULT_PASSWORD,
                display_name: str = "Ana", **extra: Any) -> Any:
        data = {"email": email, "password": password, "display_name": display_name, "locale": "en",
                "timezone": "Europe/Madrid", **extra}
        return post_form(self.client, "/signup", data)

    def log_in(self, email: str = "ana@example.com", password: str = DEFAULT_PASSWORD,
               remember: bool = False) -> Any:
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return post_form(self.client, "/login", data)

    def log_out(self) -> Any:
        return post_form(self.client, "/home", {}, action="/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Factory: a verified account, ready to log in with DEFAULT_PASSWORD."""
    from puchi.accounts import services

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, display_name: str = "Learner", password: str = DEFAULT_PASSWORD,
             **kwargs: Any) -> Any:
        with app.app_context():
            user = services.create_verified_user(
                email=email or f"learner{next(counter)}@example.com", display_name=display_name,
                password=password, **kwargs)
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def logged_in(app: Flask, make_user: Callable[..., Any]) -> Callable[..., FlaskClient]:
    """Factory: a fresh client logged in as a new learner; returns (client, user)."""

    def log_in_as(**kwargs: Any) -> tuple[FlaskClient, Any]:
        user = make_user(**kwargs)
        client = app.test_client()
        response = AuthActions(client).log_in(user.email)
        assert response.status_code == 302, response.text
        return client, user

    return log_in_as


def link_in(message: Any, path_prefix: str) -> str:
    """The path of the first link in an email's text part that starts with ``path_prefix``."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", body)
    assert match, f"no {path_prefix} link in: {body}"
    return match.group(1)


# --- A real RQ worker ----------------------------------------------------------------------------

class WorkerProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="puchi-worker-", suffix=".log")[1])

    def start(self) -> None:
        log = self.log_path.open("ab")
        # A session of its own: RQ's scheduler is a forked child, which must end with the worker. Left behind
        # (a killed worker's), it went on moving a later test's scheduled retries into the queue.
        self.process = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._kill_group()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self._kill_group()
            self.process.wait(timeout=10)

    def _kill_group(self) -> None:
        """SIGKILL to every process the worker started (its scheduler), as a crash of the machine would."""
        if self.process:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Override to change the worker's environment."""
    return {}


@pytest.fixture
def worker(database_url: str, redis_server: RedisServer, smtp_sink: SmtpSink,
           worker_env: dict[str, str]) -> Iterator[WorkerProcess]:
    """``python worker.py`` against the test Redis, database and SMTP sink."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "SMTP_URL": smtp_sink.url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "PUCHI_BASE_URL": "http://localhost",
        "PUCHI_RELAY_INTERVAL": "0.5",
        "PUCHI_OUTBOX_RELAY_GRACE_SECONDS": "0.5",
        "PUCHI_JOB_RETRY_INTERVALS": "1,2",
        "PYTHONUNBUFFERED": "1",
        **worker_env,
    }
    process = WorkerProcess(env)
    process.start()
    yield process
    process.stop()


# --- A live server for the browser ---------------------------------------------------------------

@pytest.fixture
def live_host() -> str:
    """The name the browser reaches the live server by (passkeys need a host name: their tests say localhost)."""
    return "127.0.0.1"


@pytest.fixture
def live_server(database_url: str, smtp_sink: SmtpSink, app_settings: dict[str, Any], live_host: str) -> Iterator[str]:
    from werkzeug.serving import make_server

    port = free_port()
    base_url = f"http://{live_host}:{port}"
    flask_app = create_app(settings_for_tests(database_url, smtp_sink.url, BASE_URL=base_url, TESTING=False,
                                         **app_settings))
    server = make_server("127.0.0.1", port, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    wait_for_port(port)
    yield base_url
    server.shutdown()
    thread.join(timeout=10)
    with flask_app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def outbox_settled(app: Flask) -> bool:
    """Every outbox message that is due has been carried out (by the worker) or given up on: the work a
    commit caused (live fragments, emails) is done. Use with :func:`wait_until`."""
    from sqlalchemy import func, select

    from puchi.core import outbox
    from puchi.core.db import now

    with app.app_context():
        waiting = db.session.scalar(select(func.count()).select_from(outbox.OutboxMessage).where(
            outbox.OutboxMessage.status.in_([outbox.PENDING, outbox.RUNNING]),
            outbox.OutboxMessage.next_attempt_at <= now()))
        db.session.remove()
    return waiting == 0
