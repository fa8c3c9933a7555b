"""The admin's Moderation section: the queue of open reports, one report with its content in context, and the
actions on it (each one social's moderation service, which checks the capability and records the event)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from puchi.accounts.models import User
from puchi.admin.gate import staff_only
from puchi.core.errors import Conflict, Invalid
from puchi.core.htmx import render_page
from puchi.social import services as social

bp = Blueprint("admin_reports", __name__, url_prefix="/admin")
bp.before_request(staff_only)


def _viewer() -> User:
    return current_user._get_current_object()


@bp.get("/reports")
def reports() -> ResponseReturnValue:
    return render_page("admin/reports.html", reports=social.open_reports(_viewer()),
                       reasons=social.reason_labels())


def _report_page(report_id: int, *, status: int = 200, errors: dict[str, list[str]] | None = None,
                 reason: str = "") -> ResponseReturnValue:
    return render_page("admin/report.html", status=status, case=social.report_in_context(_viewer(), report_id),
                       reasons=social.reason_labels(), errors=errors or {}, reason=reason)


@bp.get("/reports/<int:report_id>")
def report(report_id: int) -> ResponseReturnValue:
    return _report_page(report_id)


@bp.post("/reports/<int:report_id>/resolve")
def resolve(report_id: int) -> ResponseReturnValue:
    reason = request.form.get("reason", "")
    try:
        social.resolve_report(_viewer(), report_id, request.form.get("action", ""), reason=reason)
    except Invalid as error:
        return _report_page(report_id, status=422, errors=error.fields, reason=reason)
    except Conflict as error:
        flash(str(error.message), "error")
        return redirect(url_for("admin_reports.reports"))
    flash(_("Report resolved; the reporter has been told."), "success")
    return redirect(url_for("admin_reports.reports"))
