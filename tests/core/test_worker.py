"""The job pipeline for real: outbox → Redis → RQ worker process → SMTP server."""

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.core.outbox import OutboxMessage
from tests.conftest import follow_email_link, link_in, wait_until

pytestmark = pytest.mark.redis


@pytest.fixture
def app_settings(redis_server):
    return {"REDIS_URL": redis_server.url, "RATELIMIT_STORAGE_URI": redis_server.url}


def _statuses(app):
    with app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status)).all()
        db.session.remove()
        return statuses


def test_a_real_worker_delivers_the_verification_email_and_its_link_works(app, client, auth, worker, mailbox):
    auth.sign_up("ana@example.com")

    messages = mailbox.wait_for("ana@example.com", timeout=30)
    assert len(messages) == 1, worker.log()
    assert messages[0]["Subject"] == "Confirm your email for Puchi"
    assert follow_email_link(client, link_in(messages[0], "/verify-email/")).status_code == 302
    assert wait_until(lambda: _statuses(app) == ["done"])


def test_with_redis_down_sign_up_succeeds_and_the_email_goes_out_once_redis_is_back(
        app, client, auth, worker, mailbox, redis_server):
    redis_server.stop()
    try:
        response = auth.sign_up("ana@example.com")
        assert response.status_code == 200
        assert "Check your email" in response.text
        assert _statuses(app) == ["pending"]
        assert mailbox.to("ana@example.com") == []
    finally:
        redis_server.start()

    assert len(mailbox.wait_for("ana@example.com", timeout=60)) == 1, worker.log()
    assert wait_until(lambda: _statuses(app) == ["done"])
    # Give a duplicate hand-over every chance to show up: there must be none.
    assert not wait_until(lambda: len(mailbox.to("ana@example.com")) > 1, timeout=3)


def test_rate_limits_are_kept_in_redis_when_it_is_configured(app, client, redis_server):
    from puchi.core.jobs import redis_connection

    client.get("/login")
    from tests.conftest import post_form

    post_form(client, "/login", {"email": "ana@example.com", "password": "x"})
    keys = redis_connection(redis_server.url).keys("*LIMIT*")
    assert keys, "the limiter wrote nothing to Redis"
