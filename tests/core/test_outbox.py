"""The outbox: work for outside the database leaves only after its transaction commits, and runs once."""

import pytest
from sqlalchemy import select

from puchi import create_app
from puchi.accounts import services as accounts
from puchi.core import outbox
from puchi.core.db import action, db
from puchi.core.outbox import OutboxMessage
from tests.conftest import settings_for_tests

calls: list[dict] = []
gave_up: list[tuple[dict, str]] = []


def record_call(payload: dict) -> None:
    calls.append(payload)


def always_fails(payload: dict) -> None:
    raise ConnectionRefusedError("the mail server is down")


def greet_learner(payload: dict) -> None:
    """Loads the learner through accounts' public service, as a domain's handler does: NotFound once gone."""
    calls.append({"greeted": accounts.get_user(int(payload["user_id"])).id})


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()
    gave_up.clear()


@pytest.fixture(autouse=True)
def _test_handlers(app):
    """This module's jobs, added to the test's app as a domain's wiring adds its own."""
    outbox.add_handler(app, "test.record", record_call)
    outbox.add_handler(app, "test.always_fails", always_fails)
    outbox.add_handler(app, "test.greet_learner", greet_learner,
                       on_give_up=lambda payload, error: gave_up.append((payload, error)))


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


def test_a_refused_message_fails_at_once_with_its_code_and_is_never_retried(app, make_user, caplog):
    """A ServiceError is deterministic: the same payload would be refused the same way four more times."""
    learner = make_user()
    with app.app_context():
        with action():
            outbox.add("test.greet_learner", {"user_id": learner.id})
            outbox.add("test.greet_learner", {"user_id": learner.id + 1000})  # an account that is gone
        greeted, refused = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert (greeted.status, refused.status, refused.attempts) == ("done", "failed", 1)
        error = refused.last_error
        assert error.startswith("NotFound: not_found: ")
        assert [m.id for m in outbox.failed_messages()] == [refused.id]
        db.session.execute(OutboxMessage.__table__.update().values(next_attempt_at=refused.created_at))
        db.session.commit()
        assert outbox.relay_due() == 0  # a failed message is nobody's to pick up again
        assert outbox.run_message(refused.id) == "skipped"  # nor a duplicate delivery's
    assert calls == [{"greeted": learner.id}]
    assert gave_up == [({"user_id": learner.id + 1000}, error)]  # told at once, like after 4 tries
    assert "not_found" in caplog.text and "refused, not retried" in caplog.text  # the job log line


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


def test_two_apps_in_one_process_do_not_share_handlers(app, database_url, smtp_sink):
    other = create_app(settings_for_tests(database_url, smtp_sink.url))
    outbox.add_handler(other, "test.only_elsewhere", record_call)

    with app.app_context():
        with pytest.raises(LookupError, match="test.only_elsewhere"), action():
            outbox.add("test.only_elsewhere", {"n": 1})  # unknown to this app: refused when written
        assert db.session.scalar(select(OutboxMessage)) is None
    with other.app_context():
        with pytest.raises(LookupError, match="test.record"), action():
            outbox.add("test.record", {"n": 2})  # this test's app has it; the other does not
        with action():
            outbox.add("test.only_elsewhere", {"n": 3})
        db.session.remove()
        db.engine.dispose()
    assert calls == [{"n": 3}]
