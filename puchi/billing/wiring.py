"""How billing plugs into the app: its webhook endpoint, its outbox job, and premium's unlimited hearts
through progress's seam (progress asks billing's service; neither reads the other's tables)."""

from __future__ import annotations

from flask import Flask

from puchi.billing import data_registry, services, tasks, views, webhooks
from puchi.core import outbox
from puchi.progress import services as progress


def init_app(app: Flask) -> None:
    data_registry.register(app)  # the personal-data registry (GDPR export and deletion)
    app.register_blueprint(views.bp)
    progress.add_unlimited_hearts_check(app, services.has_premium)
    outbox.add_handler(app, webhooks.PROCESS_JOB, tasks.process_stripe_event)
