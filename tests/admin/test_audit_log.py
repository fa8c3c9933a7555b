"""The audit log: the events table filtered by actor, type, subject and time, paged by keyset, exported as
safe CSV, and never changed through the admin area; admin actions carry their actor."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from puchi.accounts import audit
from puchi.accounts import services as accounts
from puchi.accounts.events import RoleChanged
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.core.errors import Forbidden
from puchi.core.events import Event, EventFilter
from puchi.notifications import services as notifications
from puchi.notifications.models import Delivery
from tests.accounts.mfa_support import enrol_totp
from tests.conftest import post_form


@pytest.fixture
def log(app, make_user):
    """An admin (MFA on), an editor, a learner, and events by each of them on known subjects and days."""
    root = make_user("root@example.com", role="admin")
    enrol_totp(app, root.id)
    editor = make_user("eddie@example.com", role="editor")
    enrol_totp(app, editor.id)
    ana = make_user("ana@example.com")
    with app.app_context(), action():
        db.session.execute(update(Event).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        for day in range(5):
            row = events.record(RoleChanged(before="learner", after=f"step{day}"), actor_id=root.id,
                                subject=("user", ana.id))
            row.created_at = datetime(2026, 3, 1 + day, 12, tzinfo=UTC)
        danger = events.record(RoleChanged(before="=HYPERLINK(\"http://evil\")", after="+1"), actor_id=editor.id,
                               subject=("course", 7))
        danger.created_at = datetime(2026, 3, 10, tzinfo=UTC)
    return {"root": root.id, "editor": editor.id, "ana": ana.id}


def _as(user_id):
    return db.session.get(User, user_id)


def test_filters_by_actor_type_subject_and_time(app, log):
    with app.app_context():
        root = _as(log["root"])
        by_email = audit.audit_page(root, EventFilter(name_prefix="user.role_changed"), actor="ROOT@example.com")
        assert {r.actor_id for r in by_email.rows} == {log["root"]} and len(by_email.rows) == 5
        assert by_email.actors == {log["root"]: "root@example.com"}
        by_id = audit.audit_page(root, EventFilter(name_prefix="user.role_changed"), actor=str(log["editor"]))
        assert [r.subject_type for r in by_id.rows] == ["course"]
        nobody = audit.audit_page(root, EventFilter(), actor="ghost@example.com")
        assert nobody.unknown_actor and nobody.rows == []

        prefix = audit.audit_page(root, EventFilter(name_prefix="user.role"))
        assert len(prefix.rows) == 6 and all(r.name == "user.role_changed" for r in prefix.rows)
        assert audit.audit_page(root, EventFilter(name_prefix="user_role")).rows == []  # _ is not a wildcard

        subject = audit.audit_page(root, EventFilter(subject_type="course", subject_id=7))
        assert [r.actor_id for r in subject.rows] == [log["editor"]]

        window = audit.audit_page(root, EventFilter(start=datetime(2026, 3, 2, tzinfo=UTC),
                                                    end=datetime(2026, 3, 4, tzinfo=UTC)))
        assert sorted(r.payload["after"] for r in window.rows) == ["step1", "step2"]


def test_pages_by_keyset_newest_first(app, log):
    with app.app_context():
        root = _as(log["root"])
        where = EventFilter(actor_id=log["root"], name_prefix="user.role_changed")
        first = audit.audit_page(root, where, limit=2)
        assert first.next_before == first.rows[-1].id
        second = audit.audit_page(root, where, before_id=first.next_before, limit=2)
        third = audit.audit_page(root, where, before_id=second.next_before, limit=2)
        ids = [r.id for r in first.rows + second.rows + third.rows]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5 and third.next_before is None


def test_only_those_with_the_audit_capability_read_it(app, log):
    with app.app_context():
        for who in ("editor", "ana"):
            with pytest.raises(Forbidden):
                audit.audit_page(_as(log[who]), EventFilter())
            with pytest.raises(Forbidden):
                audit.audit_csv(_as(log[who]), EventFilter())


def test_csv_cells_cannot_run_as_formulas():
    assert [audit.safe_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "plain", None, 3)] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "plain", "", "3"]


def test_the_csv_export_streams_the_filtered_rows_safely(staff_client, log):
    client, _ = staff_client("admin", email="boss@example.com")
    response = client.get("/admin/audit.csv?subject_type=course")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(audit.CSV_HEADER)
    assert len(rows) == 2
    assert rows[1][2] == "user.role_changed" and rows[1][4] == "eddie@example.com"
    assert rows[1][7].startswith("{") and "HYPERLINK" in rows[1][7]  # JSON payload: starts with {, kept as is


def test_the_export_is_bounded(app, log):
    with app.app_context():
        lines = list(audit.audit_csv(_as(log["root"]), EventFilter(), max_rows=3))
    assert len(lines) == 1 + 3


def test_the_page_shows_filters_and_rows(staff_client, log):
    client, _ = staff_client("admin", email="boss@example.com")
    page = client.get("/admin/audit?actor=eddie@example.com&start=2026-03-01&end=2026-03-31&subject_id=x")
    assert page.status_code == 200
    assert "user.role_changed" in page.text and "eddie@example.com" in page.text
    assert 'value="eddie@example.com"' in page.text
    assert client.get("/admin/audit?start=not-a-date&before=%C2%B2").status_code == 200
    assert "/admin/audit" in client.get("/admin/").text


def test_nothing_in_the_admin_area_writes_to_the_log(app):
    """Read-only: the audit routes answer GET only, and no admin route's name speaks of editing events."""
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin/audit")]
    assert rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


def test_the_audit_routes_refuse_writes(staff_client, log, app):
    client, _ = staff_client("admin", email="boss@example.com")
    with app.app_context():
        before = db.session.scalar(select(func.count(Event.id)))
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/admin/audit").status_code in (400, 405)
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == before


def test_admin_actions_record_their_actor(app, make_user, log):
    with app.app_context(), action():
        failed = Delivery(key="audit:email", user_id=log["ana"], channel="email", kind="streak_reminder",
                          status="failed", attempts=4)
        db.session.add(failed)
        db.session.flush()
        delivery_id = failed.id
    with app.app_context():
        assert notifications.retry_failed_delivery(_as(log["root"]), delivery_id)
        accounts.set_role(_as(log["root"]), log["ana"], "support")
        rows = audit.audit_page(_as(log["root"]), EventFilter(start=datetime.now(UTC) - timedelta(minutes=5))).rows
        by_name = {r.name: r for r in rows}
        retried = by_name["notification.delivery_retried"]
        assert (retried.actor_id, retried.subject_type, retried.subject_id) == (log["root"], "delivery", delivery_id)
        assert by_name["user.role_changed"].actor_id == log["root"]


def test_a_retry_through_the_page_is_in_the_log(app, staff_client, make_user):
    client, admin = staff_client("admin", email="boss@example.com")
    ana = make_user("ana@example.com")
    with app.app_context(), action():
        failed = Delivery(key="page:email", user_id=ana.id, channel="email", kind="streak_reminder",
                          status="failed", attempts=4)
        db.session.add(failed)
        db.session.flush()
        delivery_id = failed.id
    post_form(client, "/admin/deliveries?status=failed", {}, action=f"/admin/deliveries/{delivery_id}/retry")
    page = client.get(f"/admin/audit?type=notification.&subject_type=delivery&subject_id={delivery_id}")
    assert "notification.delivery_retried" in page.text and "boss@example.com" in page.text
