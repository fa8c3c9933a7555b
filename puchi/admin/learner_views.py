"""The admin's Learners section: find an account by name or email, see it whole (courses, progress, streak,
subscription, devices, recent events) and act on it. Each action is one accounts service, which checks the
staff member's capability and records an event with them as actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.admin.gate import staff_only
from puchi.billing import services as billing
from puchi.core.db import db
from puchi.core.errors import Invalid
from puchi.core.htmx import render_page
from puchi.core.inputs import parse_int
from puchi.learning import services as learning
from puchi.progress import services as progress

bp = Blueprint("admin_learners", __name__, url_prefix="/admin")
bp.before_request(staff_only)

MAX_ID = 2**62
MAX_COURSES_SHOWN = 20


def _viewer() -> User:
    return current_user._get_current_object()


@bp.get("/learners")
def learners() -> ResponseReturnValue:
    text = (request.args.get("q") or "")[:accounts.MAX_QUERY_LENGTH]
    before = parse_int(request.args.get("before"), minimum=1, maximum=MAX_ID)
    page = accounts.search_learners(_viewer(), text, before=before)
    return render_page("admin/learners.html", "learner_results", q=text, page=page)


@dataclass(frozen=True)
class LearnerView:
    """Everything the learner's page shows, gathered from each domain's query functions."""

    user: User
    courses: list[Any]
    counts: learning.LearnerCounts
    progress: progress.ProgressSummary
    entitlements: billing.Entitlements
    sessions: list[Any]
    events: list[Any]


def _learner_view(user_id: int) -> LearnerView:
    viewer = _viewer()
    user = accounts.learner_for(viewer, user_id)  # checks the capability first
    courses = list(db.session.scalars(learning.enrolled_courses(user.id).limit(MAX_COURSES_SHOWN)))
    return LearnerView(user=user, courses=courses, counts=learning.counts_for(user.id),
                       progress=progress.summary_of(user.id), entitlements=billing.entitlements(user),
                       sessions=accounts.learner_sessions(viewer, user.id),
                       events=accounts.recent_events_of(viewer, user.id))


def _learner_page(user_id: int, *, status: int = 200, errors: dict[str, list[str]] | None = None,
                  reason: str = "") -> ResponseReturnValue:
    viewer = _viewer()
    return render_page("admin/learner.html", status=status, view=_learner_view(user_id), errors=errors or {},
                       reason=reason, roles=[role.value for role in accounts.Role],
                       capabilities=accounts.capabilities_of(viewer), Capability=accounts.Capability,
                       viewer=viewer)


@bp.get("/learners/<int:user_id>")
def learner(user_id: int) -> ResponseReturnValue:
    return _learner_page(user_id)


def _done(user_id: int, message: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(url_for("admin_learners.learner", user_id=user_id))


@bp.post("/learners/<int:user_id>/role")
def change_role(user_id: int) -> ResponseReturnValue:
    try:
        accounts.set_role(_viewer(), user_id, request.form.get("role", ""))
    except Invalid as error:
        return _learner_page(user_id, status=422, errors=error.fields)
    return _done(user_id, _("Role saved."))


@bp.post("/learners/<int:user_id>/suspend")
def suspend(user_id: int) -> ResponseReturnValue:
    reason = request.form.get("reason", "")
    try:
        accounts.suspend(_viewer(), user_id, reason)
    except Invalid as error:
        return _learner_page(user_id, status=422, errors=error.fields, reason=reason)
    return _done(user_id, _("The account is suspended and signed out everywhere."))


@bp.post("/learners/<int:user_id>/restore")
def restore(user_id: int) -> ResponseReturnValue:
    accounts.restore(_viewer(), user_id)
    return _done(user_id, _("The account can log in again."))


@bp.post("/learners/<int:user_id>/profile/unhide")
def unhide_profile(user_id: int) -> ResponseReturnValue:
    accounts.unhide_profile(_viewer(), user_id)
    return _done(user_id, _("Other learners see this profile again."))


@bp.post("/learners/<int:user_id>/verification")
def resend_verification(user_id: int) -> ResponseReturnValue:
    if accounts.staff_resend_verification(_viewer(), user_id):
        return _done(user_id, _("A new verification link is on its way."))
    return _done(user_id, _("The address is already verified."))


@bp.post("/learners/<int:user_id>/password-reset")
def force_password_reset(user_id: int) -> ResponseReturnValue:
    accounts.force_password_reset(_viewer(), user_id)
    return _done(user_id, _("The password no longer works; a reset link was emailed."))


@bp.post("/learners/<int:user_id>/export")
def request_export(user_id: int) -> ResponseReturnValue:
    accounts.staff_request_export(_viewer(), user_id)
    return _done(user_id, _("The export is being prepared; the learner gets a link by email."))


@bp.post("/learners/<int:user_id>/delete")
def request_deletion(user_id: int) -> ResponseReturnValue:
    try:
        accounts.staff_request_deletion(_viewer(), user_id, request.form.get("confirmation", ""))
    except Invalid as error:
        return _learner_page(user_id, status=422, errors=error.fields)
    return _done(user_id, _("Deletion scheduled; the learner was emailed and can still cancel."))
