"""Two web processes (gunicorn) and a worker on one Redis and one database: a cheer sent through process A
reaches a socket held by process B within a second."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import simple_websocket
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.social import services as social
from tests.conftest import AuthActions, outbox_settled, wait_until
from tests.services import free_port, wait_for_http

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def app_settings(redis_server):
    return {"REDIS_URL": redis_server.url}


@pytest.fixture
def web_processes(database_url, redis_server, smtp_sink):
    """Two gunicorn processes, as production runs them (gthread workers)."""
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_server.url, "SECRET_KEY": SECRET,
               "SMTP_URL": smtp_sink.url, "PUCHI_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
               "PUCHI_THREADS": "8", "PUCHI_RATELIMIT_ENABLED": "0", "PUCHI_BASE_URL": f"http://127.0.0.1:{port}"}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket",
             "--graceful-timeout", "2", "--access-logfile", "/dev/null", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_for_http(f"{url}/healthz", timeout=60)  # the worker has booted, not only the master
        yield list(zip(urls, processes, strict=True))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _worker_pids(master_pid: int) -> set[int]:
    """The gunicorn master's worker processes (Linux /proc)."""
    children: set[int] = set()
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        children.update(int(pid) for pid in (task / "children").read_text().split())
    return children


def _listening_pids(redis_url: str) -> set[int]:
    """The processes whose real-time listener Redis has subscribed right now (CLIENT LIST: name and psub)."""
    from redis import Redis

    from puchi.core.realtime import LISTENER_NAME

    pids = set()
    for client in Redis.from_url(redis_url).client_list():
        name = client.get("name", "")
        if name.startswith(f"{LISTENER_NAME}-") and int(client.get("psub", 0)) > 0:
            pids.add(int(name.rsplit("-", 1)[1]))
    return pids


def _befriend(app, a_id, b_id):
    with app.app_context():
        a, b = db.session.get(User, a_id), db.session.get(User, b_id)
        social.follow(a, social.profile_of(b).username)
        social.follow(b, social.profile_of(a).username)
        return social.profile_of(b).username


def test_a_cheer_through_process_a_reaches_a_socket_on_process_b_within_a_second(
        app, make_user, worker, web_processes, redis_server):
    import requests

    ana, ben = make_user("ana@example.com", display_name="Ana"), make_user("ben@example.com", display_name="Ben")
    ben_username = _befriend(app, ana.id, ben.id)
    (process_a, _), (process_b, gunicorn_b) = web_processes
    client = app.test_client()
    AuthActions(client).log_in("ben@example.com")
    ben_cookie = client.get_cookie("puchi_session").value

    socket = simple_websocket.Client.connect(process_b.replace("http", "ws") + "/ws", headers={
        "Cookie": f"puchi_session={ben_cookie}", "Origin": process_b})
    try:
        assert 'id="bell_count"' in socket.receive(timeout=10)
        # The catch-up comes once process B's listener is subscribed; Redis itself says so.
        assert wait_until(lambda: _listening_pids(redis_server.url) & _worker_pids(gunicorn_b.pid), timeout=10)
        session = requests.Session()  # Ana logs in on process A like a browser
        login = session.get(f"{process_a}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        session.post(f"{process_a}/login", data={"csrf_token": token, "email": "ana@example.com",
                                                 "password": "correct-horse-battery"}, timeout=10)
        page = session.get(f"{process_a}/u/{ben_username}", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        # The worker is through with the follows' news, so the cheer is not queued behind it.
        assert wait_until(lambda: outbox_settled(app), timeout=20), worker.log()
        started = time.monotonic()
        response = session.post(f"{process_a}/u/{ben_username}/cheer", data={"csrf_token": token},
                                allow_redirects=False, timeout=10)
        assert response.status_code == 302
        message = ""
        while "cheered you on!" not in message and time.monotonic() - started < 15:
            message = socket.receive(timeout=5) or ""  # earlier nudges (the follows) may come first
        # Delivered across processes; how fast is bench/realtime_latency.py's figure, not a timed test's.
        assert "cheered you on!" in message, worker.log()
    finally:
        socket.close()
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.id == ben.id))
