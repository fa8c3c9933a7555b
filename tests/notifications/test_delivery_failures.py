"""Sends that fail are retried, then listed for an admin to retry; a worker killed mid-send still sends once."""

from datetime import date

import pytest
from sqlalchemy import select

from puchi.core import events
from puchi.core.db import action, db
from puchi.notifications.models import Delivery
from puchi.progress.events import LeaguePromoted
from tests.accounts.mfa_support import enrol_totp
from tests.conftest import post_form, wait_until
from tests.services import free_port

pytestmark = pytest.mark.redis


@pytest.fixture
def app_settings(redis_server):
    return {"REDIS_URL": redis_server.url}


def _promote(app, user_id: int) -> None:
    with app.app_context(), action():
        events.record(LeaguePromoted(from_tier=1, to_tier=2, rank=1, week_start=date.fromisoformat("2026-11-23")),
                      actor_id=user_id, subject=("league_cohort", 1))


def _delivery(app) -> Delivery | None:
    with app.app_context():
        row = db.session.scalar(select(Delivery))
        db.session.expunge_all()
        db.session.remove()
        return row


class TestAFailingMailServer:
    @pytest.fixture
    def worker_env(self):
        return {"SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}  # nothing listens there: every send fails

    def test_the_send_is_retried_then_listed_as_failed_and_an_admin_can_retry_it(self, app, make_user, logged_in,
                                                                                 worker, mailbox):
        ana = make_user("ana@example.com")
        _promote(app, ana.id)

        failed = wait_until(lambda: (d := _delivery(app)) is not None and d.status == "failed" and d, timeout=30)
        assert failed, worker.log()
        assert failed.attempts == 3  # the first try and two retries (1 s, 2 s)
        assert "ConnectionRefusedError" in failed.last_error

        admin, root = logged_in(email="root@example.com", is_admin=True)
        enrol_totp(app, root.id)  # administrators must have a second factor
        page = admin.get("/admin/deliveries").text
        assert "ConnectionRefusedError" in page and f"/admin/deliveries/{failed.id}/retry" in page
        learner, _ = logged_in()
        assert learner.get("/admin/deliveries").status_code == 403
        assert post_form(learner, "/home", {}, action=f"/admin/deliveries/{failed.id}/retry").status_code == 403

        # The operator mends the mail setting, restarts the worker and retries the send.
        worker.stop()
        worker.env["SMTP_URL"] = mailbox.url
        worker.start()
        assert post_form(admin, "/admin/deliveries", {}, action=f"/admin/deliveries/{failed.id}/retry",
                         follow_redirects=True).status_code == 200
        assert len(mailbox.wait_for("ana@example.com", timeout=30)) == 1, worker.log()
        sent = wait_until(lambda: (d := _delivery(app)).status == "sent" and d)
        assert sent and sent.attempts == 4
        assert f"/admin/deliveries/{failed.id}/retry" not in admin.get("/admin/deliveries").text  # none failed now


class TestAWorkerKilledMidSend:
    @pytest.fixture
    def worker_env(self):
        return {"PUCHI_OUTBOX_STALE_SECONDS": "2"}  # a dead worker's claim lapses quickly here

    def test_the_send_completes_exactly_once_after_the_restart(self, app, make_user, worker, mailbox):
        ben = make_user("ben@example.com")
        mailbox.hold_next_recipient(seconds=5)  # the mail server is slow to answer …
        _promote(app, ben.id)

        assert mailbox.holding.wait(30), worker.log()  # … the worker is in the middle of the SMTP exchange
        worker.kill()
        held = _delivery(app)
        assert (held.status, held.attempts) == ("sending", 1)
        assert mailbox.to("ben@example.com") == []

        worker.start()
        assert len(mailbox.wait_for("ben@example.com", timeout=30)) == 1, worker.log()
        done = wait_until(lambda: (d := _delivery(app)).status == "sent" and d)
        assert done and done.attempts == 2
        assert len(mailbox.wait_for("ben@example.com", count=2, timeout=4)) == 1  # and never a second time
