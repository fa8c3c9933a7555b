"""How billing plugs into the app: its webhook endpoint, its outbox job, and premium's unlimited hearts
through progress's seam (progress asks billing's service; neither reads the other's tables)."""

from __future__ import annotations

from flask import Flask

from puchi.billing import services, tasks, views
from puchi.progress import services as progress


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    progress.add_unlimited_hearts_check(services.has_premium)
    assert tasks  # its outbox handler registers on import (until handlers live on the app too)
