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
# The path without its query string, and no Referer: an OpenID Connect callback's query holds a one-time code
# (and the pages after it would carry it as their Referer).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(D)sus'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
