"""Passkey endpoints for static/js/passkeys.js: the WebAuthn ceremonies as JSON (options, then the browser's
signed answer), and the security page's forms to rename and remove a passkey."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from puchi.accounts import mfa, mfa_session, mfa_status, passkeys
from puchi.core.errors import BadRequest, Forbidden, Invalid
from puchi.core.extensions import limiter
from puchi.core.inputs import accepts_json, json_body
from puchi.core.redirects import safe_next

bp = Blueprint("passkeys", __name__)

REGISTRATION_CHALLENGE = "passkey_registration"
AUTHENTICATION_CHALLENGE = "passkey_authentication"


def _limit() -> Any:
    return limiter.limit(lambda: current_app.config["RATELIMIT_MFA"], methods=["POST"])


def _user() -> Any:
    return current_user._get_current_object()


def _take_challenge(key: str) -> bytes | None:
    """The challenge of the ceremony under way in this browser, spent: each one is answered at most once."""
    value = session.pop(key, None)
    return base64url_to_bytes(value) if isinstance(value, str) else None


def _object_body() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest(_l("Send a JSON object."), code="json_object_expected")
    return body


def _options_response(ceremony: passkeys.Ceremony, key: str) -> ResponseReturnValue:
    session[key] = bytes_to_base64url(ceremony.challenge)
    return current_app.response_class(ceremony.options_json, mimetype="application/json")


# --- Registering, renaming, removing ------------------------------------------------------------------

@bp.post("/account/security/passkeys/options")
@accepts_json  # the script posts an empty JSON object; nothing in it is read
@login_required
def registration_options() -> ResponseReturnValue:
    if mfa_session.needs_step_up(_user()):
        raise Forbidden(_l("For your security, confirm it's you with your second factor first."),
                        code="step_up_required")
    return _options_response(passkeys.registration_options(_user()), REGISTRATION_CHALLENGE)


@bp.post("/account/security/passkeys")
@accepts_json
@login_required
def register() -> ResponseReturnValue:
    body = _object_body()
    if mfa_session.needs_step_up(_user()):
        raise Forbidden(_l("For your security, confirm it's you with your second factor first."),
                        code="step_up_required")
    registered = passkeys.add_passkey(_user(), body.get("credential"), name=str(body.get("name") or ""),
                                      challenge=_take_challenge(REGISTRATION_CHALLENGE))
    mfa_session.mark_verified()  # the learner just used the passkey, with user verification
    if not registered.recovery_codes:
        flash(_("Your passkey is saved."), "success")
    return jsonify(redirect=url_for("mfa.security"), recovery_codes=registered.recovery_codes or []), 201


@bp.post("/account/security/passkeys/<int:passkey_id>/rename")
@login_required
def rename(passkey_id: int) -> ResponseReturnValue:
    try:
        passkeys.rename_passkey(_user(), passkey_id, request.form.get("name", ""))
    except Invalid as error:
        for messages in error.fields.values():
            for message in messages:
                flash(message, "error")
    else:
        flash(_("Your passkey is saved."), "success")
    return redirect(url_for("mfa.security"))


@bp.post("/account/security/passkeys/<int:passkey_id>/delete")
@login_required
@mfa_session.step_up_required("mfa.security")
def remove(passkey_id: int) -> ResponseReturnValue:
    passkeys.remove_passkey(_user(), passkey_id)
    flash(_("The passkey is removed."), "success")
    return redirect(url_for("mfa.security"))


# --- Signing in, the second step, confirming it is you -------------------------------------------------

@bp.post("/login/passkey/options")
@accepts_json
@_limit()
def authentication_options() -> ResponseReturnValue:
    return _options_response(passkeys.authentication_options(), AUTHENTICATION_CHALLENGE)


@bp.post("/login/passkey")
@accepts_json
@_limit()
def log_in() -> ResponseReturnValue:
    """A passkey alone, or as the second step of a log-in whose password was right."""
    body = _object_body()
    if current_user.is_authenticated:
        return jsonify(redirect=url_for("pages.home"))
    waiting = mfa_session.pending()
    remember = waiting.remember if waiting else bool(body.get("remember"))
    done = passkeys.log_in_with_passkey(
        body.get("credential"), challenge=_take_challenge(AUTHENTICATION_CHALLENGE),
        for_user_id=waiting.user.id if waiting else None, remember=remember,
        remember_device=bool(body.get("remember_device")) and waiting is not None,
        user_agent=request.user_agent.string)
    target = waiting.next if waiting else request.args.get("next")
    session.clear()
    login_user(done.user, remember=remember)
    mfa_session.mark_verified()
    response = jsonify(redirect=safe_next(target, url_for("pages.home")))
    if done.device_cookie:
        response.set_cookie(mfa_status.DEVICE_COOKIE, done.device_cookie,
                            max_age=int(mfa.REMEMBER_DEVICE_FOR.total_seconds()), httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.post("/account/security/confirm/passkey")
@accepts_json
@login_required
@_limit()
def step_up() -> ResponseReturnValue:
    body = _object_body()
    passkeys.verify_for_step_up(_user(), body.get("credential"),
                                challenge=_take_challenge(AUTHENTICATION_CHALLENGE))
    mfa_session.mark_verified()
    return jsonify(redirect=safe_next(request.args.get("next"), url_for("accounts.account")))
