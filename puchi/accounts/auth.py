"""flask-login wiring: the login cookie names a server-side session, checked on every request."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from puchi.accounts import services
from puchi.accounts.models import User


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.log_in"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.login_message_category = "info"
    # The server-side session check already ties the cookie to one login; "strong" would also log out
    # learners whose phone changes networks.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(login_id: str) -> User | None:
        return services.load_session_user(login_id)
