"""How social login (OpenID Connect) plugs into the app (wiring registers its blueprint): its email, and
the template helpers that put its buttons on the log-in and sign-up pages and its section on the account page."""

from __future__ import annotations

from typing import Any

from flask import Flask

from puchi.accounts import identities, identity_emails, oidc
from puchi.accounts.models import User
from puchi.core import outbox


def init_app(app: Flask) -> None:
    outbox.add_handler(app, "accounts.identity_link_email", identity_emails.send_link_identity_email)
    app.jinja_env.globals["social_login_providers"] = oidc.providers
    app.jinja_env.globals["social_login_section"] = account_section


def account_section(user: User) -> dict[str, Any]:
    """The account page's "Linked accounts": the learner's identities and the providers they may still link."""
    linked = identities.identities_of(user)
    configured = oidc.providers()
    names = {provider.name: provider.display_name for provider in configured}
    names.update({identity.provider: identity.provider.title() for identity in linked
                  if identity.provider not in names})
    taken = {identity.provider for identity in linked}
    return {"identities": linked, "linkable": [p for p in configured if p.name not in taken], "names": names,
            "has_password": identities.has_password(user)}
