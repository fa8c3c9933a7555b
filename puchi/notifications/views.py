"""The notification centre (the list, marking read, the unread count in the header, the live socket) and the
notification settings (channels per kind, the schedule, the send log, unsubscribing)."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from simple_websocket import ConnectionClosed

from puchi.core import realtime
from puchi.core.csrf import csrf_exempt
from puchi.core.db import db
from puchi.core.errors import Invalid
from puchi.core.extensions import sock
from puchi.core.forms import apply_errors
from puchi.core.htmx import render_page
from puchi.notifications import channels, schedule, services
from puchi.notifications.forms import ScheduleForm
from puchi.notifications.models import ALWAYS_ON, CHANNELS, KIND_CHANNELS

bp = Blueprint("notifications", __name__)


def _user():
    return current_user._get_current_object()


@bp.app_context_processor
def bell() -> dict[str, object]:
    if not (current_user and current_user.is_authenticated):
        return {}
    user = _user()

    class _Count:  # counted only when a full page shows the header
        def __str__(self) -> str:
            return str(self.value)

        @property
        def value(self) -> int:
            if not hasattr(self, "_value"):
                self._value = services.unread_count(user)
            return self._value

    return {"unread_notifications": _Count()}


@bp.app_template_global("notification_line")
def notification_line(notification: Any) -> str:
    """The notification's one line of text (see :func:`channels.line`): escaped where HTML shows it."""
    return channels.line(notification)


def _same_site(origin: str, host: str) -> bool:
    """Browsers always send Origin on WebSockets: only pages of this site (or the configured address) may open one."""
    if not origin:
        return False
    parts = urlsplit(origin)
    allowed = {host, urlsplit(current_app.config["BASE_URL"]).netloc}
    # Some clients send Host without the port: then the host name must still match.
    return parts.netloc in allowed or (":" not in host and parts.hostname == host)


@bp.before_request
def refuse_foreign_sockets() -> ResponseReturnValue | None:
    """The live channel is refused at the handshake (403, no socket accepted) to anyone but a signed-in learner
    on one of this site's pages. Accepting and then closing it raced: a close frame that arrived with the
    handshake's answer stayed unread by the client until the next bytes came."""
    if request.endpoint != "notifications.live":
        return None
    if current_user.is_authenticated and _same_site(request.headers.get("Origin", ""), request.host):
        return None
    return "", 403


@sock.route("/ws", bp=bp)
def live(socket: Any) -> None:
    """The learner's real-time channel: authenticated by the session cookie, from this site's pages only
    (checked before the handshake by :func:`refuse_foreign_sockets`)."""
    stay_connected(socket, _user(), frozenset(request.args.getlist("watch")) & realtime.topics())


def stay_connected(socket: Any, user: Any, topics: frozenset[str] = frozenset()) -> None:
    """Hold the learner's socket open until the tab closes it. A closed connection ends quietly; anything
    else is a fault of ours or of the server: it is logged, and the socket closed, so the tab reconnects."""
    # Subscribed before the catch-up is counted, so nothing raised from here on is missed; the catch-up is
    # also the tab's sign that it is live (the page marks #realtime data-live="open" when it arrives).
    # The listener thread needs the app itself; Flask types current_app as the app, not as its proxy.
    realtime.start_listener(current_app._get_current_object())  # type: ignore[attr-defined]
    realtime.sockets.add(user.id, socket, topics)
    try:
        # Catch up on what happened while the tab was away: the list is the truth, the socket a nudge.
        socket.send(render_template("notifications/_live.html", notification=None,
                                    unread=services.unread_count(user)))
        db.session.remove()  # hold no database connection while the socket stays open
        while True:
            socket.receive()  # messages from the tab are not expected; this waits for it to close
    except ConnectionClosed:  # the tab closed, or the server is stopping
        pass
    except Exception:
        current_app.logger.exception("the live socket of user %s failed", user.id)
        with contextlib.suppress(Exception):  # it may be broken beyond closing
            socket.close(reason=1011, message="server error")
    finally:
        realtime.sockets.remove(user.id, socket)
        db.session.remove()


@bp.get("/notifications")
@login_required
def centre() -> ResponseReturnValue:
    return render_page("notifications/centre.html", "notification_list", notifications=services.latest(_user()))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int) -> ResponseReturnValue:
    services.mark_read(_user(), notification_id)
    return redirect(url_for("notifications.centre"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read() -> ResponseReturnValue:
    services.mark_all_read(_user())
    return redirect(url_for("notifications.centre"))


def _settings_page(schedule_form: ScheduleForm, status: int = 200) -> ResponseReturnValue:
    names = {"followed": _("Someone follows you"), "cheer": _("A friend cheers you on"),
             "nudge": _("A friend nudges you to practise"),
             "achievement": _("You unlock an achievement"), "promoted": _("You move up a league"),
             "demoted": _("You move down a league"), "reminder": _("Daily practice reminder"),
             "weekly": _("Weekly progress report"), "billing_welcome": _("Welcome to Puchi Super"),
             "trial_ending": _("Your free trial is ending"), "payment_failed": _("A payment failed"),
             "payment_action": _("A payment needs your confirmation"), "receipt": _("Receipts"),
             "report_outcome": _("The outcome of your reports"), "moderation_warning": _("Warnings from moderators")}
    channel_names = {"email": _("Email"), "push": _("Push"), "sms": _("SMS")}
    days = [(str(day), format_date(date(2026, 1, 5) + timedelta(days=day), "EEEE")) for day in range(7)]
    return render_page("notifications/settings.html", status=status,
                       preferences=channels.preferences(_user()),
                       kinds=[(kind, names[kind], KIND_CHANNELS[kind]) for kind in KIND_CHANNELS],
                       channels=[(channel, channel_names[channel]) for channel in CHANNELS],
                       schedule_form=schedule_form, weekdays=days, timezone=_user().timezone,
                       sends=channels.recent_deliveries(_user()), kind_names=names, channel_names=channel_names,
                       always_on=ALWAYS_ON)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    if request.method == "POST":
        chosen = {tuple(value.split(":", 1)) for value in request.form.getlist("on") if ":" in value}
        try:
            channels.set_preferences(_user(), chosen)  # type: ignore[arg-type]
        except Invalid as error:  # an unknown kind or channel: someone edited the form
            flash(str(error.message), "error")
        else:
            flash(_("Saved."), "success")
        return redirect(url_for("notifications.settings"))
    return _settings_page(ScheduleForm.showing(schedule.schedule_of(_user())))


@bp.post("/account/notifications/schedule")
@login_required
def save_schedule() -> ResponseReturnValue:
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            chosen = schedule.parse_schedule(
                reminders_on=bool(form.reminders_on.data), reminder_time=form.reminder_time.data or "",
                quiet_start=form.quiet_start.data or "", quiet_end=form.quiet_end.data or "",
                weekly_on=bool(form.weekly_on.data), weekly_day=form.weekly_day.data or "")
        except Invalid as error:
            apply_errors(form, error)
        else:
            schedule.save_schedule(_user(), chosen)
            flash(_("Saved."), "success")
            return redirect(url_for("notifications.settings") + "#schedule")
    return _settings_page(form, status=422)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a form; the signed token is the proof
def unsubscribe(token: str) -> ResponseReturnValue:
    if request.method == "POST":
        channels.unsubscribe(token)
        return render_page("notifications/unsubscribed.html")
    return render_page("notifications/unsubscribe.html", token=token)
