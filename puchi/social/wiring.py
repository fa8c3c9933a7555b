"""How social plugs into the app: its pages and what it does when accounts are made."""

from __future__ import annotations

from flask import Flask

from puchi.accounts.events import UserCreated, UserSignedUp
from puchi.core import events, hooks, outbox
from puchi.social import data_registry, sections, services, tasks, views


def init_app(app: Flask) -> None:
    data_registry.register(app)  # the personal-data registry (GDPR export and deletion)
    app.register_blueprint(views.bp)
    hooks.add_section(app, "account", sections.account_section, order=20)  # before billing's "Your plan"
    events.subscribe(app, UserSignedUp, services.on_user_created)
    events.subscribe(app, UserCreated, services.on_user_created)
    outbox.add_handler(app, "social.push_message", tasks.push_message)
