"""The job worker: ``python worker.py`` runs RQ (JSON serializer, with scheduler) plus the outbox relay.

The relay thread hands over outbox messages that never reached Redis (an outage) or whose worker
died, so nothing written to the outbox is lost, and runs the every-minute chores (league weeks, reminders,
weekly reports; see puchi/core/periodic.py). When Redis goes away the worker waits and reconnects.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from puchi import create_app
from puchi.core import periodic
from puchi.core.jobs import QUEUE_NAME, redis_connection

log = logging.getLogger("puchi.worker")
stopping = threading.Event()


def main() -> None:
    app = create_app()
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("REDIS_URL is not set: without Redis, jobs run inline in the web process.")
    threading.Thread(target=periodic.relay_and_chores_forever, daemon=True, name="outbox-relay",
                     args=(app, stopping, app.config["RELAY_INTERVAL"], app.config["CHORES_EVERY"])).start()

    def stop(signum, frame):  # noqa: ARG001 - signal handler signature
        stopping.set()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    backoff = 1.0
    with app.app_context():
        while not stopping.is_set():
            try:
                # SimpleWorker runs jobs in this process, which holds the app context and its DB pool.
                worker = SimpleWorker(
                    [QUEUE_NAME],
                    connection=redis_connection(redis_url),
                    serializer=JSONSerializer,
                    worker_ttl=int(os.environ.get("PUCHI_WORKER_TTL", "60")),
                    maintenance_interval=int(os.environ.get("PUCHI_MAINTENANCE_INTERVAL", "10")),
                )
                worker.work(with_scheduler=True, logging_level="INFO")
                return
            except (RedisConnectionError, RedisTimeoutError):
                log.warning("Redis is unreachable; retrying in %.0fs", backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30)


if __name__ == "__main__":
    main()
