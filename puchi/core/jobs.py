"""The job queue: RQ with the JSON serializer when Redis is configured, inline execution otherwise."""

from __future__ import annotations

import logging
from functools import cache

from flask import current_app
from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from puchi.core.db import db

log = logging.getLogger(__name__)

QUEUE_NAME = "default"


@cache
def redis_connection(url: str) -> Redis:
    # Short timeouts: a request must not hang on a Redis outage, it must fall back to the outbox relay.
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=15)


def queue_available() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def get_queue() -> Queue:
    return Queue(QUEUE_NAME, connection=redis_connection(current_app.config["REDIS_URL"]),
                 serializer=JSONSerializer)


def enqueue_message(message_id: int) -> None:
    """Put one outbox message on the RQ queue, with retries on the configured back-off (taken only by
    failures that may pass: a refused message ends its job at once, see :func:`outbox.run_message`)."""
    intervals = current_app.config["JOB_RETRY_INTERVALS"]
    get_queue().enqueue_call(
        "puchi.core.jobs.perform_outbox_message",
        args=(message_id,),
        job_id=f"outbox-{message_id}",
        timeout=current_app.config["JOB_TIMEOUT"],
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        failure_ttl=60 * 60 * 24 * 14,
        result_ttl=60 * 60,
        description=f"outbox message {message_id}",
    )


def perform_outbox_message(message_id: int) -> str:
    """The RQ job: run one outbox message in the worker's app context."""
    from puchi.core import outbox

    try:
        return outbox.run_message(message_id)
    finally:
        db.session.remove()
