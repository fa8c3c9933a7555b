"""Admin pages, over the domains' services (which check the viewer's capability themselves): the staff
dashboard, the notification send log (with the failed sends and a retry button) and billing's figures."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.accounts import services as accounts
from puchi.admin import figures
from puchi.billing import services as billing
from puchi.core.db import now
from puchi.core.errors import Forbidden
from puchi.core.htmx import render_page
from puchi.core.inputs import parse_int
from puchi.notifications import services as notifications

bp = Blueprint("admin", __name__, url_prefix="/admin")
DEFAULT_REPORT_MONTHS, MAX_REPORT_MONTHS = 12, 36


@bp.before_request
@login_required
def admins_only() -> ResponseReturnValue | None:
    try:
        accounts.require_staff(current_user._get_current_object())  # every page; each service checks again
    except Forbidden as refusal:
        if refusal.code == accounts.ADMIN_NEEDS_MFA:  # staff without MFA: a page to set it up, not a 403
            return redirect(url_for("mfa.admin_needs_mfa"))
        raise
    return None


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """The staff's front page: the sections their role opens."""
    viewer = current_user._get_current_object()
    return render_page("admin/dashboard.html", capabilities=accounts.capabilities_of(viewer),
                       Capability=accounts.Capability)


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


@bp.get("/billing")
def billing_figures() -> ResponseReturnValue:
    """Billing's figures month by month (MRR, subscribers, trials, churn, payments), from billing's records."""
    viewer = current_user._get_current_object()
    if not billing.configured():
        accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
        return render_page("admin/billing.html", configured=False)
    months = parse_int(request.args.get("months"), minimum=1, maximum=MAX_REPORT_MONTHS) or DEFAULT_REPORT_MONTHS
    today = now().date()
    first = today.year * 12 + today.month - 1 - (months - 1)  # months counted from year 0, so -1 wraps years
    start = date(first // 12, first % 12 + 1, 1)
    report = billing.analytics_report(viewer, start, today)
    return render_page("admin/billing.html", configured=True, report=report, months=months,
                       month_choices=(3, 6, 12, 24), charts=figures.billing_charts(report))
