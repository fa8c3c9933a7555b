"""Roles: what each staff role may do, who may give roles, and that every change is on the record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.accounts.roles import CAPABILITIES, Capability, Role, role_of
from puchi.core.db import db
from puchi.core.errors import Conflict, Forbidden, Invalid, NotFound
from puchi.core.events import Event
from tests.accounts.mfa_support import enrol_totp


def test_an_editor_writes_content_support_looks_after_learners_and_an_admin_does_everything():
    assert CAPABILITIES[Role.LEARNER] == frozenset()
    assert CAPABILITIES[Role.EDITOR] == {Capability.CONTENT}
    assert CAPABILITIES[Role.SUPPORT] == {Capability.LEARNERS, Capability.MODERATION}
    assert CAPABILITIES[Role.ADMIN] == set(Capability)


def test_an_unknown_stored_role_counts_as_a_learner():
    assert role_of("superuser") is Role.LEARNER and role_of(None) is Role.LEARNER


def test_staff_need_the_capability_and_a_second_factor(app, make_user):
    editor = make_user("ed@example.com", role="editor")
    with app.app_context():
        editor = db.session.get(User, editor.id)
        with pytest.raises(Forbidden) as no_mfa:
            accounts.require_capability(editor, Capability.CONTENT)
        assert no_mfa.value.code == accounts.ADMIN_NEEDS_MFA
    enrol_totp(app, editor.id)
    with app.app_context():
        editor = db.session.get(User, editor.id)
        accounts.require_capability(editor, Capability.CONTENT)
        accounts.require_staff(editor)
        with pytest.raises(Forbidden) as not_theirs:
            accounts.require_capability(editor, Capability.LEARNERS)
        assert not_theirs.value.code == "staff_only"
        with pytest.raises(Forbidden) as not_admin:
            accounts.require_admin(editor)
        assert not_admin.value.code == "admin_only"


def test_a_learner_is_not_staff(app, make_user):
    learner = make_user("ana@example.com")
    with app.app_context():
        learner = db.session.get(User, learner.id)
        assert not learner.is_staff and not learner.is_admin
        with pytest.raises(Forbidden):
            accounts.require_staff(learner)


def test_an_admin_gives_a_role_and_the_change_is_recorded_with_the_actor(app, make_user):
    admin, ana = make_user("root@example.com", is_admin=True), make_user("ana@example.com")
    enrol_totp(app, admin.id)
    with app.app_context():
        actor = db.session.get(User, admin.id)
        accounts.set_role(actor, ana.id, "support")
        assert db.session.get(User, ana.id).role == "support"
        change = db.session.scalars(select(Event).where(Event.name == "user.role_changed")).one()
        assert (change.actor_id, change.subject_type, change.subject_id) == (admin.id, "user", ana.id)
        assert change.payload["before"] == "learner" and change.payload["after"] == "support"


def test_only_those_who_may_give_roles_can_and_nobody_changes_their_own(app, make_user):
    admin, support, ana = (make_user("root@example.com", is_admin=True), make_user("sue@example.com", role="support"),
                           make_user("ana@example.com"))
    enrol_totp(app, admin.id)
    enrol_totp(app, support.id)
    with app.app_context():
        with pytest.raises(Forbidden):
            accounts.set_role(db.session.get(User, support.id), ana.id, "admin")
        actor = db.session.get(User, admin.id)
        with pytest.raises(Conflict):
            accounts.set_role(actor, admin.id, "learner")
        with pytest.raises(Invalid):
            accounts.set_role(actor, ana.id, "owner")
        with pytest.raises(NotFound):
            accounts.set_role(actor, 987654, "editor")
        assert db.session.get(User, ana.id).role == "learner"
        assert db.session.scalar(select(Event.id).where(Event.name == "user.role_changed")) is None
