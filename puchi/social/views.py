"""People: search, profiles, following and blocking, and the learner's social settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from puchi.core.errors import Conflict, Invalid
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page
from puchi.social import services
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
    return render_page("social/profile.html", view=services.profile_view(_user(), username))


@bp.get("/u/<username>/<any(followers, following):which>")
@login_required
def connections(username: str, which: str) -> ResponseReturnValue:
    view = services.profile_view(_user(), username)
    rows = []
    if view.visible:
        lister = services.followers if which == "followers" else services.following
        rows = lister(_user(), view.user.id)
    return render_page("social/connections.html", view=view, which=which, rows=rows)


def _back(username: str) -> ResponseReturnValue:
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("social.profile", username=username)
    return redirect(target)


@bp.post("/u/<username>/follow")
@login_required
def follow(username: str) -> ResponseReturnValue:
    try:
        services.follow(_user(), username)
    except Conflict:
        flash(_("You can't follow yourself."), "info")
    return _back(username)


@bp.post("/u/<username>/cheer")
@login_required
def cheer(username: str) -> ResponseReturnValue:
    from puchi.core.db import now

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
    except Conflict:
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
    return render_page("social/settings.html", "social_settings_form", status=status, form=form,
                       visibility_options=[(v, names[v]) for v in VISIBILITIES])


@bp.get("/messages")
@login_required
def messages() -> ResponseReturnValue:
    from puchi.social import messages as dm

    return render_page("social/messages.html", conversations=dm.conversations(_user()))


@bp.route("/messages/<username>", methods=["GET", "POST"])
@rerenders_on_csrf_error
@login_required
def conversation(username: str) -> ResponseReturnValue:
    from puchi.social import messages as dm

    form = MessageForm()
    if form.validate_on_submit():
        try:
            dm.send(_user(), username, form.body.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("social.conversation", username=username))
    other, thread = dm.thread(_user(), username)
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return render_page("social/conversation.html", status=status, other=other, thread=thread, form=form,
                       username=username)
