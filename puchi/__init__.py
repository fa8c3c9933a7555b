"""Puchi: a language-learning platform. ``create_app()`` builds the Flask application."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from puchi.config import check_production_config, load_config

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
    _init_extensions(app)
    _register_blueprints(app)
    if app.config["INLINE_CHORES"] and not app.config.get("REDIS_URL"):
        from puchi.core import periodic

        app.extensions["puchi_chores"] = periodic.InProcessChores(app)
    return app


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _init_extensions(app: Flask) -> None:
    from puchi.core import cli, csrf, error_pages, i18n, inputs, security, templating, throttle
    from puchi.core.db import db
    from puchi.core.extensions import compress, limiter, login_manager, migrate, sock

    # The request's shape, then its CSRF token, are checked before any other hook or view reads it.
    inputs.init_app(app)
    csrf.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    compress.init_app(app)
    sock.init_app(app)
    limiter.init_app(app)
    throttle.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    error_pages.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    import puchi.learning.cli  # noqa: F401 - registers its commands on the puchi group
    import puchi.notifications.cli  # noqa: F401 - likewise
    from puchi.accounts import auth

    auth.init_login(app, login_manager)
    # Import every domain's models and outbox handlers so metadata and the job registry are complete.
    import puchi.accounts.models
    import puchi.accounts.tasks
    import puchi.core.events
    import puchi.core.outbox
    import puchi.learning.models
    import puchi.notifications.channels
    import puchi.notifications.models
    import puchi.notifications.phones
    import puchi.notifications.push
    import puchi.notifications.sms
    import puchi.notifications.tasks
    import puchi.progress.models
    import puchi.progress.tasks
    import puchi.social.models
    import puchi.social.tasks  # noqa: F401
    from puchi.learning import services as learning
    from puchi.notifications import services as notifications
    from puchi.progress import services as progress
    from puchi.social import services as social

    learning.register()
    progress.register()
    notifications.register()
    social.register()


def _register_blueprints(app: Flask) -> None:
    from puchi.accounts.views import bp as accounts_bp
    from puchi.admin.views import bp as admin_bp
    from puchi.core.health import bp as health_bp
    from puchi.core.pages import bp as pages_bp
    from puchi.core.pwa import bp as pwa_bp
    from puchi.learning.views import bp as learning_bp
    from puchi.notifications.phone_views import bp as phone_bp
    from puchi.notifications.push_views import bp as push_bp
    from puchi.notifications.views import bp as notifications_bp
    from puchi.progress.views import bp as progress_bp
    from puchi.social.views import bp as social_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(social_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(push_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(phone_bp)
