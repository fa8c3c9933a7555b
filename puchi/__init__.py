"""Puchi: a language-learning platform. ``create_app()`` builds the Flask application."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from puchi.accounts import wiring as accounts_wiring
from puchi.admin import wiring as admin_wiring
from puchi.billing import wiring as billing_wiring
from puchi.config import check_production_config, load_config
from puchi.core import (
    cli,
    csrf,
    error_pages,
    events,
    health,
    hooks,
    i18n,
    inputs,
    outbox,
    pages,
    periodic,
    personal_data,
    pwa,
    realtime,
    security,
    storage,
    templating,
    throttle,
)
from puchi.core.db import db
from puchi.core.extensions import compress, init_sock, limiter, migrate
from puchi.learning import wiring as learning_wiring
from puchi.notifications import wiring as notifications_wiring
from puchi.progress import wiring as progress_wiring
from puchi.social import wiring as social_wiring

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from defaults, then the environment, then ``test_config``."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=False,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    check_production_config(app.config)
    if app.config["TRUSTED_PROXIES"]:
        # Behind N proxies we trust, the client is the Nth address from the right of X-Forwarded-For;
        # without this every learner behind the load balancer shares its address (and its rate limits).
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    # Ids in URLs fit the database's integer columns: a larger one is simply not found (not a driver error).
    app.url_map.converters["int"] = BoundedIntConverter
    _init_platform(app)
    for domain in DOMAINS:
        domain.init_app(app)
    if app.config["INLINE_CHORES"] and not app.config.get("REDIS_URL"):
        app.extensions["puchi_chores"] = periodic.InProcessChores(app)
    return app


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _init_platform(app: Flask) -> None:
    """Core's mechanisms, before any domain plugs into them."""
    # The request's shape, then its CSRF token, are checked before any other hook or view reads it.
    inputs.init_app(app)
    csrf.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    compress.init_app(app)
    init_sock(app)
    limiter.init_app(app)
    throttle.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    storage.init_app(app)
    error_pages.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    hooks.init_app(app)
    outbox.init_app(app)
    events.init_app(app)
    periodic.init_app(app)
    personal_data.init_app(app)
    realtime.init_app(app)
    pwa.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)


# In dependency order: a domain's subscribers and gates exist before the domains that act on them run.
DOMAINS = (accounts_wiring, learning_wiring, progress_wiring, social_wiring, notifications_wiring, billing_wiring,
           admin_wiring)
