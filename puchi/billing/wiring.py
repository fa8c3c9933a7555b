"""How billing plugs into the app: its webhook endpoint and receipts pages, its outbox job, the grace-period
banner and the account page's receipts card (core's page sections), and premium's unlimited hearts through
progress's seam (progress asks billing's service; neither reads the other's tables)."""

from __future__ import annotations

from flask import Flask

from puchi.billing import receipt_views, sections, services, tasks, views, webhooks
from puchi.core import hooks, outbox
from puchi.progress import services as progress


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(receipt_views.bp)
    hooks.add_section(app, "banner", sections.grace_banner)
    hooks.add_section(app, "account", sections.account_receipts, order=60)
    progress.add_unlimited_hearts_check(app, services.has_premium)
    outbox.add_handler(app, webhooks.PROCESS_JOB, tasks.process_stripe_event)
