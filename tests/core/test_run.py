"""``./scripts/run`` serves Puchi with gunicorn on 127.0.0.1:$PORT, with the embedded defaults, and mails links
to that port. This starts the serving half of scripts/run (``scripts/_serve.sh``, which scripts/run execs after
the set-up) as it does, on a free port with its SQLite database and mail folder in a temporary directory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests
import simple_websocket

from tests.conftest import CSRF_RE, ROOT, wait_until
from tests.services import free_port, wait_for_http

DEMO_EMAIL, DEMO_PASSWORD = "learner@example.com", "puchi-demo-1"
# What the machine's environment (or another test's) could set that scripts/run leaves to its defaults.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "SECRET_KEY", "FLASK_APP", "WEB_CONCURRENCY"}


@dataclass
class RunServer:
    url: str
    process: subprocess.Popen[bytes]
    folder: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def run_server(tmp_path: Path) -> Iterator[RunServer]:
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in NOT_INHERITED and not key.startswith("PUCHI_")}
    env.update({"PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path / 'puchi.db'}",
                "PUCHI_MAIL_DIR": str(tmp_path / "mail"), "PUCHI_SMS_DIR": str(tmp_path / "sms"),
                "PUCHI_GRACEFUL_TIMEOUT": "2"})
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(["bash", str(ROOT / "scripts" / "_serve.sh")], cwd=tmp_path, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = RunServer(f"http://127.0.0.1:{port}", process, tmp_path, log_path)
    try:
        wait_for_http(f"{server.url}/healthz", timeout=90)  # migrated, demo data loaded, the worker booted
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _log_in(session: requests.Session, base: str) -> None:
    token = CSRF_RE.search(session.get(f"{base}/login", timeout=10).text).group(1)
    response = session.post(f"{base}/login", data={"csrf_token": token, "email": DEMO_EMAIL,
                                                   "password": DEMO_PASSWORD}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text


def test_scripts_run_serves_with_gunicorn_and_mails_links_to_its_port(run_server: RunServer) -> None:
    base = run_server.url
    # The process scripts/run leaves running (it execs) is gunicorn's master, and gunicorn answers.
    command = Path(f"/proc/{run_server.process.pid}/cmdline").read_bytes().split(b"\0")
    assert any(part.endswith(b"gunicorn") for part in command), command
    assert b"--no-control-socket" in command
    health = requests.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.headers.get("Server", "").startswith("gunicorn"), health.headers

    # The demo course and accounts are loaded; a reset email carries links to this port, not :5000.
    session = requests.Session()
    page = session.get(f"{base}/forgot-password", timeout=10)
    token = CSRF_RE.search(page.text).group(1)
    sent = session.post(f"{base}/forgot-password", data={"csrf_token": token, "email": DEMO_EMAIL}, timeout=10)
    assert sent.status_code == 200, sent.text
    mail = run_server.folder / "mail"
    assert wait_until(lambda: list(mail.glob("*.eml")), timeout=10), run_server.log()
    [path] = mail.glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://[^/\s]+/", body)
    assert links and set(links) == {f"{base}/"}, body

    # /ws upgrades (gthread): a signed-in learner's socket is greeted with the unread count.
    _log_in(session, base)
    socket = simple_websocket.Client.connect(base.replace("http", "ws") + "/ws", headers={
        "Origin": base, "Cookie": f"puchi_session={session.cookies['puchi_session']}"})
    try:
        assert 'id="bell_count"' in (socket.receive(timeout=10) or ""), run_server.log()
    finally:
        socket.close()
