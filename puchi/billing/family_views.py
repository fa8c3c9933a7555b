"""The family page (the owner invites and removes; a member sees their family and may leave) and the
invitation's link. Thin over ``billing.family``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.billing import family
from puchi.billing.family_forms import ActionForm, InviteForm
from puchi.core.errors import Conflict, Invalid, NotFound, PaymentRequired, ServiceError
from puchi.core.extensions import limiter
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page
from puchi.core.inputs import MAX_INT32, parse_int

bp = Blueprint("billing_family", __name__)

LINK_PROBLEMS = frozenset({"link_invalid", "link_used", "link_expired"})


def _user() -> Any:
    return current_user._get_current_object()


def _id(value: int) -> int:
    if parse_int(str(value), minimum=1, maximum=MAX_INT32) is None:
        raise NotFound
    return value


def _page(status: int = 200, form: InviteForm | None = None, action_form: ActionForm | None = None
          ) -> ResponseReturnValue:
    state = family.family_of(_user())
    return render_page("billing/family.html", status=status, family=state, seats=family.SEATS,
                       form=form or InviteForm(formdata=None), action_form=action_form or ActionForm(formdata=None),
                       days=current_app.config["FAMILY_INVITATION_DAYS"])


@bp.get("/billing/family")
@login_required
def page() -> ResponseReturnValue:
    return _page()


@bp.post("/billing/family/invitations")
@rerenders_on_csrf_error
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET"], methods=["POST"])
def invite() -> ResponseReturnValue:
    """Invite someone by email; the page shows the invitation among the pending ones."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = family.invite(_user(), form.email.data)
        except Invalid as error:
            apply_errors(form, error)
            return _page(error.status_code, form=form)
        except (Conflict, PaymentRequired) as error:
            form.form_errors = [str(error.message)]
            return _page(error.status_code, form=form)
        flash(_("We emailed an invitation to %(email)s.", email=invitation.email), "success")
        return redirect(url_for("billing_family.page"))
    return _page(400 if form.csrf_token.errors else 422, form=form)


@bp.post("/billing/family/invitations/<int:invitation_id>/cancel")
@login_required
def cancel_invitation(invitation_id: int) -> ResponseReturnValue:
    family.cancel_invitation(_user(), _id(invitation_id))
    flash(_("The invitation is cancelled: its link no longer works."), "info")
    return redirect(url_for("billing_family.page"))


@bp.post("/billing/family/members/<int:membership_id>/remove")
@login_required
def remove_member(membership_id: int) -> ResponseReturnValue:
    family.remove_member(_user(), _id(membership_id))
    flash(_("They are no longer in your family. Their progress stays theirs."), "info")
    return redirect(url_for("billing_family.page"))


@bp.post("/billing/family/leave")
@login_required
def leave() -> ResponseReturnValue:
    family.leave(_user())
    flash(_("You left the family. Your progress stays yours."), "info")
    return redirect(url_for("billing_family.page"))


@bp.route("/billing/family/join/<token>", methods=["GET", "POST"])
def join(token: str) -> ResponseReturnValue:
    """The emailed link shows the invitation and a button (a GET never writes; mail scanners follow
    links); a visitor logs in first and comes back here through ``next``."""
    if request.method == "POST" and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    try:
        invitation = family.check_invitation(token)
    except ServiceError as error:
        return _link_problem(error)
    if request.method == "POST":
        try:
            family.accept(_user(), token)
        except Conflict as error:  # who may not join, and why: on the invitation's page
            return render_page("billing/family_join.html", status=error.status_code, problem=None,
                               invitation=invitation, refusal=error.message)
        except ServiceError as error:
            return _link_problem(error)  # spent or withdrawn since the page was opened
        flash(_("Welcome to %(name)s's family! Every Super perk is yours now.", name=invitation.owner_name),
              "success")
        return redirect(url_for("billing_family.page"))
    return render_page("billing/family_join.html", problem=None, invitation=invitation, refusal=None,
                       login_url=url_for("accounts.log_in", next=request.path))


def _link_problem(error: ServiceError) -> ResponseReturnValue:
    """A link that cannot be used gets a page saying why, with the status its code carries (400 damaged or
    forged, 410 too old or spent); any other refusal (billing off) is the app's error page."""
    if error.code not in LINK_PROBLEMS:
        raise error
    return render_page("billing/family_join.html", status=error.status_code, problem=error.code,
                       invitation=None, refusal=None)
