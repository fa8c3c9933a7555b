"""Pages for the learner's data: download it, delete the account (or cancel), consents, signing a device out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.accounts import consents, deletion, devices, exports, mfa_session
from puchi.accounts.forms import DeleteAccountForm
from puchi.core.errors import Invalid
from puchi.core.extensions import limiter
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page

bp = Blueprint("privacy", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here is about the signed-in learner's own data."""


def _me() -> Any:
    return current_user._get_current_object()


def _privacy_page(status: int = 200, delete_form: DeleteAccountForm | None = None) -> ResponseReturnValue:
    user = _me()
    return render_page("accounts/privacy.html", status=status, exports=exports.latest(user),
                       delete_form=delete_form or DeleteAccountForm(formdata=None),
                       consent_texts=consents.TEXTS, marketing=consents.marketing_granted(user.id),
                       consent_history=consents.history(user.id),
                       grace_days=current_app.config["DELETION_GRACE_DAYS"],
                       link_days=current_app.config["EXPORT_LINK_DAYS"])


@bp.get("/account/privacy")
def privacy() -> ResponseReturnValue:
    return _privacy_page()


@bp.post("/account/export")
def request_export() -> ResponseReturnValue:
    exports.request_export(_me())
    flash(_("We are preparing your data. We will email you a download link when it is ready."), "info")
    return redirect(url_for("privacy.privacy"))


@bp.get("/account/exports/<token>")
def export_download(token: str) -> ResponseReturnValue:
    """The emailed link shows a button (a GET never writes, and mail scanners follow links); the POST downloads."""
    export = exports.export_for(_me(), token)
    return render_page("accounts/export_download.html", export=export, token=token)


@bp.post("/account/exports/<token>")
def export_fetch(token: str) -> ResponseReturnValue:
    data, file_name = exports.download(_me(), token)
    response = current_app.response_class(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/consents")
def save_consents() -> ResponseReturnValue:
    if consents.set_marketing(_me().id, request.form.get("marketing_email") == "y"):
        flash(_("Your choice is saved."), "success")
    return redirect(url_for("privacy.privacy"))


@bp.post("/account/delete")
@rerenders_on_csrf_error
@mfa_session.step_up_required("privacy.privacy")  # an account with a second factor proves it again first
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def request_deletion() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            due = deletion.request_deletion(_me(), password=form.password.data or "",
                                            confirmation=form.confirmation.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Your account will be deleted on %(date)s. Until then you can cancel.",
                    date=format_datetime(due, "medium")), "info")
            return redirect(url_for("privacy.privacy"))
    csrf = getattr(form, "csrf_token", None)
    return _privacy_page(400 if csrf is not None and csrf.errors else 422, delete_form=form)


@bp.post("/account/delete/cancel")
def cancel_deletion() -> ResponseReturnValue:
    if deletion.cancel_deletion(_me()):
        flash(_("Your account will not be deleted."), "success")
    return redirect(url_for("privacy.privacy"))


@bp.post("/account/sessions/<int:login_session_id>/sign-out")
def sign_out_device(login_session_id: int) -> ResponseReturnValue:
    devices.sign_out(_me(), login_session_id)
    flash(_("That device is signed out."), "success")
    return redirect(url_for("accounts.account"))
