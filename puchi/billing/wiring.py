"""How billing plugs into the app: its webhook endpoint, its outbox jobs, the family pages, and premium's
perks through the seams of progress (unlimited hearts) and learning (offline downloads, extra practice
modes): they ask billing's service; none reads another's tables."""

from __future__ import annotations

from flask import Flask

from puchi.billing import family, family_views, services, tasks, views, webhooks
from puchi.core import outbox
from puchi.learning import services as learning
from puchi.progress import services as progress


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(family_views.bp)
    progress.add_unlimited_hearts_check(app, services.has_premium)
    learning.add_unlimited_offline_downloads_check(app, services.has_unlimited_offline_downloads)
    learning.add_extra_practice_modes_check(app, services.has_extra_practice_modes)
    outbox.add_handler(app, webhooks.PROCESS_JOB, tasks.process_stripe_event)
    outbox.add_handler(app, family.SEND_JOB, tasks.send_family_invitation)
