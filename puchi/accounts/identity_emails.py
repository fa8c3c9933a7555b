"""Outbox handler of social login: the email that lets an account's owner link a provider's account to it."""

from __future__ import annotations

from typing import Any

from puchi.accounts import identities, oidc
from puchi.accounts.models import User
from puchi.core import mail
from puchi.core.db import db
from puchi.core.errors import NotFound


def send_link_identity_email(payload: dict[str, Any]) -> None:
    user = db.session.get(User, int(payload["user_id"]))
    email = str(payload["email"])
    if user is None or user.email != email:
        return  # the account or its address changed since: the link would not work anyway
    claims = oidc.VerifiedIdentity(provider=str(payload["provider"]), subject=str(payload["subject"]), email=email,
                                   email_verified=True, name=payload.get("name"))
    try:
        provider_name = oidc.provider(claims.provider).display_name
    except NotFound:
        return  # the provider is no longer configured
    link = mail.absolute_url("social_login.confirm_link", token=identities.link_token(user, claims))
    mail.send(mail.render_message("link_identity", to=user.email, locale=user.locale, user=user, link=link,
                                  provider_name=provider_name))
