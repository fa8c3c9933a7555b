"""Pages of two-step verification: the log-in's second step, the security page (authenticator app, recovery
codes, remembered devices), confirming it is you before a sensitive change, and the admins' MFA rule."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from puchi.accounts import mfa, mfa_session, mfa_status, passkeys, services
from puchi.accounts.mfa_forms import CodeForm, DisableTotpForm, SecondStepForm
from puchi.core.errors import Conflict, Invalid, NotFound, RateLimited
from puchi.core.extensions import limiter
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page
from puchi.core.redirects import safe_next

bp = Blueprint("mfa", __name__)


def _limit() -> Any:
    """Code entry per client address (the services also count per account)."""
    return limiter.limit(lambda: current_app.config["RATELIMIT_MFA"], methods=["POST"])


def _status(form: Any, refused: int | None = None) -> int:
    if refused:
        return refused
    if form.errors or getattr(form, "form_errors", None):
        csrf = getattr(form, "csrf_token", None)
        return 400 if csrf is not None and csrf.errors else 422
    return 200


def _user() -> Any:
    return current_user._get_current_object()


# --- The log-in's second step --------------------------------------------------------------------------

@bp.route("/login/verify", methods=["GET", "POST"])
@rerenders_on_csrf_error
@_limit()
def verify_log_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    waiting = mfa_session.pending()
    if waiting is None:
        if request.method == "POST":
            flash(_("That took too long. Please log in again."), "info")
        return redirect(url_for("accounts.log_in"))
    form = SecondStepForm()
    refused = None
    if form.validate_on_submit():
        try:
            done = mfa.complete_log_in(waiting.user.id, form.code.data or "", remember=waiting.remember,
                                       remember_device=bool(form.remember_device.data),
                                       user_agent=request.user_agent.string)
        except RateLimited as error:
            apply_errors(form, error)
            refused = 429
        except Invalid as error:
            apply_errors(form, error)
        else:
            session.clear()
            login_user(done.user, remember=waiting.remember)
            mfa_session.mark_verified()
            response = redirect(safe_next(waiting.next, url_for("pages.home")))
            if done.device_cookie:
                _set_device_cookie(response, done.device_cookie)
            return response
    form.code.data = ""
    return render_page("accounts/log_in_verify.html", status=_status(form, refused), form=form,
                       factors=mfa_status.factors_of(waiting.user.id))


def _set_device_cookie(response: Any, value: str) -> None:
    response.set_cookie(mfa_status.DEVICE_COOKIE, value, max_age=int(mfa.REMEMBER_DEVICE_FOR.total_seconds()),
                        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


# --- The security page ------------------------------------------------------------------------------------

def _security_page(status: int = 200, **forms: Any) -> ResponseReturnValue:
    user = _user()
    return render_page("accounts/security.html", status=status,
                       factors=mfa_status.factors_of(user.id),
                       devices=mfa.remembered_devices(user), passkeys=passkeys.passkeys_of(user),
                       needs_step_up=mfa_session.needs_step_up(user),
                       # After a factor changes, the option to end every other session is at hand (ASVS 7.4.3).
                       other_sessions=len(services.active_sessions(user)) - 1,
                       disable_form=forms.get("disable_form") or DisableTotpForm(formdata=None))


@bp.get("/account/security")
@login_required
def security() -> ResponseReturnValue:
    return _security_page()


@bp.post("/account/security/totp/start")
@login_required
@mfa_session.step_up_required("mfa.security")
def start_totp() -> ResponseReturnValue:
    try:
        mfa.begin_totp_enrolment(_user())
    except Conflict as error:
        flash(str(error.message), "info")
        return redirect(url_for("mfa.security"))
    return redirect(url_for("mfa.enrol_totp"))


@bp.route("/account/security/totp", methods=["GET", "POST"])
@rerenders_on_csrf_error
@login_required
@_limit()
def enrol_totp() -> ResponseReturnValue:
    user = _user()
    enrolment = mfa.pending_totp(user)
    if enrolment is None:
        return redirect(url_for("mfa.security"))
    form = CodeForm()
    refused = None
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_totp(user, form.code.data or "")
        except RateLimited as error:
            apply_errors(form, error)
            refused = 429
        except Invalid as error:
            apply_errors(form, error)
        except NotFound:
            return redirect(url_for("mfa.security"))
        else:
            mfa_session.mark_verified()
            flash(_("Two-step verification is on: you will be asked for a code when you log in."), "success")
            if codes:
                return render_page("accounts/recovery_codes.html", codes=codes)
            return redirect(url_for("mfa.security"))
    form.code.data = ""
    return render_page("accounts/totp_enrol.html", status=_status(form, refused), form=form, enrolment=enrolment)


@bp.post("/account/security/totp/disable")
@rerenders_on_csrf_error
@login_required
@_limit()
def disable_totp() -> ResponseReturnValue:
    user = _user()
    if not mfa_status.factors_of(user.id).totp:
        return redirect(url_for("mfa.security"))
    form = DisableTotpForm()
    refused = None
    if form.validate_on_submit():
        try:
            mfa.disable_totp(user, password=form.password.data or "", code=form.code.data or "")
        except RateLimited as error:
            apply_errors(form, error)
            refused = 429
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("The authenticator app is turned off."), "success")
            return redirect(url_for("mfa.security"))
    form.code.data = ""
    return _security_page(_status(form, refused), disable_form=form)


@bp.post("/account/security/recovery-codes")
@login_required
@mfa_session.step_up_required("mfa.security")
def regenerate_recovery_codes() -> ResponseReturnValue:
    try:
        codes = mfa.regenerate_recovery_codes(_user())
    except Conflict as error:
        flash(str(error.message), "info")
        return redirect(url_for("mfa.security"))
    return render_page("accounts/recovery_codes.html", codes=codes)


@bp.post("/account/security/devices/<int:device_id>/forget")
@login_required
def forget_device(device_id: int) -> ResponseReturnValue:
    mfa.forget_device(_user(), device_id)
    flash(_("That browser will ask for your second factor again."), "success")
    return redirect(url_for("mfa.security"))


# --- Confirming it is you (step-up) ---------------------------------------------------------------

@bp.route("/account/security/confirm", methods=["GET", "POST"])
@rerenders_on_csrf_error
@login_required
@_limit()
def step_up() -> ResponseReturnValue:
    user = _user()
    target = safe_next(request.args.get("next"), url_for("accounts.account"))
    if not mfa_status.has_second_factor(user.id):
        return redirect(target)
    form = CodeForm()
    refused = None
    if form.validate_on_submit():
        try:
            mfa.verify_code(user, form.code.data or "", purpose="step_up")
        except RateLimited as error:
            apply_errors(form, error)
            refused = 429
        except Invalid as error:
            apply_errors(form, error)
        else:
            mfa_session.mark_verified()
            return redirect(target)
    form.code.data = ""
    return render_page("accounts/step_up.html", status=_status(form, refused), form=form,
                       factors=mfa_status.factors_of(user.id))


# --- Admins must use MFA ----------------------------------------------------------------------------

@bp.get("/account/security/required")
@login_required
def admin_needs_mfa() -> ResponseReturnValue:
    return render_page("accounts/admin_needs_mfa.html", factors=mfa_status.factors_of(_user().id))
