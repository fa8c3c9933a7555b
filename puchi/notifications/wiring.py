"""How notifications plugs into the app: its pages, push and phone endpoints, commands, the reminder and
report chores, the channels it delivers through, and the events it tells learners about."""

from __future__ import annotations

from flask import Flask

from puchi.core import cli as core_cli
from puchi.core import periodic
from puchi.notifications import (
    channels,
    cli,
    phone_views,
    phones,
    push,
    push_views,
    reminders,
    services,
    sms,
    tasks,
    views,
)


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(push_views.bp)
    app.register_blueprint(phone_views.bp)
    core_cli.add_commands(app, *cli.COMMANDS)
    periodic.add(app, "daily reminders", reminders.send_due_reminders)
    periodic.add(app, "weekly reports", reminders.send_due_reports)
    services.register()
    assert channels and phones and push and sms and tasks  # adapters and handlers register on import (for now)
