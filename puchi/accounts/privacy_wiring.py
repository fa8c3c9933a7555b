"""How accounts' privacy features plug in (called by accounts' wiring): the personal-data registry, the
export and deletion jobs and chores, consents at sign-up, and device naming at log-in."""

from __future__ import annotations

from typing import Any

from flask import Flask

from puchi.accounts import consents, data_registry, deletion, devices, exports, privacy_tasks
from puchi.accounts.events import LoggedIn, UserSignedUp
from puchi.core import events, outbox, periodic


def init_app(app: Flask) -> None:
    data_registry.register(app)
    app.add_template_global(devices.label, "device_label")
    events.subscribe(app, LoggedIn, devices.on_logged_in)
    events.subscribe(app, UserSignedUp, _consents_at_sign_up)
    outbox.add_handler(app, "accounts.build_export", exports.build_and_send)
    outbox.add_handler(app, "accounts.deletion_scheduled_email", privacy_tasks.send_deletion_scheduled_email)
    outbox.add_handler(app, "accounts.deletion_cancelled_email", privacy_tasks.send_deletion_cancelled_email)
    outbox.add_handler(app, "accounts.new_device_email", privacy_tasks.send_new_device_email)
    periodic.add(app, "expire data exports", exports.expire_exports)
    periodic.add(app, "erase deleted accounts", deletion.erase_due_accounts)


def _consents_at_sign_up(row: events.Event, _event: Any) -> None:
    if row.actor_id is not None:
        consents.at_sign_up(row.actor_id)
