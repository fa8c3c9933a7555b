"""The admin's Learners section: search, a learner's page, and support's actions on an account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.errors import Conflict, Forbidden, Invalid
from puchi.core.events import Event
from tests.accounts.mfa_support import enrol_totp
from tests.conftest import AuthActions, link_in, post_form


def _user(app, user_id):
    return db.session.get(User, user_id)


def _events(name, subject_id):
    return list(db.session.scalars(select(Event).where(Event.name == name, Event.subject_id == subject_id)))


@pytest.fixture
def support(staff_client):
    return staff_client("support", display_name="Sam Support")


# --- Search ----------------------------------------------------------------------------------------------

def test_search_finds_names_and_emails_whatever_the_accents_and_capitals(app, make_user, support):
    client, _ = support
    zoe = make_user("zoe@example.com", display_name="Zoë Løvé")
    make_user("jose@example.com", display_name="José Núñez")
    make_user("ben@example.com", display_name="Ben")
    page = client.get("/admin/learners?q=ZOE")
    assert page.status_code == 200
    assert f'href="/admin/learners/{zoe.id}"' in page.text and "Ben" not in page.text
    assert "José Núñez" in client.get("/admin/learners?q=nunez").text
    assert "José Núñez" in client.get("/admin/learners?q=JOSE%40EXAMPLE").text
    assert "No account matches." in client.get("/admin/learners?q=100%25").text  # % is a character, not a wildcard


def test_search_is_paginated_by_id(app, make_user, support):
    client, staff = support
    ids = [make_user(f"pupil{n}@example.com", display_name=f"Pupil {n}").id for n in range(5)]
    with app.app_context():
        viewer = _user(app, staff.id)
        first = accounts.search_learners(viewer, "pupil", per_page=2)
        assert [u.id for u in first.users] == ids[::-1][:2] and first.next_before == ids[3]
        last = accounts.search_learners(viewer, "pupil", before=ids[1], per_page=2)
        assert [u.id for u in last.users] == [ids[0]] and last.next_before is None
    page = client.get(f"/admin/learners?q=pupil&before={ids[2]}")
    assert "Pupil 1" in page.text and "Pupil 3" not in page.text
    assert client.get("/admin/learners?q=pupil&before=abc").status_code == 200  # a bad cursor: the first page


def test_an_htmx_search_gets_only_the_results(support, make_user, htmx):
    client, _ = support
    make_user("zoe@example.com", display_name="Zoë")
    fragment = client.get("/admin/learners?q=zoe", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section class="card" id="learner-results"')


def test_a_learner_or_an_editor_cannot_search(app, make_user):
    learner, editor = make_user("ben@example.com"), make_user("ed@example.com", role="editor")
    enrol_totp(app, editor.id)
    with app.app_context():
        for who in (learner, editor):
            with pytest.raises(Forbidden):
                accounts.search_learners(_user(app, who.id), "")
            with pytest.raises(Forbidden):
                accounts.learner_for(_user(app, who.id), learner.id)


# --- The learner's page --------------------------------------------------------------------------------

def test_the_learner_page_shows_the_account_its_learning_and_its_devices(support, logged_in):
    client, _ = support
    _, ana = logged_in(email="ana@example.com", display_name="Ana")
    page = client.get(f"/admin/learners/{ana.id}")
    assert page.status_code == 200
    assert "ana@example.com" in page.text and "Free plan" in page.text
    assert "user.logged_in" in page.text  # recent events
    assert "Signed-in devices" in page.text and "None." not in page.text.split("Signed-in devices")[1][:200]
    assert client.get("/admin/learners/999999").status_code == 404


# --- Suspension ----------------------------------------------------------------------------------------

def test_a_suspended_learner_is_logged_out_everywhere_and_told_why_at_log_in(app, support, logged_in):
    client, staff = support
    ana_phone, ana = logged_in(email="ana@example.com", display_name="Ana")
    ana_laptop = app.test_client()
    assert AuthActions(ana_laptop).log_in("ana@example.com").status_code == 302
    refused = post_form(client, f"/admin/learners/{ana.id}", {"reason": "  "},
                        action=f"/admin/learners/{ana.id}/suspend")
    assert refused.status_code == 422 and "Say why" in refused.text
    done = post_form(client, f"/admin/learners/{ana.id}", {"reason": "Spam in messages"},
                     action=f"/admin/learners/{ana.id}/suspend")
    assert done.status_code == 302
    for device in (ana_phone, ana_laptop):
        assert device.get("/home").headers["Location"].startswith("/login")
    login = AuthActions(app.test_client()).log_in("ana@example.com")
    assert login.status_code == 422 and "Your account is suspended: Spam in messages." in login.text
    with app.app_context():
        (suspended,) = _events("user.suspended", ana.id)
        assert suspended.actor_id == staff.id and suspended.payload["sessions_ended"] == 2
    post_form(client, f"/admin/learners/{ana.id}", {}, action=f"/admin/learners/{ana.id}/restore")
    assert AuthActions(app.test_client()).log_in("ana@example.com").status_code == 302
    with app.app_context():
        assert [e.actor_id for e in _events("user.restored", ana.id)] == [staff.id]


def test_staff_never_act_on_themselves_and_support_never_on_an_admin(app, make_user, support):
    _, staff = support
    root = make_user("root@example.com", role="admin")
    with app.app_context():
        viewer = _user(app, staff.id)
        with pytest.raises(Conflict):
            accounts.suspend(viewer, staff.id, "no")
        with pytest.raises(Forbidden) as refused:
            accounts.suspend(viewer, root.id, "no")
        assert refused.value.code == "admin_target"
        with pytest.raises(Forbidden):
            accounts.force_password_reset(viewer, root.id)
        assert _user(app, root.id).suspended_at is None


def test_a_too_long_reason_is_refused(app, make_user, support):
    _, staff = support
    ana = make_user("ana@example.com")
    with app.app_context(), pytest.raises(Invalid):
        accounts.suspend(_user(app, staff.id), ana.id, "x" * 501)


# --- Verification, password reset, export, deletion, role ------------------------------------------------

def test_resend_verification_only_for_an_unverified_address(app, support, auth, mailbox):
    client, staff = support
    auth.sign_up(email="new@example.com", display_name="Nia")
    mailbox.wait_for("new@example.com")
    with app.app_context():
        nia = db.session.scalar(select(User).where(User.email == "new@example.com"))
    post_form(client, f"/admin/learners/{nia.id}", {}, action=f"/admin/learners/{nia.id}/verification")
    assert len(mailbox.wait_for("new@example.com", count=2)) == 2
    with app.app_context():
        assert [e.actor_id for e in _events("user.verification_resent", nia.id)] == [staff.id]


def test_a_forced_reset_stops_the_password_ends_sessions_and_emails_a_link(app, support, logged_in, mailbox):
    client, staff = support
    ana_client, ana = logged_in(email="ana@example.com")
    assert post_form(client, f"/admin/learners/{ana.id}", {},
                     action=f"/admin/learners/{ana.id}/password-reset").status_code == 302
    assert ana_client.get("/home").headers["Location"].startswith("/login")
    fresh = app.test_client()
    assert AuthActions(fresh).log_in("ana@example.com").status_code == 422  # the old password fails
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/reset-password/")
    reset = post_form(fresh, link, {"password": "a new long passphrase 42"})
    assert reset.status_code == 302
    assert AuthActions(app.test_client()).log_in("ana@example.com", "a new long passphrase 42").status_code == 302
    with app.app_context():
        assert [e.actor_id for e in _events("user.password_reset_forced", ana.id)] == [staff.id]


def test_gdpr_export_and_deletion_on_request_email_the_learner(app, support, make_user, mailbox):
    client, staff = support
    ana = make_user("ana@example.com")
    post_form(client, f"/admin/learners/{ana.id}", {}, action=f"/admin/learners/{ana.id}/export")
    refused = post_form(client, f"/admin/learners/{ana.id}", {"confirmation": "yes"},
                        action=f"/admin/learners/{ana.id}/delete")
    assert refused.status_code == 422 and "Type DELETE" in refused.text
    post_form(client, f"/admin/learners/{ana.id}", {"confirmation": "delete"},
              action=f"/admin/learners/{ana.id}/delete")
    assert len(mailbox.wait_for("ana@example.com", count=2)) == 2  # the export's link and the deletion notice
    with app.app_context():
        assert _user(app, ana.id).deletion_due_at is not None
        assert [e.actor_id for e in _events("user.data_export_requested", ana.id)] == [staff.id]
        assert [e.actor_id for e in _events("user.deletion_requested", ana.id)] == [staff.id]


def test_only_an_admin_changes_a_role(app, staff_client, make_user):
    admin, root = staff_client("admin")
    support_client, _ = staff_client("support")
    ana = make_user("ana@example.com")
    assert post_form(support_client, f"/admin/learners/{ana.id}", {"role": "editor"},
                     action=f"/admin/learners/{ana.id}/role").status_code == 403
    assert 'name="role"' not in support_client.get(f"/admin/learners/{ana.id}").text
    assert post_form(admin, f"/admin/learners/{ana.id}", {"role": "editor"},
                     action=f"/admin/learners/{ana.id}/role").status_code == 302
    with app.app_context():
        assert _user(app, ana.id).role == "editor"
        assert [e.actor_id for e in _events("user.role_changed", ana.id)] == [root.id]


def test_the_dashboard_links_learners_for_support_only(staff_client):
    support_client, _ = staff_client("support")
    editor, _ = staff_client("editor")
    assert 'href="/admin/learners"' in support_client.get("/admin/").text
    assert 'href="/admin/learners"' not in editor.get("/admin/").text
