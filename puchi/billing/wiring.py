"""How billing plugs into the app: its webhook endpoint, its outbox job, and premium's unlimited hearts
through progress's seam (progress asks billing's service; neither reads the other's tables)."""

from __future__ import annotations

from flask import Flask

from puchi.billing import plan_status, plan_views, prices, services, tasks, views, webhooks
from puchi.core import hooks, outbox
from puchi.progress import services as progress


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(plan_views.bp)
    prices.init_app(app)
    hooks.add_section(app, "account", plan_status.account_section)
    progress.add_unlimited_hearts_check(app, services.has_premium)
    outbox.add_handler(app, webhooks.PROCESS_JOB, tasks.process_stripe_event)
