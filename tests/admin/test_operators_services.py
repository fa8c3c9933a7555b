"""The admin pages' actions are checked in the service layer: a learner calling them directly is refused."""

import pytest
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.core.errors import Forbidden
from puchi.notifications import services as notifications
from puchi.notifications.models import Delivery
from tests.accounts.mfa_support import enrol_totp


@pytest.fixture
def failed_send(app, make_user) -> int:
    ana = make_user("ana@example.com")
    with app.app_context(), action():
        row = Delivery(key="promoted:1:email", user_id=ana.id, channel="email", kind="promoted", status="failed",
                       attempts=4, last_error="SMTP 451")
        db.session.add(row)
        db.session.flush()
        delivery_id = row.id
    return delivery_id


def test_only_an_admin_reads_the_send_log_or_retries_a_send(app, make_user, failed_send):
    learner, admin = make_user("ben@example.com"), make_user("root@example.com", is_admin=True)
    enrol_totp(app, admin.id)  # admins must use MFA
    with app.app_context():
        ben = db.session.get(User, learner.id)
        with pytest.raises(Forbidden) as refused:
            notifications.delivery_log(ben, "failed")
        assert refused.value.code == "staff_only"
        with pytest.raises(Forbidden):
            notifications.retry_failed_delivery(ben, failed_send)
        assert db.session.scalar(select(Delivery.status).where(Delivery.id == failed_send)) == "failed"

        root = db.session.get(User, admin.id)
        rows, counts = notifications.delivery_log(root, "failed")
        assert [row.id for row in rows] == [failed_send] and counts["failed"] == 1
        assert notifications.retry_failed_delivery(root, failed_send) is True
        assert notifications.retry_failed_delivery(root, failed_send) is False  # not a failed send any more


def test_an_admin_without_a_second_factor_is_refused_by_the_services_too(app, make_user, failed_send):
    admin = make_user("root@example.com", is_admin=True)
    with app.app_context():
        with pytest.raises(Forbidden) as refused:
            notifications.delivery_log(db.session.get(User, admin.id), "failed")
        assert refused.value.code == "admin_needs_mfa"
