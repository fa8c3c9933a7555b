"""How the admin UI plugs into the app."""

from __future__ import annotations

from flask import Flask

from puchi.admin import learner_views, moderation_views, studio_views, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(learner_views.bp)
    app.register_blueprint(moderation_views.bp)
    app.register_blueprint(studio_views.bp)
