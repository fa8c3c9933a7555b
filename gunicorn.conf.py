"""gunicorn settings for the web process; each is overridable from the environment."""

import os

bind = os.environ.get("PUCHI_BIND", "0.0.0.0:8000")
# gthread: flask-sock holds a thread per open WebSocket, so size threads for the live sockets expected.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("PUCHI_THREADS", "16"))
graceful_timeout = int(os.environ.get("PUCHI_GRACEFUL_TIMEOUT", "10"))
timeout = 30
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
