"""Lighthouse (mobile) scores of Puchi's main pages, as served by gunicorn: DESIGN.md asks ≥ 95 in every category.

Run: .venv/bin/python bench/lighthouse.py [--pages /,/home,...] [--lighthouse-dir DIR]
It migrates a throwaway SQLite database, loads the bundled courses and a learner, starts gunicorn with
gunicorn.conf.py on a free loopback port, signs the learner in (enrolled, a lesson started) and runs the npm
`lighthouse` CLI (installed from the npm registry into DIR on first use, default bench/.lighthouse)
with the system Chromium on each page, passing the session cookie for the signed-in ones, ``--runs`` times (3 by
default). It prints one row of scores per page (each category's median over the runs), stops the server and
deletes the temp folder. Needs node/npm and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_PAGES = ["/", "/login", "/signup"]
COURSE = "spanish-for-english-speakers"
# The main pages (issue 12): landing, log-in, the Learn tab and the course map (the path), a lesson, and the
# other tabs of the phone's bar (Practice, Leagues, Friends, Profile). ``--pages`` audits others.
MAIN_PAGES = ["/", "/login", "/home", f"/courses/{COURSE}", "<lesson>", "/practice", "/leagues", "/feed",
              "/account"]
EMAIL, PASSWORD = "lighthouse@example.com", "lighthouse-bench-1"
BUDGET = 95
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
RUN_TIMEOUT = 180  # seconds for one page: every run stops by itself


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lighthouse_cli(folder: Path) -> Path:
    cli = folder / "node_modules" / ".bin" / "lighthouse"
    if not cli.exists():
        log(f"installing lighthouse@12 from the npm registry into {folder}")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(folder), "lighthouse@12"], check=True,
                       timeout=600)
    return cli


def prepare(folder: Path, env: dict[str, str]) -> None:
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "puchi"]
    for args in (["db", "upgrade"], ["puchi", "load-courses"],
                 ["puchi", "create-user", "--email", EMAIL, "--name", "Lighthouse", "--password", PASSWORD]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, timeout=300, capture_output=True)


def sign_in(base: str) -> tuple[str, str]:
    """The learner's session cookie, and the address of a lesson they started."""
    session = requests.Session()

    def token(html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]

    session.post(f"{base}/login", data={"csrf_token": token(session.get(f"{base}/login").text), "email": EMAIL,
                                        "password": PASSWORD}, timeout=30)
    courses = session.get(f"{base}/courses", timeout=30).text
    session.post(f"{base}/courses/{COURSE}/enroll", data={"csrf_token": token(courses)}, timeout=30)
    course = session.get(f"{base}/courses/{COURSE}", timeout=30).text
    skill = re.search(r"/skills/(\d+)", course).group(1)  # type: ignore[union-attr]
    page = session.get(f"{base}/skills/{skill}", timeout=30).text
    started = session.post(f"{base}/skills/{skill}/lessons", data={"csrf_token": token(page)},
                           allow_redirects=False, timeout=30)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return cookie, started.headers["Location"]


def audit(cli: Path, url: str, out: Path, headers: Path | None) -> dict[str, object]:
    command = [str(cli), url, "--quiet", f"--chrome-flags={CHROME_FLAGS}", "--output=json",
               f"--output-path={out}", "--form-factor=mobile"]
    if headers:
        command.append(f"--extra-headers={headers}")
    for _attempt in range(2):  # Chromium's trace is occasionally lost (NO_NAVSTART): one more try
        subprocess.run(command, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, timeout=RUN_TIMEOUT,
                       capture_output=True)
        report = json.loads(out.read_text())
        if not report.get("runtimeError"):
            break
    scores = {name: None if c["score"] is None else round(c["score"] * 100)
              for name, c in report["categories"].items()}
    return {"final": report.get("finalDisplayedUrl", ""), **scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", help="comma-separated paths (default: every main page)")
    parser.add_argument("--lighthouse-dir", type=Path, default=ROOT / "bench" / ".lighthouse",
                        help="where the npm lighthouse CLI is installed (git ignores bench/.lighthouse)")
    parser.add_argument("--reports", type=Path, help="keep each page's JSON report in this folder")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per page; each category's median is printed (Lighthouse's advice for variance: "
                             "performance moves with the machine's load)")
    options = parser.parse_args()
    cli = lighthouse_cli(options.lighthouse_dir)

    folder = Path(tempfile.mkdtemp(prefix="puchi-lighthouse-"))
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("PUCHI_ENV", "DATABASE_URL", "REDIS_URL", "SMTP_URL")}
    env.update({"DATABASE_URL": f"sqlite:///{folder / 'lighthouse.db'}", "PUCHI_MAIL_DIR": str(folder / "mail"),
                "PUCHI_BIND": f"127.0.0.1:{port}", "PUCHI_BASE_URL": f"http://127.0.0.1:{port}",
                "PUCHI_RATELIMIT_ENABLED": "0", "SECRET_KEY": "lighthouse-bench-secret-key-0123456789abcdef"})
    server = None
    try:
        log("preparing a throwaway database")
        prepare(folder, env)
        server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        cookie, lesson = sign_in(base)
        headers = folder / "headers.json"
        headers.write_text(json.dumps({"Cookie": cookie}))
        pages = options.pages.split(",") if options.pages else MAIN_PAGES
        print(f"{'page':<24} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}  (mobile; budget ≥ {BUDGET})")
        worst = 100
        for path in pages:
            target = lesson if path == "<lesson>" else path
            signed_in = path not in PUBLIC_PAGES
            log(f"auditing {target}")
            runs = [audit(cli, base + target, folder / "report.json", headers if signed_in else None)
                    for _run in range(max(1, options.runs))]
            row: dict[str, object] = {"final": runs[-1]["final"]}
            for key in CATEGORIES:
                scored = [value for run in runs if isinstance(value := run.get(key), int)]
                row[key] = statistics.median_low(scored) if scored else None
            if options.reports:
                options.reports.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^a-z0-9]+", "-", target.lower()).strip("-") or "landing"
                shutil.copy(folder / "report.json", options.reports / f"{name}.json")
            values = [row.get(key) for key in CATEGORIES]
            worst = min([worst] + [v for v in values if isinstance(v, int)])
            moved = "" if str(row["final"]).endswith(target) else f"  → {row['final']}"
            print(f"{target:<24} " + " ".join(f"{'-' if v is None else v:>5}" for v in values) + moved)
        print(f"lowest score: {worst} ({'meets' if worst >= BUDGET else 'below'} the budget of {BUDGET})")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
