"""How the admin UI plugs into the app."""

from __future__ import annotations

from flask import Flask

from puchi.admin import studio_views, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(studio_views.bp)
