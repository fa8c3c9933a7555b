"""The phone page: add, verify, change or remove the number SMS notifications go to. Thin over ``phones``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from puchi.core.errors import Invalid, RateLimited
from puchi.core.extensions import limiter
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page
from puchi.notifications import phones
from puchi.notifications.forms import ActionForm, CodeForm, PhoneForm

bp = Blueprint("phone", __name__)


def _user() -> Any:
    return current_user._get_current_object()


def _limit(setting: str) -> Any:
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"])


def _status(form: FlaskForm, default: int = 422) -> int:
    csrf = getattr(form, "csrf_token", None)
    return 400 if csrf is not None and csrf.errors else default


def _page(status: int = 200, **forms: FlaskForm) -> ResponseReturnValue:
    state = phones.state_of(_user())
    return render_page("notifications/phone.html", status=status, state=state,
                       phone_form=forms.get("phone_form") or PhoneForm(formdata=None),
                       code_form=forms.get("code_form") or CodeForm(formdata=None),
                       action_form=forms.get("action_form") or ActionForm(formdata=None),
                       code_minutes=phones.CODE_MINUTES, code_digits=phones.CODE_DIGITS)


@bp.app_context_processor
def phone_card() -> dict[str, object]:
    """For the card on the notification settings page: read only when a template asks."""
    return {"phone_state": lambda: phones.state_of(_user())}


@bp.route("/account/phone", methods=["GET", "POST"])
@rerenders_on_csrf_error
@login_required
@_limit("RATELIMIT_RESET")
def phone() -> ResponseReturnValue:
    """Enter a number (or a new one): it is stored unverified and a code is texted to it."""
    form = PhoneForm()
    if not form.is_submitted():
        return _page()
    if form.validate():
        try:
            state = phones.set_number(_user(), form.number.data or "")
        except (Invalid, RateLimited) as error:
            apply_errors(form, error)
            return _page(error.status_code, phone_form=form)
        if state.verified:
            flash(_("That is already your verified number."), "info")
        else:
            flash(_("We texted a code to %(number)s.", number=state.display), "info")
        return redirect(url_for("phone.phone"))
    return _page(_status(form), phone_form=form)


@bp.post("/account/phone/verify")
@rerenders_on_csrf_error
@login_required
@_limit("RATELIMIT_LOGIN")
def verify() -> ResponseReturnValue:
    form = CodeForm()
    if form.validate_on_submit():
        try:
            phones.verify(_user(), form.code.data or "")
        except Invalid as error:
            apply_errors(form, error)
            return _page(error.status_code, code_form=form)
        flash(_("Your number is verified. Choose below what we may text you."), "success")
        return redirect(url_for("notifications.settings"))
    return _page(_status(form), code_form=form)


@bp.post("/account/phone/resend")
@rerenders_on_csrf_error
@login_required
@_limit("RATELIMIT_RESET")
def resend() -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            phones.resend_code(_user())
        except (Invalid, RateLimited) as error:
            apply_errors(form, error)
            return _page(error.status_code, action_form=form)
        flash(_("We texted you a new code."), "info")
        return redirect(url_for("phone.phone"))
    return _page(_status(form), action_form=form)


@bp.post("/account/phone/remove")
@login_required
def remove() -> ResponseReturnValue:
    phones.remove_number(_user())
    flash(_("Your number is removed. We will not text you."), "success")
    return redirect(url_for("phone.phone"))
