#!/usr/bin/env bash
# The serving half of scripts/run (after the set-up): migrate, load the demo data, and serve with gunicorn,
# the production server, on 127.0.0.1:$PORT (default 5000) with the embedded defaults. Emailed links point at
# that port unless PUCHI_BASE_URL says otherwise. tests/core/test_run.py starts this very file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT="${PORT:-5000}"
export FLASK_APP=puchi
export PUCHI_BASE_URL="${PUCHI_BASE_URL:-http://127.0.0.1:${PORT}}"
.venv/bin/flask puchi demo-data --migrate  # flask db upgrade, then the demo data
echo "==> Puchi on ${PUCHI_BASE_URL} (log in as learner@example.com / puchi-demo-1)"
# One worker process (with PUCHI_THREADS threads, gthread, so /ws works): without Redis the live sockets, the
# rate limits and the jobs run inline all live in that process. No worker process either: the web process
# itself closes league weeks and sends reminders and weekly reports (PUCHI_INLINE_CHORES). No control socket:
# gunicorn's default path is shared by every instance on the machine, and nothing here needs it.
export PUCHI_BIND="127.0.0.1:${PORT}" WEB_CONCURRENCY="${WEB_CONCURRENCY:-1}" PUCHI_INLINE_CHORES=1
exec .venv/bin/gunicorn -c gunicorn.conf.py --no-control-socket wsgi:app
