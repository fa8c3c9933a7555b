"""When sending fails, the worker retries with back-off, then lists the job as failed; nothing is lost."""

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.core.outbox import OutboxMessage
from tests.conftest import wait_until
from tests.services import free_port

pytestmark = pytest.mark.redis


@pytest.fixture
def app_settings(redis_server):
    return {"REDIS_URL": redis_server.url}


@pytest.fixture
def worker_env():
    return {"SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}  # nothing listens there: every send fails


def _message(app):
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        db.session.expunge_all()
        db.session.remove()
        return message


def test_a_send_that_keeps_failing_is_retried_then_listed_and_can_be_retried(app, client, auth, worker, mailbox):
    auth.sign_up("ana@example.com")

    failed = wait_until(lambda: (m := _message(app)) is not None and m.status == "failed" and m, timeout=30)
    assert failed, worker.log()
    assert failed.attempts == failed.max_attempts == 3  # the first try and two retries (1 s, 2 s)
    assert "ConnectionRefusedError" in failed.last_error

    runner = app.test_cli_runner()
    assert "accounts.verification_email" in runner.invoke(args=["puchi", "jobs", "failed"]).output
    assert mailbox.to("ana@example.com") == []

    # The operator repairs the mail server setting, restarts the worker and retries the job.
    worker.stop()
    worker.env["SMTP_URL"] = mailbox.url
    worker.start()
    assert "handed over again" in runner.invoke(args=["puchi", "jobs", "retry", str(failed.id)]).output
    assert len(mailbox.wait_for("ana@example.com", timeout=30)) == 1, worker.log()
    assert wait_until(lambda: _message(app).status == "done")
