"""Page weight of the lesson page: the JS and CSS a browser downloads for it, raw and compressed.

Run: .venv/bin/python bench/page_weight.py
It builds a throwaway SQLite database with the bundled courses, signs a learner in with the Flask test
client, opens a lesson, and sums every script and stylesheet the page links to, as Puchi serves them
(brotli and gzip, which the app negotiates), next to DESIGN.md's budget of 100 KB compressed.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BUDGET_KB = 100


def main() -> None:
    import brotli
    from flask_migrate import upgrade

    from puchi import create_app
    from puchi.accounts import services as accounts
    from puchi.core.db import db
    from puchi.learning.cli import BUNDLED_COURSES
    from puchi.learning.course_import import import_course_folder

    folder = Path(tempfile.mkdtemp(prefix="puchi-weight-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'weight.db'}", "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "page-weight-bench-secret-key-0123456789"})
    with app.app_context():
        upgrade()
        import_course_folder(BUNDLED_COURSES / "spanish-for-english-speakers")
        accounts.create_verified_user(email="weight@example.com", display_name="Weight", password="weight-bench-1")
        db.session.remove()
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf_token": token, "email": "weight@example.com", "password": "weight-bench-1"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/courses").text).group(1)
    client.post("/courses/spanish-for-english-speakers/enroll", data={"csrf_token": token})
    page = client.get("/courses/spanish-for-english-speakers").text
    skill = re.search(r'/skills/(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    lesson_url = client.post(f"/skills/{skill}/lessons", data={"csrf_token": token}).headers["Location"]
    html = client.get(lesson_url, headers={"Accept-Encoding": "identity"}).data

    assets = re.findall(rb'<script src="([^"]+)"', html) + re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html)
    # ES modules pull in what they import: follow `import … from "./x.js"` one level, as the browser does.
    for url in list(assets):
        if url.endswith(b".js"):
            body = client.get(url.decode()).data
            for name in re.findall(rb'import [^;]*? from "\./([^"]+)"', body):
                imported = url.rsplit(b"/", 1)[0] + b"/" + name
                if imported not in assets:
                    assets.append(imported)
    print(f"lesson page {lesson_url}: {len(html):,} bytes of HTML ({len(gzip.compress(html)):,} gzip)")
    print(f"{'asset':<42}{'raw':>10}{'gzip':>10}{'brotli':>10}{'served br':>11}")
    totals = [0, 0, 0, 0]
    for url in assets:
        path = url.decode()
        raw = client.get(path, headers={"Accept-Encoding": "identity"}).data
        served = client.get(path, headers={"Accept-Encoding": "br, gzip"})
        sizes = [len(raw), len(gzip.compress(raw, 9)), len(brotli.compress(raw)), len(served.data)]
        totals = [a + b for a, b in zip(totals, sizes, strict=True)]
        encoding = served.headers.get("Content-Encoding", "none")
        print(f"{path:<42}{sizes[0]:>10,}{sizes[1]:>10,}{sizes[2]:>10,}{sizes[3]:>10,} ({encoding})")
    print(f"{'total JS + CSS':<42}{totals[0]:>10,}{totals[1]:>10,}{totals[2]:>10,}{totals[3]:>10,}")
    print(f"compressed JS + CSS as served: {totals[3] / 1024:.1f} KB (budget {BUDGET_KB} KB)")


if __name__ == "__main__":
    main()
