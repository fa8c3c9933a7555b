"""How billing plugs into the app: its webhook endpoint and its pages (plans, checkout, portal, receipts,
family), its outbox jobs, the grace-period banner and the account page's "Your plan" and receipts sections
(core's page sections), Stripe's hosted pages as form targets in the CSP, and premium's perks through the seams
of progress (unlimited hearts) and learning (offline downloads, extra practice modes): they ask billing's
service; none reads another's tables."""

from __future__ import annotations

from flask import Flask

from puchi.billing import (
    data_registry,
    family,
    family_views,
    plan_status,
    plan_views,
    prices,
    receipt_views,
    sections,
    services,
    stripe_client,
    tasks,
    views,
    webhooks,
)
from puchi.core import hooks, outbox, security
from puchi.learning import services as learning
from puchi.progress import services as progress


def init_app(app: Flask) -> None:
    data_registry.register(app)  # the personal-data registry (GDPR export and deletion)
    app.register_blueprint(views.bp)
    app.register_blueprint(receipt_views.bp)
    app.register_blueprint(plan_views.bp)
    app.register_blueprint(family_views.bp)
    prices.init_app(app)
    hooks.add_section(app, "banner", sections.grace_banner)
    hooks.add_section(app, "account", plan_status.account_section)
    hooks.add_section(app, "account", sections.account_receipts, order=60)
    hooks.add_section(app, "out_of_hearts", sections.super_offer, order=60)  # after progress's gems and wait
    hooks.add_section(app, "practice_hub", sections.super_practice)
    if app.config.get("STRIPE_SECRET_KEY") and app.config.get("STRIPE_WEBHOOK_SECRET"):
        for origin in stripe_client.hosted_page_origins(app.config):
            security.allow_form_target(app, origin)  # checkout and portal forms answer with a redirect to Stripe
    progress.add_unlimited_hearts_check(app, services.has_premium)
    learning.add_unlimited_offline_downloads_check(app, services.has_unlimited_offline_downloads)
    learning.add_extra_practice_modes_check(app, services.has_extra_practice_modes)
    outbox.add_handler(app, webhooks.PROCESS_JOB, tasks.process_stripe_event)
    outbox.add_handler(app, family.SEND_JOB, tasks.send_family_invitation)
