"""How accounts plugs into the app: its pages, commands, log-in, demo accounts and emails."""

from __future__ import annotations

from flask import Flask

from puchi.accounts import (
    auth,
    cli,
    guests,
    mfa_views,
    passkey_views,
    privacy_views,
    privacy_wiring,
    services,
    social_login,
    social_login_views,
    tasks,
    views,
)
from puchi.core import cli as core_cli
from puchi.core import outbox, periodic
from puchi.core.extensions import login_manager


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(mfa_views.bp)  # MFA: second step, security page, step-up
    app.register_blueprint(passkey_views.bp)  # MFA: passkeys (WebAuthn)
    app.register_blueprint(privacy_views.bp)  # GDPR export and deletion, consents, devices
    auth.init_login(app, login_manager)
    core_cli.add_commands(app, *cli.COMMANDS)
    core_cli.add_demo_loader(app, cli.load_demo_accounts, order=10)
    guests.init_app(app)  # guests (trying a lesson before signing up) keep to the pages open to them
    periodic.add(app, "remove idle guests", services.remove_idle_guests)
    outbox.add_handler(app, "accounts.verification_email", tasks.send_verification_email)
    outbox.add_handler(app, "accounts.password_reset_email", tasks.send_password_reset_email)
    outbox.add_handler(app, "accounts.no_account_email", tasks.send_no_account_email)
    outbox.add_handler(app, "accounts.password_changed_email", tasks.send_password_changed_email)
    outbox.add_handler(app, "accounts.email_change_notice", tasks.send_email_change_notice)
    outbox.add_handler(app, "accounts.account_exists_email", tasks.send_account_exists_email)
    app.register_blueprint(social_login_views.bp)  # social login (OpenID Connect)
    social_login.init_app(app)
    privacy_wiring.init_app(app)
