"""People: search, profiles, following and blocking, and the learner's social settings."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from puchi.core.db import now
from puchi.core.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, ServiceError
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page, wants_fragment
from puchi.core.inputs import MAX_INT32, parse_int
from puchi.core.redirects import safe_next
from puchi.progress import services as progress
from puchi.social import feed as feeds
from puchi.social import messages as dm
from puchi.social import moderation, nudges, services
from puchi.social.models import VISIBILITIES

bp = Blueprint("social", __name__)


class MessageForm(FlaskForm):
    body = StringField()


class SocialSettingsForm(FlaskForm):
    username = StringField()
    visibility = StringField()


def _user():
    return current_user._get_current_object()


@bp.get("/people")
@login_required
def people() -> ResponseReturnValue:
    query = request.args.get("q", "")[:50]
    me = services.my_profile(_user())
    return render_page("social/people.html", "people_results", query=query, me=me,
                       results=services.search_people(_user(), query) if query.strip() else [],
                       friends=services.following(_user(), _user().id))


@bp.get("/u/<username>")
@login_required
def profile(username: str) -> ResponseReturnValue:
    view = services.profile_view(_user(), username)
    friends = view.i_follow and view.follows_me and not view.blocked_by_me
    return render_page("social/profile.html", view=view, report_reasons=moderation.reason_labels(),
                       nudge=nudges.nudge_offer(_user(), view.user, now()) if friends else None)


@bp.get("/u/<username>/<any(followers, following):which>")
@login_required
def connections(username: str, which: str) -> ResponseReturnValue:
    view = services.profile_view(_user(), username)
    rows = []
    if view.visible:
        lister = services.followers if which == "followers" else services.following
        rows = lister(_user(), view.user.id)
    return render_page("social/connections.html", view=view, which=which, rows=rows)


def _next_or(default: str) -> ResponseReturnValue:
    """Back to the form's ``next`` (a local path only), else ``default``."""
    return redirect(safe_next(request.form.get("next"), default))


def _back(username: str) -> ResponseReturnValue:
    return _next_or(url_for("social.profile", username=username))


def _refused(element_id: str, error: ServiceError) -> ResponseReturnValue:
    """For HTMX, the refusal replaces the button it came from; without JS the error page or a flash says it."""
    if not wants_fragment():
        if isinstance(error, (Forbidden, NotFound)):
            raise error
        flash(str(error.message), "error")
        return _next_or(url_for("social.feed"))
    return render_template("social/_refused.html", element_id=element_id, message=str(error.message)), \
        error.status_code


@bp.get("/feed")
@login_required
def feed() -> ResponseReturnValue:
    # An unreadable cursor (a Unicode digit, a number past any id) shows the first page.
    before = parse_int(request.args.get("before"), minimum=1, maximum=MAX_INT32)
    page = feeds.feed_for(_user(), before_id=before)
    at_risk = nudges.friends_at_risk(_user(), now()) if before is None else []
    return render_page("social/feed.html", "feed_more", page=page, at_risk=at_risk, older=before is not None,
                       focus_first=before is not None and wants_fragment(), tier_names=progress.tier_names(),
                       achievements=progress.achievement_definitions())


@bp.post("/feed/<int:event_id>/cheer")
@login_required
def cheer_item(event_id: int) -> ResponseReturnValue:
    try:
        sent = feeds.cheer_item(_user(), event_id)
    except (Forbidden, NotFound) as error:
        return _refused(f"cheer-{event_id}", error)
    if wants_fragment():
        return render_template("social/_feed_cheer.html", item={"event_id": event_id, "cheered": True},
                               just_done=True)
    flash(_("Cheer sent!") if sent else _("You already cheered this."), "success" if sent else "info")
    return _next_or(url_for("social.feed"))


@bp.post("/u/<username>/nudge")
@login_required
def nudge(username: str) -> ResponseReturnValue:
    try:
        sent = nudges.nudge(_user(), username, now())
    except (Forbidden, NotFound, Conflict, RateLimited) as error:
        return _refused(f"nudge-{username}", error)
    if wants_fragment():
        return render_template("social/_nudge.html", friend={"username": username, "nudged": True}, just_done=True)
    flash(_("Nudge sent!") if sent else _("You already nudged them today."), "success" if sent else "info")
    return _next_or(url_for("social.feed"))


@bp.post("/u/<username>/follow")
@login_required
def follow(username: str) -> ResponseReturnValue:
    try:
        services.follow(_user(), username)
    except Conflict as error:  # that is you
        flash(str(error.message), "info")
    return _back(username)


@bp.post("/u/<username>/cheer")
@login_required
def cheer(username: str) -> ResponseReturnValue:
    if services.cheer(_user(), username, now()):
        flash(_("Cheer sent!"), "success")
    else:
        flash(_("You already cheered them on this hour."), "info")
    return _back(username)


@bp.post("/u/<username>/unfollow")
@login_required
def unfollow(username: str) -> ResponseReturnValue:
    services.unfollow(_user(), username)
    return _back(username)


@bp.post("/u/<username>/block")
@login_required
def block(username: str) -> ResponseReturnValue:
    try:
        services.block(_user(), username)
    except Conflict as error:  # that is you
        flash(str(error.message), "info")
        return _back(username)
    flash(_("Blocked. You won't see each other in search, and they can't follow you."), "info")
    return redirect(url_for("social.people"))


@bp.post("/u/<username>/unblock")
@login_required
def unblock(username: str) -> ResponseReturnValue:
    services.unblock(_user(), username)
    return _back(username)


@bp.route("/account/social", methods=["GET", "POST"])
@rerenders_on_csrf_error
@login_required
def settings() -> ResponseReturnValue:
    profile = services.my_profile(_user())
    form = SocialSettingsForm() if request.method == "POST" else SocialSettingsForm(
        formdata=None, username=profile.username, visibility=profile.visibility)
    if form.validate_on_submit():
        try:
            services.update_settings(_user(), username=form.username.data or "",
                                     visibility=form.visibility.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("social.settings"))
    names = {"public": _("Everyone"), "friends": _("Only friends (people who follow you back)"),
             "private": _("Only me")}
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return render_page("social/settings.html", status=status, form=form,
                       visibility_options=[(v, names[v]) for v in VISIBILITIES])


@bp.get("/messages")
@login_required
def messages() -> ResponseReturnValue:
    return render_page("social/messages.html", conversations=dm.conversations(_user()))


@bp.route("/messages/<username>", methods=["GET", "POST"])
@rerenders_on_csrf_error
@login_required
def conversation(username: str) -> ResponseReturnValue:
    form = MessageForm()
    if form.validate_on_submit():
        try:
            dm.send(_user(), username, form.body.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("social.conversation", username=username))
    user = _user()
    other, thread = dm.thread(user, username)
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    unread = any(message.recipient_id == user.id and message.read_at is None for message in thread)
    return render_page("social/conversation.html", status=status, other=other, thread=thread, form=form,
                       username=username, unread=unread, report_reasons=moderation.reason_labels())


def _reported(filed: bool) -> ResponseReturnValue:
    message = (_("Thank you. A moderator will look at it; we will tell you the outcome.") if filed
               else _("You reported this already; a moderator will look at it."))
    if wants_fragment():
        element = request.form.get("element", "report")
        return render_template("social/_reported.html", element_id=element if element.replace("-", "").isalnum()
                               else "report", message=message)
    flash(message, "success")
    return _next_or(url_for("social.feed"))


def _report(report: Callable[[], bool]) -> ResponseReturnValue:
    try:
        return _reported(report())
    except (Invalid, RateLimited, Conflict) as error:
        return _refused(request.form.get("element", "report"), error)


@bp.post("/u/<username>/report")
@login_required
def report_profile(username: str) -> ResponseReturnValue:
    return _report(lambda: moderation.report_profile(_user(), username, request.form.get("reason", ""),
                                                     request.form.get("note", "")))


@bp.post("/messages/report/<int:message_id>")
@login_required
def report_message(message_id: int) -> ResponseReturnValue:
    return _report(lambda: moderation.report_message(_user(), message_id, request.form.get("reason", ""),
                                                     request.form.get("note", "")))


@bp.post("/messages/<username>/read")
@login_required
def mark_conversation_read(username: str) -> ResponseReturnValue:
    """Sent by the conversation page once it is shown (a GET never writes)."""
    dm.mark_read(_user(), username)
    if request.headers.get("HX-Request") == "true":
        return "", 204
    return redirect(url_for("social.conversation", username=username))
