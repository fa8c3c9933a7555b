"""The notification centre: the list, marking read, and the unread count in the header."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from puchi.core.htmx import render_page
from puchi.notifications import services

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
