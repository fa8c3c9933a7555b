"""Moderation: learners report a profile or a message; support resolves the report from a queue; the content
is hidden, the reported learner warned or suspended, and the reporter told the outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from puchi.core.events import Event
from puchi.notifications.models import Notification
from puchi.social import moderation
from puchi.social.models import DirectMessage, Report
from tests.conftest import AuthActions, post_form
from tests.social.test_friends import ana_and_ben  # noqa: F401 - fixture


@pytest.fixture
def ben_wrote_to_ana(app, ana_and_ben):  # noqa: F811
    """Ana and Ben are friends; Ben wrote three messages to Ana, the second of them rude."""
    (ana_client, ana, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")
    for body in ("Hola", "You are stupid", "Bye"):
        assert post_form(ben_client, f"/messages/{ana_name}", {"body": body}).status_code == 302
    with app.app_context():
        rude = db.session.scalar(select(DirectMessage.id).where(DirectMessage.body == "You are stupid"))
    return ana_client, ana, ana_name, ben_client, ben, ben_name, rude


def _report_rude(ana_client, ben_name, rude, headers=None, **extra):
    return post_form(ana_client, f"/messages/{ben_name}", {"reason": "harassment", "note": "not nice",
                                                           "next": f"/messages/{ben_name}", **extra},
                     action=f"/messages/report/{rude}", headers=headers or {})


def _notifications(user_id, kind):
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                              Notification.kind == kind)))


def test_a_learner_reports_a_message_once_and_support_sees_it_in_context(app, ben_wrote_to_ana, staff_client):
    ana_client, ana, _, _, ben, ben_name, rude = ben_wrote_to_ana
    page = ana_client.get(f"/messages/{ben_name}").text
    assert f'action="/messages/report/{rude}"' in page and 'value="harassment"' in page
    assert _report_rude(ana_client, ben_name, rude).status_code == 302
    again = _report_rude(ana_client, ben_name, rude, element=f"report-message-{rude}")
    assert again.status_code == 302
    assert "You reported this already" in ana_client.get(f"/messages/{ben_name}").text
    with app.app_context():
        (report,) = db.session.scalars(select(Report))
        assert (report.reporter_id, report.reported_id, report.kind, report.note) == (ana.id, ben.id, "message",
                                                                                      "not nice")
        reported = db.session.scalar(select(Event).where(Event.name == "content.reported"))
        assert reported.actor_id == ana.id and reported.subject_id == ben.id
    support, _ = staff_client("support")
    queue = support.get("/admin/reports")
    assert queue.status_code == 200 and f"/admin/reports/{report.id}" in queue.text
    case = support.get(f"/admin/reports/{report.id}").text
    assert "Hola" in case and "You are stupid" in case and "Bye" in case and "not nice" in case


def test_an_htmx_report_replaces_the_form_with_the_answer(ben_wrote_to_ana):
    ana_client, _, _, _, _, ben_name, rude = ben_wrote_to_ana
    answer = _report_rude(ana_client, ben_name, rude, element=f"report-message-{rude}",
                          headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert answer.text.startswith(f'<p id="report-message-{rude}"') and "A moderator will look at it" in answer.text


def test_only_the_recipient_reports_a_message_and_a_reason_is_needed(app, ben_wrote_to_ana, logged_in):
    ana_client, ana, _, _, ben, ben_name, rude = ben_wrote_to_ana
    _, carl = logged_in(email="carl@example.com")
    with app.app_context():
        with pytest.raises(NotFound):
            moderation.report_message(db.session.get(User, carl.id), rude, "spam")
        with pytest.raises(NotFound):  # Ben wrote it: he cannot report his own message
            moderation.report_message(db.session.get(User, ben.id), rude, "spam")
        with pytest.raises(Invalid):
            moderation.report_message(db.session.get(User, ana.id), rude, "boring")
        with pytest.raises(Conflict):
            moderation.report_profile(db.session.get(User, ana.id), _username(ana.id), "spam")
    refused = _report_rude(ana_client, ben_name, rude, reason="")
    assert refused.status_code == 302 and "Choose a reason." in ana_client.get(f"/messages/{ben_name}").text


def _username(user_id):
    from puchi.social.models import SocialProfile
    return db.session.get(SocialProfile, user_id).username


@pytest.mark.parametrize("app_settings", [{"RATELIMIT_REPORTS": "2 per hour"}])
def test_reports_are_rate_limited(app, ben_wrote_to_ana, logged_in):
    _, ana, _, _, _, ben_name, rude = ben_wrote_to_ana
    with app.app_context():
        me = db.session.get(User, ana.id)
        moderation.report_message(me, rude, "spam")
        moderation.report_profile(me, ben_name, "spam")
        with pytest.raises(RateLimited):
            moderation.report_profile(me, ben_name, "other")


def test_support_hides_the_message_and_the_reporter_hears_of_action(app, ben_wrote_to_ana, staff_client):
    ana_client, ana, ana_name, ben_client, ben, ben_name, rude = ben_wrote_to_ana
    _report_rude(ana_client, ben_name, rude)
    support, sam = staff_client("support")
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    assert post_form(support, f"/admin/reports/{report_id}", {"action": "hide"},
                     action=f"/admin/reports/{report_id}/resolve").status_code == 302
    thread = ana_client.get(f"/messages/{ben_name}").text
    assert "You are stupid" not in thread and "hidden by the moderators" in thread and "Bye" in thread
    assert "You are stupid" in ben_client.get(f"/messages/{ana_name}").text  # the sender still sees what he wrote
    centre = ana_client.get("/notifications").text
    assert "We looked at it and took action." in centre and "Ben" not in centre.split("took action")[0][-200:]
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert (report.status, report.action, report.resolved_by_id) == ("actioned", "hide", sam.id)
        resolved = db.session.scalar(select(Event).where(Event.name == "report.resolved"))
        assert resolved.actor_id == sam.id
    assert post_form(support, f"/admin/reports/{report_id}", {"action": "hide"},
                     action=f"/admin/reports/{report_id}/resolve").status_code == 302  # already resolved: a note
    assert f"/admin/reports/{report_id}" not in support.get("/admin/reports").text


def test_dismiss_tells_the_reporter_no_action(app, ben_wrote_to_ana, staff_client):
    ana_client, ana, _, _, _, ben_name, rude = ben_wrote_to_ana
    _report_rude(ana_client, ben_name, rude)
    support, _ = staff_client("support")
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    post_form(support, "/admin/reports", {"action": "dismiss"}, action=f"/admin/reports/{report_id}/resolve")
    assert "took no action this time" in ana_client.get("/notifications").text
    assert "You are stupid" in ana_client.get(f"/messages/{ben_name}").text


def test_warn_notifies_and_emails_the_reported_learner(app, ben_wrote_to_ana, staff_client, mailbox):
    ana_client, _, _, _, ben, ben_name, rude = ben_wrote_to_ana
    _report_rude(ana_client, ben_name, rude)
    support, sam = staff_client("support")
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    post_form(support, "/admin/reports", {"action": "warn"}, action=f"/admin/reports/{report_id}/resolve")
    email = mailbox.wait_for("ben@example.com")[0]
    assert "A moderator warned you" in email.get_body(preferencelist=("plain",)).get_content()
    with app.app_context():
        assert len(_notifications(ben.id, "moderation_warning")) == 1
        warned = db.session.scalar(select(Event).where(Event.name == "learner.warned"))
        assert warned.actor_id == sam.id and warned.subject_id == ben.id


def test_suspend_from_a_report_needs_a_reason_and_logs_the_learner_out(app, ben_wrote_to_ana, staff_client):
    ana_client, _, ana_name, ben_client, ben, ben_name, rude = ben_wrote_to_ana
    _report_rude(ana_client, ben_name, rude)
    support, _ = staff_client("support")
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    refused = post_form(support, "/admin/reports", {"action": "suspend", "reason": ""},
                        action=f"/admin/reports/{report_id}/resolve")
    assert refused.status_code == 422 and "Say why" in refused.text
    post_form(support, "/admin/reports", {"action": "suspend", "reason": "Harassment"},
              action=f"/admin/reports/{report_id}/resolve")
    assert ben_client.get("/home").headers["Location"].startswith("/login")
    assert "suspended: Harassment" in AuthActions(app.test_client()).log_in("ben@example.com").text
    assert "took action" in ana_client.get("/notifications").text


def test_learners_cannot_moderate_a_profile_report(app, ana_and_ben, staff_client):  # noqa: F811
    (ana_client, ana, _), (_, ben, ben_name) = ana_and_ben
    profile = ana_client.get(f"/u/{ben_name}").text
    assert f'action="/u/{ben_name}/report"' in profile
    post_form(ana_client, f"/u/{ben_name}", {"reason": "impersonation"}, action=f"/u/{ben_name}/report")
    support, _ = staff_client("support")
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
        with pytest.raises(Forbidden):
            moderation.resolve(db.session.get(User, ana.id), report_id, "dismiss")
        with pytest.raises(Forbidden):
            moderation.open_reports(db.session.get(User, ana.id))
    # hiding a profile: tests/admin/test_profile_hiding.py
    assert "Hide the profile" in support.get(f"/admin/reports/{report_id}").text


def test_the_dashboard_links_reports_for_moderators(staff_client):
    support, _ = staff_client("support")
    editor, _ = staff_client("editor")
    assert 'href="/admin/reports"' in support.get("/admin/").text
    assert 'href="/admin/reports"' not in editor.get("/admin/").text
