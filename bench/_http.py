"""What the HTTP load benchmarks share: a small keep-alive client with cookies, the lesson player's moves,
and gunicorn servers on loopback ports. Imported by the scripts next to it (``python bench/x.py``)."""

from __future__ import annotations

import html
import http.client
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
COURSE = "spanish-for-english-speakers"
SOCKET_TIMEOUT = 30.0  # gunicorn's own worker timeout

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
STEP_RE = re.compile(r'name="step" value="(\d+)"')
CHOICE_RE = re.compile(r'name="answer" value="([^"]*)"')
VERDICT_RE = re.compile(r"feedback feedback--(\w+)")
SKILL_LINK_RE = re.compile(r'href="/skills/(\d+)"')
SKILL_START_RE = re.compile(r"/skills/(\d+)/lessons")
LESSON_RE = re.compile(r"/lessons/(\d+)")
COMPLETE = "Lesson complete!"


# --- A small HTTP client: one keep-alive connection and a cookie jar -------------------------------------

@dataclass
class Reply:
    status: int
    location: str
    text: str


class Client:
    """One persistent HTTP/1.1 connection with its own cookies (one browser tab's worth of state)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None, htmx: bool = False) -> Reply:
        """Send one request and read the whole answer; reconnects once if the server dropped an idle connection."""
        headers = {"Host": f"{HOST}:{self.port}", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if htmx:
            headers["HX-Request"] = "true"
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=SOCKET_TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.BadStatusLine, http.client.CannotSendRequest):
                self.close()
                if reused and attempt == 1:  # gunicorn closes keep-alive connections idle for 2 s
                    continue
                raise
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                expired = "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower()
                if value and not expired:
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            location = urlsplit(response.getheader("Location") or "").path
            return Reply(response.status, location, data.decode("utf-8", "replace"))
        raise AssertionError("unreachable")

    def expect(self, method: str, path: str, status: int, form: dict[str, str] | None = None,
               htmx: bool = False) -> Reply:
        """A setup request that must succeed with ``status``."""
        reply = self.request(method, path, form, htmx)
        if reply.status != status:
            raise RuntimeError(f"{method} {path}: expected {status}, got {reply.status}: {reply.text[:300]!r}")
        return reply

    def log_in(self, email: str, password: str) -> None:
        """Log in through the form, then take the CSRF token of the new session (log-in clears the old one)."""
        token = _find(CSRF_RE, self.expect("GET", "/login", 200).text, "csrf token on /login")
        reply = self.expect("POST", "/login", 302, {"email": email, "password": password, "csrf_token": token})
        if reply.location.startswith("/login"):
            raise RuntimeError(f"log-in as {email} failed")
        self.csrf = _find(CSRF_RE, self.expect("GET", "/home", 200).text, "csrf token on /home")

    def post(self, path: str, form: dict[str, str] | None = None, htmx: bool = False) -> Reply:
        return self.request("POST", path, {"csrf_token": self.csrf, **(form or {})}, htmx)


def _find(pattern: re.Pattern[str], text: str, what: str) -> str:
    match = pattern.search(text)
    if match is None:
        raise RuntimeError(f"could not find the {what} in: {text[:300]!r}")
    return match.group(1)


def enrol_and_start(client: Client, skill_id: int | None = None) -> tuple[int, int]:
    """Enrol in the Spanish course and start (or resume) a lesson of its first skill: (skill id, session id)."""
    if client.post(f"/courses/{COURSE}/enroll").status != 302:
        raise RuntimeError("enrolment failed")
    if skill_id is None:
        course_page = client.expect("GET", f"/courses/{COURSE}", 200).text
        first = _find(SKILL_LINK_RE, course_page, "first skill link on the course map")
        skill_page = client.expect("GET", f"/skills/{first}", 200).text
        skill_id = int(_find(SKILL_START_RE, skill_page, "start-lesson form on the skill page"))
    return skill_id, start_lesson(client, skill_id)


def start_lesson(client: Client, skill_id: int) -> int:
    reply = client.post(f"/skills/{skill_id}/lessons")
    if reply.status != 302:
        raise RuntimeError(f"starting a lesson failed: {reply.status}")
    return int(_find(LESSON_RE, reply.location, "lesson id in the redirect"))


def pick_answer(fragment: str) -> str:
    """The first choice on offer, or a plausible typed answer: what a hurried learner would send."""
    match = CHOICE_RE.search(fragment)
    return html.unescape(match.group(1)) if match else "hola"



# --- Processes ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run_cli(env: dict[str, str], *args: str) -> str:
    """``flask --app puchi …`` in the repository, with the benchmark's environment; fails loudly."""
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "puchi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_gunicorn(app: str, port: int, env: dict[str, str], cwd: Path, logfile: Path, *, workers: int,
                   threads: int) -> subprocess.Popen[bytes]:
    """gunicorn with the production config file, bound to a loopback port; output goes to ``logfile``."""
    server_env = {**env, "PUCHI_BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": str(workers),
                  "PUCHI_THREADS": str(threads)}
    with logfile.open("wb") as out:
        return subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                                 "--no-control-socket", "--chdir", str(cwd), app],
                                cwd=cwd, env=server_env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def wait_until_up(process: subprocess.Popen[bytes], port: int, path: str, logfile: Path, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn on port {port} exited:\n{logfile.read_text()[-2000:]}")
        client = Client(port)
        try:
            if client.request("GET", path).status == 200:
                return
        except OSError:
            pass
        finally:
            client.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn on port {port} did not answer {path} within {limit:.0f} s")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM a server (a gunicorn master, a worker); SIGKILL its process group after 10 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


