"""Web Push subscriptions from the browser: JSON in (as ``PushSubscription.toJSON()`` gives it), JSON out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from puchi.core.errors import BadRequest
from puchi.core.inputs import accepts_json, json_body
from puchi.notifications import push

bp = Blueprint("push", __name__)


def _user() -> Any:
    return current_user._get_current_object()


def _json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest(_("Send a JSON object, as PushSubscription.toJSON() gives it."), code="not_a_json_object")
    return body


def devices_text(count: int) -> str:
    return ngettext("%(num)s device gets push notifications.", "%(num)s devices get push notifications.", count)


@bp.app_template_global()
def push_card() -> dict[str, Any]:
    """What the settings page's push card shows: whether the server can push, and the learner's devices."""
    count = push.device_count(_user()) if current_user.is_authenticated else 0
    return {"public_key": push.public_key() if push.configured() else None, "devices": count,
            "devices_text": devices_text(count)}


@bp.post("/push/subscriptions")
@accepts_json
@login_required
def subscribe() -> ResponseReturnValue:
    body = _json_object()
    keys = body.get("keys")
    if not isinstance(keys, dict):
        keys = {}
    subscription = push.subscribe(_user(), body.get("endpoint"), keys.get("p256dh"), keys.get("auth"),
                                  request.user_agent.string)
    return jsonify(endpoint=subscription.endpoint, devices=push.device_count(_user())), 201


@bp.post("/push/subscriptions/delete")
@accepts_json
@login_required
def unsubscribe() -> ResponseReturnValue:
    push.unsubscribe(_user(), _json_object().get("endpoint"))
    return "", 204  # also when there was nothing (left) to delete: the outcome is the same
