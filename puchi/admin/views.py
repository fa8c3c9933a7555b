"""Admin pages, over the domains' services (which check the admin role themselves). Today: the notification
send log, with the failed sends and a retry button."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.accounts import services as accounts
from puchi.core.errors import Forbidden
from puchi.core.htmx import render_page
from puchi.notifications import services as notifications

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only() -> ResponseReturnValue | None:
    try:
        accounts.require_admin(current_user._get_current_object())  # every page; each service checks again
    except Forbidden as refusal:
        if refusal.code == accounts.ADMIN_NEEDS_MFA:  # an admin without MFA: a page to set it up, not a 403
            return redirect(url_for("mfa.admin_needs_mfa"))
        raise
    return None


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    status = request.args.get("status", "failed")
    if status not in notifications.DELIVERY_STATUSES:
        status = "failed"
    rows, counts = notifications.delivery_log(current_user._get_current_object(), status)
    return render_page("admin/deliveries.html", current=status, statuses=notifications.DELIVERY_STATUSES,
                       rows=rows, counts=counts)


@bp.post("/deliveries/<int:delivery_id>/retry")
def retry_delivery(delivery_id: int) -> ResponseReturnValue:
    if notifications.retry_failed_delivery(current_user._get_current_object(), delivery_id):
        flash(_("Queued again."), "success")
    else:
        flash(_("Only a failed send can be retried."), "error")
    return redirect(url_for("admin.deliveries"))
