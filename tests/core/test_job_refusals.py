"""Through RQ, a refused outbox message ends its job at once; a failure that may pass is retried."""

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from puchi.accounts import services as accounts
from puchi.core import jobs, outbox
from puchi.core.db import action, db
from puchi.core.outbox import OutboxMessage

pytestmark = pytest.mark.redis


@pytest.fixture
def app_settings(redis_server):
    return {"REDIS_URL": redis_server.url}


def welcome_back(payload: dict) -> None:
    """As a domain's handler does: load by id through the owner's service (NotFound once the account is gone),
    then reach outside (here a server that is down)."""
    accounts.get_user(int(payload["user_id"]))
    raise ConnectionRefusedError("the mail server is down")


def _run_queue_once(app) -> None:
    """A real RQ worker, in this process (where the test's handler is registered), until the queue is empty."""
    queue = jobs.get_queue()
    SimpleWorker([queue], connection=queue.connection, serializer=queue.serializer).work(burst=True)


def test_a_refused_message_ends_its_rq_job_without_a_retry_while_a_failed_send_is_retried(app, make_user):
    learner = make_user()
    outbox.add_handler(app, "test.welcome_back", welcome_back)
    with app.app_context():
        with action():
            outbox.add("test.welcome_back", {"user_id": learner.id + 1000})  # gone: refused
            outbox.add("test.welcome_back", {"user_id": learner.id})  # the mail server: may work later
        _run_queue_once(app)

        refused, failed = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert (refused.status, refused.attempts) == ("failed", 1)
        assert refused.last_error.startswith("NotFound: not_found: ")
        assert (failed.status, failed.attempts) == ("pending", 1)

        queue = jobs.get_queue()
        refused_job, failed_job = (queue.fetch_job(f"outbox-{m.id}") for m in (refused, failed))
        assert refused_job.get_status() == "finished" and refused_job.return_value() == "failed"
        assert queue.scheduled_job_registry.get_job_ids() == [failed_job.id]  # only the send waits for a retry
