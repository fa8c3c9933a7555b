"""Admin pages, over the domains' services (which check the viewer's capability themselves): the staff
dashboard, the notification send log (with the failed sends and a retry button) and billing's figures."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

from flask import Blueprint, Response, current_app, flash, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.accounts import services as accounts
from puchi.admin import analytics, figures
from puchi.admin import search as staff_search
from puchi.billing import services as billing
from puchi.core.db import now
from puchi.core.errors import Forbidden, Invalid, NotFound
from puchi.core.events import EventFilter
from puchi.core.htmx import render_page
from puchi.core.inputs import accepts_files, parse_int
from puchi.core.periods import Range
from puchi.learning import services as learning
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


def _audit_filter() -> tuple[EventFilter, dict[str, str]]:
    """The audit log's filter from the query string (anything unreadable is left out), and the form's values."""
    form = {key: request.args.get(key, "").strip()[:254] for key in ("actor", "type", "subject_type",
                                                                      "subject_id", "start", "end")}
    where = EventFilter(
        name_prefix=form["type"][:64] or None,
        subject_type=form["subject_type"][:32] or None,
        subject_id=parse_int(form["subject_id"], minimum=0, maximum=2**63 - 1) if form["subject_id"] else None,
        start=accounts.parse_moment(form["start"]),
        end=accounts.parse_moment(form["end"], end_of_day=True),
    )
    return where, form


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """The events table, newest first, filtered by actor, type, subject and time; read-only."""
    where, form = _audit_filter()
    before = parse_int(request.args.get("before"), minimum=1, maximum=2**63 - 1)
    page = accounts.audit_page(current_user._get_current_object(), where, actor=form["actor"], before_id=before)
    query = {key: value for key, value in form.items() if value}
    return render_page("admin/audit.html", page=page, form=form, query=query)


@bp.get("/audit.csv")
def audit_export() -> ResponseReturnValue:
    """The filtered log as CSV, streamed (at most accounts.MAX_EXPORT_ROWS rows, newest first)."""
    where, form = _audit_filter()
    lines = accounts.audit_csv(current_user._get_current_object(), where, actor=form["actor"])  # checks now
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def stream() -> Iterator[str]:
        with app.app_context():  # a context (and database session) of its own, while the body is sent
            yield from lines

    return Response(stream(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


def _report_range() -> Range:
    """The days asked for (?start=&end=, ISO dates), made sane: at most periods.MAX_RANGE_DAYS, up to today."""
    def day(name: str) -> date | None:
        moment = accounts.parse_moment(request.args.get(name))
        return moment.date() if moment else None

    return Range.bounded(day("start"), day("end"), now().date())


@bp.get("/analytics", defaults={"section": "usage"})
@bp.get("/analytics/<section>")
def analytics_page(section: str) -> ResponseReturnValue:
    """Usage, learning, retention and notification figures, each as tables (with CSV) and SVG charts."""
    if section not in analytics.SECTIONS:
        raise NotFound()
    days = _report_range()
    report = analytics.section(current_user._get_current_object(), section, days)
    return render_page("admin/analytics.html", report=report, days=days, sections=analytics.SECTIONS)


@bp.get("/analytics/<section>/<table>.csv")
def analytics_csv(section: str, table: str) -> ResponseReturnValue:
    """One of a page's tables as CSV (its cells made safe for spreadsheets)."""
    if section not in analytics.SECTIONS:
        raise NotFound()
    days = _report_range()
    report = analytics.section(current_user._get_current_object(), section, days)
    found = next((t for t in report.tables if t.key == table), None)
    if found is None:
        raise NotFound()
    body = "".join(accounts.csv_lines([found.header, *found.rows]))
    name = f"{section}-{table}-{days.first.isoformat()}-{days.last.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/search")
def search() -> ResponseReturnValue:
    """One search over content (for editors) and learners (for support), accent-insensitive."""
    results = staff_search.search(current_user._get_current_object(), request.args.get("q", ""))
    return render_page("admin/search.html", results=results)


# --- Courses: import and export of course folders -------------------------------------------------------------

@bp.get("/courses")
def courses() -> ResponseReturnValue:
    """Every course with an Export button, and the form that imports a course folder as a zip."""
    return render_page("admin/courses.html", courses=learning.courses_for_studio(current_user._get_current_object()))


@bp.post("/courses/<slug>/export")
def export_course(slug: str) -> ResponseReturnValue:
    """The course folder as a zip download (a POST: the export is recorded in the audit log)."""
    name, payload = learning.export_course_zip(current_user._get_current_object(), slug)
    response = send_file(io.BytesIO(payload), mimetype="application/zip", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/courses/import")
@accepts_files
def import_course() -> ResponseReturnValue:
    """Check an uploaded course zip (the importer's problems by file and line), or check and import it."""
    viewer = current_user._get_current_object()
    upload = request.files.get(learning.ARCHIVE_FIELD)
    payload = upload.read(learning.MAX_UPLOAD_BYTES + 1) if upload is not None else None
    importing = request.form.get("mode") == "import"
    try:
        if importing:
            report = learning.import_course_zip(viewer, payload)
            flash(_("Course %(slug)s imported.", slug=report.course_slug) if report.changed
                  else _("Course %(slug)s is already up to date.", slug=report.course_slug), "success")
            return render_page("admin/courses.html", courses=learning.courses_for_studio(viewer), report=report)
        check = learning.check_course_zip(viewer, payload)
    except Invalid as refused:
        return render_page("admin/courses.html", status=422, courses=learning.courses_for_studio(viewer),
                           refusal=refused, problems=refused.fields.get(learning.ARCHIVE_FIELD, []))
    return render_page("admin/courses.html", courses=learning.courses_for_studio(viewer), check=check)


@bp.get("/courses/<slug>/media")
def course_media(slug: str) -> ResponseReturnValue:
    """The course's words and phrases with their pictures and recordings, and a form to upload each."""
    course, items = learning.items_with_media(current_user._get_current_object(), slug)
    return render_page("admin/course_media.html", course=course, items=items)


@bp.post("/courses/<slug>/items/<int:item_id>/media")
@accepts_files
def item_media(slug: str, item_id: int) -> ResponseReturnValue:
    """Upload a picture or recording for an item, or (``remove``) take it away."""
    viewer = current_user._get_current_object()
    kind = request.form.get("kind", "")
    try:
        if request.form.get("remove"):
            learning.remove_item_media(viewer, slug, item_id, kind)
            flash(_("Removed."), "success")
        else:
            upload = request.files.get(learning.MEDIA_FIELD)
            data = upload.read() if upload is not None else None
            learning.set_item_media(viewer, slug, item_id, kind, data)
            flash(_("Uploaded."), "success")
    except Invalid as refused:
        course, items = learning.items_with_media(viewer, slug)
        return render_page("admin/course_media.html", status=422, course=course, items=items,
                           refused_item=item_id, problems=refused.fields.get(learning.MEDIA_FIELD, []))
    return redirect(url_for("admin.course_media", slug=slug) + f"#item-{item_id}")
