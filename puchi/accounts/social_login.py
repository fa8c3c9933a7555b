"""How social login (OpenID Connect) plugs into the app (wiring registers its blueprint): its email, and
the template helpers that put its buttons on the log-in and sign-up pages and its section on the account page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response

from puchi.accounts import identities, identity_emails, oidc
from puchi.accounts.models import User
from puchi.core import outbox
from puchi.core.security import CONTENT_SECURITY_POLICY

FORM_ACTION = "form-action 'self'"


def init_app(app: Flask) -> None:
    outbox.add_handler(app, "accounts.identity_link_email", identity_emails.send_link_identity_email)
    app.jinja_env.globals["social_login_providers"] = oidc.providers
    app.jinja_env.globals["social_login_section"] = account_section
    _allow_forms_to_reach_providers(app)


def _allow_forms_to_reach_providers(app: Flask) -> None:
    """A "Continue with …" form posts here and is redirected to the provider: browsers hold that redirect to
    the CSP's ``form-action`` too, so every page (hx-boost keeps the first page's policy) names the providers'
    origins there. The authorization endpoint must share its issuer's origin, as at Google, Apple, Microsoft.
    """
    origins = sorted({f"{urlsplit(settings['issuer']).scheme}://{urlsplit(settings['issuer']).netloc}"
                      for settings in (app.config.get("OIDC_PROVIDERS") or {}).values()})
    if not origins:
        return
    assert FORM_ACTION in CONTENT_SECURITY_POLICY
    policy = CONTENT_SECURITY_POLICY.replace(FORM_ACTION, " ".join([FORM_ACTION, *origins]))

    @app.after_request
    def content_security_policy(response: Response) -> Response:
        # Runs before core's header hook, which only sets the policy where none is set yet.
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


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
