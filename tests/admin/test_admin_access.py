"""Every admin route, asked by a visitor, a learner, each staff role and an admin without a second factor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.learning.models import Course
from puchi.notifications.models import Delivery
from puchi.social import moderation
from puchi.social import services as social
from puchi.social.models import Report
from tests.admin.access_table import ADMIN_ACCESS, ADMIN_WITHOUT_MFA, ANONYMOUS, WHO
from tests.conftest import post_form
from tests.learning.conftest import spanish  # noqa: F401 - the studio's routes need a course


@dataclass
class StaffWorld:
    values: dict[str, str]  # URL placeholder → a real value
    clients: dict[str, Any]


@pytest.fixture
def staff_world(app, client, logged_in, staff_client, make_user, spanish) -> StaffWorld:  # noqa: F811 - the fixture
    learner_client, learner = logged_in(email="ana@example.com", display_name="Ana")
    editor, _ = staff_client("editor")
    support, _ = staff_client("support")
    admin, _ = staff_client("admin")
    admin_without_mfa, _ = logged_in(email="root@example.com", display_name="Root", is_admin=True)
    with app.app_context(), action():
        failed = Delivery(key="access:email", user_id=learner.id, channel="email", kind="streak_reminder",
                          status="failed", attempts=4, last_error="SMTP 451")
        db.session.add(failed)
        db.session.flush()
        delivery_id = failed.id
        db.session.add(Course(slug="access-course", title="Access", target_language="es",
                              target_language_name="Spanish", source_language="en", source_language_name="English"))
        course_id = db.session.scalar(select(Course.id).where(Course.slug == spanish))
    with app.app_context():
        reporter = make_user("rita@example.com", display_name="Rita")
        report_id = _a_report(app, reporter.id, learner.id)
    values = {"<int:delivery_id>": str(delivery_id), "<int:user_id>": str(learner.id),
              "<int:report_id>": str(report_id), "<section>": "retention", "<table>": "streaks",
              "<slug>": "access-course", "<int:item_id>": "1",
              "<int:course_id>": str(course_id), "<int:index>": "0"}
    clients = dict(zip(WHO, (client, learner_client, editor, support, admin, admin_without_mfa), strict=True))
    return StaffWorld(values=values, clients=clients)


def _a_report(app, reporter_id: int, reported_id: int) -> int:
    """Rita reports Ana's profile (an open report for the moderation routes)."""
    reporter, reported = db.session.get(User, reporter_id), db.session.get(User, reported_id)
    assert moderation.report_profile(reporter, social.profile_of(reported).username, "spam")
    return db.session.scalar(select(Report.id).where(Report.reporter_id == reporter_id))


# In the studio's routes, <slug> is a skill's (of the Spanish course).
STUDIO_VALUES = {"<slug>": "greetings", "<int:revision_id>": "1"}


def _url(world: StaffWorld, rule: str) -> str:
    values = {**world.values, **STUDIO_VALUES} if rule.startswith("/admin/studio/") else world.values
    for placeholder, value in values.items():
        rule = rule.replace(placeholder, value)
    assert "<" not in rule, f"give {rule} a value in staff_world"
    return rule


def _answers(world: StaffWorld, method: str, rule: str) -> dict[str, int]:
    """The status each visitor gets for ``method rule``, with the checks every answer must pass."""
    url = _url(world, rule)
    seen = {}
    for who in WHO:
        client = world.clients[who]
        response = client.get(url) if method == "GET" else post_form(client, "/forgot-password", {}, action=url)
        seen[who] = response.status_code
        assert response.status_code < 500, (rule, response.text[:500])
        if response.status_code == 302 and who == ANONYMOUS:
            assert response.headers["Location"].startswith("/login"), rule
        if response.status_code == 302 and who == ADMIN_WITHOUT_MFA:
            assert response.headers["Location"] == "/account/security/required", rule
    return seen


def _expected(method: str, rule: str) -> dict[str, int]:
    return dict(zip(WHO, ADMIN_ACCESS[(method, rule)], strict=True))


# Pages change nothing (a fixture fails any test whose GET wrote), so one world serves them all.
def test_every_admin_page_answers_each_role_as_the_table_says(staff_world):
    pages = sorted(rule for method, rule in ADMIN_ACCESS if method == "GET")
    wrong = {rule: (seen, expected) for rule in pages
             if (seen := _answers(staff_world, "GET", rule)) != (expected := _expected("GET", rule))}
    assert wrong == {}, "\n".join(f"GET {rule}: got {seen}, want {want}" for rule, (seen, want) in wrong.items())


# An action may change the world: a world for each.
@pytest.mark.parametrize(("method", "rule"), sorted(rule for rule in ADMIN_ACCESS if rule[0] != "GET"))
def test_admin_action_access(staff_world, method, rule):
    assert _answers(staff_world, method, rule) == _expected(method, rule)


def test_the_navigation_shows_the_admin_link_to_staff_only(staff_world):
    learner, editor = staff_world.clients["learner"], staff_world.clients["editor"]
    assert 'href="/admin/"' not in learner.get("/home").text
    assert 'href="/admin/"' in editor.get("/home").text


def test_each_role_sees_only_the_sections_it_may_open(staff_world):
    editor_page = staff_world.clients["editor"].get("/admin/").text
    admin_page = staff_world.clients["admin"].get("/admin/").text
    assert "/admin/deliveries" not in editor_page and "/admin/billing" not in editor_page
    assert "/admin/deliveries" in admin_page and "/admin/billing" in admin_page


def test_the_failed_send_exists_for_the_retry_rows(app, staff_world):
    with app.app_context():
        assert db.session.scalar(select(Delivery.status).where(Delivery.key == "access:email")) == "failed"
