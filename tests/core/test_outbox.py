"""The outbox: work for outside the database leaves only after its transaction commits, and runs once."""

import pytest
from sqlalchemy import select

from puchi.core import outbox
from puchi.core.db import action, db
from puchi.core.outbox import OutboxMessage

calls: list[dict] = []


@outbox.handler("test.record")
def record_call(payload: dict) -> None:
    calls.append(payload)


@outbox.handler("test.always_fails")
def always_fails(payload: dict) -> None:
    raise ConnectionRefusedError("the mail server is down")


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


class Refused(Exception):
    pass


def test_without_redis_a_message_runs_inline_right_after_commit(app):
    with app.app_context():
        with action():
            outbox.add("test.record", {"n": 1})
            assert calls == []  # nothing leaves before the commit
        assert calls == [{"n": 1}]
        message = db.session.scalar(select(OutboxMessage))
        assert (message.status, message.attempts) == ("done", 1)


def test_a_rolled_back_change_sends_nothing(app):
    with app.app_context():
        with pytest.raises(Refused), action():
            outbox.add("test.record", {"n": 1})
            raise Refused
        assert calls == []
        assert db.session.scalar(select(OutboxMessage)) is None


def test_a_message_delivered_twice_runs_once(app):
    with app.app_context():
        message = OutboxMessage(job="test.record", payload={"n": 2})
        db.session.add(message)
        db.session.commit()
        assert outbox.run_message(message.id) == "done"
        assert outbox.run_message(message.id) == "skipped"
        assert calls == [{"n": 2}]


def test_a_failing_message_is_retried_with_backoff_then_listed_as_failed(app):
    with app.app_context():
        with action():  # inline: the first attempt fails after the commit, and the action is not disturbed
            outbox.add("test.always_fails", {})
        message = db.session.scalar(select(OutboxMessage))
        assert (message.status, message.attempts) == ("pending", 1)
        assert "the mail server is down" in message.last_error
        assert message.next_attempt_at > message.created_at

        for _ in range(message.max_attempts - 1):
            with pytest.raises(ConnectionRefusedError):
                db.session.execute(
                    OutboxMessage.__table__.update().values(next_attempt_at=message.created_at))
                db.session.commit()
                outbox.run_message(message.id)
        db.session.refresh(message)
        assert message.status == "failed"
        assert [m.id for m in outbox.failed_messages()] == [message.id]
        assert outbox.run_message(message.id) == "skipped"


def test_a_failed_message_can_be_retried_by_an_operator(app):
    with app.app_context():
        message = OutboxMessage(job="test.record", payload={"n": 3}, status="failed", attempts=4)
        db.session.add(message)
        db.session.commit()
        assert outbox.retry_failed(message.id)
        assert calls == [{"n": 3}]
        assert not outbox.retry_failed(message.id)


def test_the_relay_picks_up_messages_whose_worker_died(app):
    from datetime import timedelta

    from puchi.core.db import now

    with app.app_context():
        long_ago = now() - timedelta(hours=1)
        message = OutboxMessage(job="test.record", payload={"n": 4}, status="running", attempts=1,
                                claimed_at=long_ago, next_attempt_at=long_ago)
        db.session.add(message)
        db.session.commit()
        assert outbox.relay_due() == 1
        assert calls == [{"n": 4}]


def test_jobs_cli_lists_and_retries_failed_messages(app):
    with app.app_context():
        message = OutboxMessage(job="test.record", payload={"n": 5}, status="failed", attempts=4,
                                last_error="SMTPServerDisconnected: gone")
        db.session.add(message)
        db.session.commit()
        message_id = message.id
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["puchi", "jobs", "failed"])
    assert f"{message_id}\ttest.record" in listing.output
    assert "SMTPServerDisconnected" in listing.output
    assert "handed over again" in runner.invoke(args=["puchi", "jobs", "retry", str(message_id)]).output
    assert calls == [{"n": 5}]
    assert runner.invoke(args=["puchi", "jobs", "failed"]).output.strip() == "no failed jobs"
