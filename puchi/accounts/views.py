"""Pages for signing up, in and out, confirming an email, resetting a password, and account settings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from puchi.accounts import guests, mfa_session, mfa_status, services, tokens
from puchi.accounts import timezones as time_zone_menu
from puchi.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LogInForm,
    PreferencesForm,
    ProfileForm,
    ResetPasswordForm,
    SignUpForm,
)
from puchi.accounts.models import AVATAR_COLORS, DAILY_GOALS, RETENTION_CHOICES, THEMES
from puchi.core.errors import Invalid, RateLimited, ServiceError
from puchi.core.extensions import limiter
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page
from puchi.core.i18n import LOCALE_COOKIE, supported_locales
from puchi.core.inputs import MAX_INT32, parse_int
from puchi.core.redirects import safe_next

bp = Blueprint("accounts", __name__)


def _limit(setting: str) -> Any:
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"])


def _status(form: Any) -> int:
    if form.errors or getattr(form, "form_errors", None):
        csrf = getattr(form, "csrf_token", None)
        return 400 if csrf is not None and csrf.errors else 422
    return 200


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("pages.home"))


# --- Sign up, log in, log out --------------------------------------------------------------------

@bp.route("/signup", methods=["GET", "POST"])
@rerenders_on_csrf_error
@_limit("RATELIMIT_SIGNUP")
def sign_up() -> ResponseReturnValue:
    """Create an account and ask the newcomer to confirm their email, then log in.

    Not signed in at once: the answer must be the same whether or not the address already has an
    account (whose owner is emailed instead), or this form would tell anyone who is a member.
    """
    guest = _guest()
    if current_user.is_authenticated and guest is None:
        return redirect(url_for("pages.home"))
    form = SignUpForm()
    if request.method == "GET":
        form.locale.data = str(get_locale() or "en")
        form.course_interest.data = request.args.get("learn", "")
        if guest is not None:
            form.display_name.data = ""
    if guest is not None and form.validate_on_submit():
        try:
            services.sign_up_guest(guest, email=form.email.data or "", display_name=form.display_name.data or "",
                                   password=form.password.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            return render_page("accounts/sign_up_sent.html", email=(form.email.data or "").strip(), guest=True)
    elif form.validate_on_submit():
        try:
            services.sign_up(
                email=form.email.data or "", display_name=form.display_name.data or "",
                password=form.password.data or "", locale=form.locale.data or "en",
                timezone=form.timezone.data or "UTC", course_interest=form.course_interest.data or None,
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            return render_page("accounts/sign_up_sent.html", email=(form.email.data or "").strip())
    return render_page("accounts/sign_up.html", status=_status(form), form=form, guest=guest,
                       course_choices=guests.course_choices())


def _guest() -> Any:
    """The signed-in guest (trying a lesson before signing up), or None."""
    if current_user.is_authenticated and current_user.is_guest:
        return current_user._get_current_object()
    return None


@bp.route("/login", methods=["GET", "POST"])
@rerenders_on_csrf_error
@_limit("RATELIMIT_LOGIN")
def log_in() -> ResponseReturnValue:
    # A guest may log in to an account they have: the guest's progress stays behind (it is not merged).
    if current_user.is_authenticated and _guest() is None:
        return redirect(_safe_next(request.args.get("next")))
    form = LogInForm()
    status = 200
    if form.validate_on_submit():
        remember = bool(form.remember.data)
        try:
            user = services.log_in(form.email.data or "", form.password.data or "", remember=remember,
                                   user_agent=request.user_agent.string,
                                   device_cookie=request.cookies.get(mfa_status.DEVICE_COOKIE))
        except services.SecondFactorRequired as due:  # MFA: the password was right; now the second step
            mfa_session.begin_pending(services.get_user(due.user_id), remember=remember,
                                      next_url=request.args.get("next"))
            return redirect(url_for("mfa.verify_log_in"))
        except RateLimited as error:
            apply_errors(form, error)
            status = 429
        except Invalid as error:
            apply_errors(form, error)
        else:
            session.clear()  # a fresh session on log-in: nothing from before survives (fixation)
            login_user(user, remember=remember)
            return redirect(_safe_next(request.args.get("next")))
    form.password.data = ""
    return render_page("accounts/log_in.html", status=status if status != 200 else _status(form),
                       form=form, guest=_guest())


@bp.post("/logout")
@login_required
def log_out() -> ResponseReturnValue:
    services.end_session(current_user._get_current_object())
    logout_user()
    session.clear()  # this also drops flask-login's own note to delete the remember-me cookie, hence below
    flash(_("You are logged out. See you soon!"), "info")
    response = redirect(url_for("pages.index"))
    _forget_remember_cookie(response)
    return response


def _forget_remember_cookie(response: Any) -> None:
    """Delete the remember-me cookie with the attributes it was set with, or the browser keeps it."""
    config = current_app.config
    response.delete_cookie(config["REMEMBER_COOKIE_NAME"], path=config.get("REMEMBER_COOKIE_PATH", "/"),
                           domain=config.get("REMEMBER_COOKIE_DOMAIN"),
                           secure=config["REMEMBER_COOKIE_SECURE"], httponly=True,
                           samesite=config["REMEMBER_COOKIE_SAMESITE"])


# --- Emailed links ------------------------------------------------------------------------------

LINK_PROBLEMS = tokens.LINK_CODES | {services.EMAIL_TAKEN_CODE}


def _link_problem(error: ServiceError, purpose: str) -> ResponseReturnValue:
    """A link that cannot be used gets a page saying why and how to get a new one, with the status its
    code carries (400 damaged, 410 too old or spent, 409 the address went to another account)."""
    if error.code not in LINK_PROBLEMS:
        raise error
    return render_page("accounts/link_problem.html", status=error.status_code, reason=error.code, purpose=purpose)


# --- Email verification --------------------------------------------------------------------------

@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str) -> ResponseReturnValue:
    """The emailed link shows a button (a GET never writes, and mail scanners follow links); pressing it
    confirms the address."""
    try:
        if request.method == "GET":
            email = services.check_verification(token)
            return render_page("accounts/verify_email.html", email=email)
        user = services.verify_email(token)
    except ServiceError as error:
        return _link_problem(error, purpose="verify")
    flash(_("Thank you! %(email)s is confirmed.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    return redirect(url_for("accounts.log_in"))


@bp.post("/verify-email/resend")
@login_required
@_limit("RATELIMIT_RESET")
def resend_verification() -> ResponseReturnValue:
    services.resend_verification(current_user._get_current_object())
    flash(_("We sent you a new confirmation link."), "info")
    return redirect(_safe_next(request.form.get("next")))


# --- Forgotten password --------------------------------------------------------------------------

@bp.route("/forgot-password", methods=["GET", "POST"])
@rerenders_on_csrf_error
@_limit("RATELIMIT_RESET")
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            services.request_password_reset(form.email.data or "", locale=str(get_locale() or "en"))
        except Invalid as error:
            apply_errors(form, error)
        else:
            return render_page("accounts/forgot_password_sent.html", email=form.email.data.strip())
    return render_page("accounts/forgot_password.html", status=_status(form),
                       form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@rerenders_on_csrf_error
@_limit("RATELIMIT_RESET")
def reset_password(token: str) -> ResponseReturnValue:
    try:
        user = services.check_reset_token(token)
    except ServiceError as error:
        return _link_problem(error, purpose="reset")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data or "")
        except Invalid as error:
            apply_errors(form, error)
        except ServiceError as error:
            return _link_problem(error, purpose="reset")
        else:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("accounts.log_in"))
    return render_page("accounts/reset_password.html", status=_status(form),
                       form=form, user=user, token=token)


# --- Account settings ----------------------------------------------------------------------------

def _account_page(status: int = 200, **forms: Any) -> ResponseReturnValue:
    user = current_user._get_current_object()
    profile = forms.get("profile_form") or ProfileForm(
        formdata=None, display_name=user.display_name, avatar_color=user.avatar_color)
    email = forms.get("email_form") or ChangeEmailForm(formdata=None)
    password = forms.get("password_form") or ChangePasswordForm(formdata=None)
    return render_page(
        "accounts/account.html", status=status,
        profile_form=profile, email_form=email, password_form=password,
        avatar_colors=AVATAR_COLORS, avatar_color_names=_avatar_color_names(), sessions=services.active_sessions(user),
        is_current_session=lambda s: services.is_current_session(user, s),
        mfa_factors=mfa_status.factors_of(user.id),  # MFA: the account page's two-step verification section
    )


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    return _account_page()


@bp.post("/account/profile")
@rerenders_on_csrf_error
@login_required
def update_profile() -> ResponseReturnValue:
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            services.update_profile(current_user._get_current_object(),
                                    display_name=form.display_name.data or "",
                                    avatar_color=form.avatar_color.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(_status(form), profile_form=form)


@bp.post("/account/email")
@rerenders_on_csrf_error
@login_required
@mfa_session.step_up_required("accounts.account")
@_limit("RATELIMIT_RESET")
def change_email() -> ResponseReturnValue:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user._get_current_object(),
                                          password=form.password.data or "",
                                          new_email=form.new_email.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Almost done: follow the link we sent to %(email)s to switch to it.",
                    email=current_user.waiting_email), "info")
            return redirect(url_for("accounts.account"))
    return _account_page(_status(form), email_form=form)


@bp.post("/account/email/cancel")
@login_required
def cancel_email_change() -> ResponseReturnValue:
    services.cancel_email_change(current_user._get_current_object())
    return redirect(url_for("accounts.account"))


@bp.post("/account/password")
@rerenders_on_csrf_error
@login_required
@mfa_session.step_up_required("accounts.account")
@_limit("RATELIMIT_LOGIN")
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(),
                                     current_password=form.current_password.data or "",
                                     new_password=form.new_password.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Your password is changed, and your other devices are logged out."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(_status(form), password_form=form)


@bp.post("/account/sessions/revoke-others")
@login_required
def revoke_other_sessions() -> ResponseReturnValue:
    count = services.revoke_other_sessions(current_user._get_current_object())
    flash(ngettext("Logged out of %(num)s other session.", "Logged out of %(num)s other sessions.", count), "success")
    return redirect(url_for("mfa.security" if request.form.get("back") == "security" else "accounts.account"))


@bp.route("/account/preferences", methods=["GET", "POST"])
@rerenders_on_csrf_error
@login_required
def preferences() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if request.method == "GET":
        form = PreferencesForm(formdata=None, locale=user.locale, timezone=user.timezone,
                               daily_goal=str(user.daily_goal), theme=user.theme,
                               sound_effects=user.sound_effects, desired_retention=str(user.desired_retention),
                               relaxed_mode=user.relaxed_mode, leagues_enabled=user.leagues_enabled)
    else:
        form = PreferencesForm()
    if form.validate_on_submit():
        try:
            services.update_preferences(user, services.Preferences(
                locale=form.locale.data or "", timezone=form.timezone.data or "",
                daily_goal=parse_int(form.daily_goal.data, minimum=0, maximum=MAX_INT32), theme=form.theme.data or "",
                sound_effects=bool(form.sound_effects.data),
                desired_retention=_retention(form.desired_retention.data),
                relaxed_mode=bool(form.relaxed_mode.data),
                leagues_enabled=bool(form.leagues_enabled.data),
            ))
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("accounts.preferences"))
    zone_menu = time_zone_menu.menu(str(get_locale() or "en"), form.timezone.data or user.timezone)
    return render_page("accounts/preferences.html", status=_status(form), form=form,
                       timezone_options=zone_menu[0], timezone_groups=zone_menu[1],
                       goal_options=_goal_options(), theme_options=_theme_options(),
                       retention_options=_retention_options())


def _retention(raw: str | None) -> float | None:
    try:
        return float(raw or "")
    except ValueError:
        return None


def _retention_options() -> list[tuple[str, str]]:
    names = {0.8: _("Relaxed: fewer reviews"), 0.85: _("Gentle"), 0.9: _("Recommended"),
             0.95: _("Thorough: more reviews")}
    return [(str(value), _("%(name)s · remember %(percent)s%%", name=names[value], percent=round(value * 100)))
            for value in RETENTION_CHOICES]


def _avatar_color_names() -> dict[str, str]:
    return {"coral": _("Coral"), "amber": _("Amber"), "leaf": _("Leaf green"), "teal": _("Teal"),
            "sky": _("Sky blue"), "violet": _("Violet"), "rose": _("Rose"), "slate": _("Slate grey")}


def _goal_options() -> list[tuple[str, str]]:
    names = {"casual": _("Casual"), "regular": _("Regular"), "serious": _("Serious"), "intense": _("Intense")}
    return [(str(xp), _("%(level)s · %(xp)s XP a day", level=names[level], xp=xp))
            for xp, level in DAILY_GOALS.items()]


def _theme_options() -> list[tuple[str, str]]:
    names = {"system": _("Same as my device"), "light": _("Light"), "dark": _("Dark")}
    return [(theme, names[theme]) for theme in THEMES]


@bp.post("/language")
def choose_language() -> ResponseReturnValue:
    """The footer's language switcher: a signed-in learner's preference, a visitor's cookie."""
    locale = request.form.get("locale", "")
    response = redirect(safe_next(request.form.get("next"), url_for("pages.index")))
    if locale in supported_locales():
        if current_user.is_authenticated:
            services.set_locale(current_user._get_current_object(), locale)
        response.set_cookie(LOCALE_COOKIE, locale, max_age=60 * 60 * 24 * 365, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
