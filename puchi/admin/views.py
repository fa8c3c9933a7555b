"""Admin pages. Today: the notification send log, with the failed sends and a retry button."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.admin.access import require_admin
from puchi.core.htmx import render_page
from puchi.notifications import channels

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only() -> None:
    require_admin(current_user._get_current_object())


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    status = request.args.get("status", "failed")
    if status not in channels.DELIVERY_STATUSES:
        status = "failed"
    return render_page("admin/deliveries.html", current=status, statuses=channels.DELIVERY_STATUSES,
                       rows=channels.deliveries_with_status(status), counts=channels.delivery_counts())


@bp.post("/deliveries/<int:delivery_id>/retry")
def retry_delivery(delivery_id: int) -> ResponseReturnValue:
    if channels.retry_delivery(delivery_id):
        flash(_("Queued again."), "success")
    else:
        flash(_("Only a failed send can be retried."), "error")
    return redirect(url_for("admin.deliveries"))
