"""The OpenID Connect client: the providers configured, their discovery documents and keys, and the
authorization code flow (state + nonce + PKCE S256) up to a validated ``id_token``.

Authlib speaks OAuth 2.0 (authorization URL, code exchange with client authentication and the PKCE
verifier); joserfc checks the ``id_token``: RS256/ES256 signature by a key of the provider's JWKS, issuer,
audience, expiry, issued-at and nonce. Nothing here touches the database: the views keep the flow's secrets in
the signed session cookie between the redirect and the callback, and the services decide what a validated
identity means for an account.

No code, token or secret is ever logged: failures are logged by provider and kind only.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from flask_babel import lazy_gettext as _l
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from puchi.core.errors import BadRequest, NotFound, ServiceError

log = logging.getLogger(__name__)

SCOPES = "openid email profile"
ID_TOKEN_ALGORITHMS = ["RS256", "ES256"]
CLOCK_LEEWAY_SECONDS = 60
_KNOWN_NAMES = {"google": "Google", "github": "GitHub", "apple": "Apple", "microsoft": "Microsoft",
                "gitlab": "GitLab", "facebook": "Facebook"}


class ProviderUnavailable(ServiceError):
    """The provider did not answer, or answered nonsense: nothing the learner did wrong."""

    status_code = 503
    default_message = _l("The sign-in service is not answering right now.")
    code = "provider_unavailable"


def refused(code: str) -> BadRequest:
    """A sign-in answer that cannot be trusted (forged state, bad token...): one message, a precise code."""
    return BadRequest(_l("This sign-in could not be completed."), code=code)


@dataclass(frozen=True)
class Provider:
    name: str  # the configured name, lower case: what URLs and identities use
    display_name: str
    issuer: str
    client_id: str
    secret: str


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and what the callback must find again."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class VerifiedIdentity:
    """The claims of a validated id_token that Puchi uses."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


def providers() -> list[Provider]:
    """Every configured provider, in name order (the order of the buttons)."""
    configured: dict[str, dict[str, str]] = current_app.config.get("OIDC_PROVIDERS") or {}
    return [Provider(name=name, display_name=settings.get("name") or _KNOWN_NAMES.get(name, name.title()),
                     issuer=settings["issuer"].rstrip("/"), client_id=settings["client_id"],
                     secret=settings["secret"])
            for name, settings in sorted(configured.items())]


def provider(name: str) -> Provider:
    """:raises NotFound: no provider of that name is configured."""
    for candidate in providers():
        if candidate.name == name:
            return candidate
    raise NotFound


# --- Discovery and keys, cached per process ------------------------------------------------------

class _Cache:
    """Documents by URL for OIDC_CACHE_SECONDS: every process may keep its own copy (nothing to share)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, url: str, max_age: float) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(url)
        if entry is None or time.monotonic() - entry[0] > max_age:
            return None
        return entry[1]

    def put(self, url: str, document: dict[str, Any]) -> None:
        with self._lock:
            self._entries[url] = (time.monotonic(), document)

    def forget(self, url: str) -> None:
        with self._lock:
            self._entries.pop(url, None)


def _cache() -> _Cache:
    cache: _Cache = current_app.extensions.setdefault("puchi_oidc_cache", _Cache())
    return cache


def _fetch_json(the_provider: Provider, url: str, *, fresh: bool = False) -> dict[str, Any]:
    cache = _cache()
    document = None if fresh else cache.get(url, current_app.config["OIDC_CACHE_SECONDS"])
    if document is not None:
        return document
    try:
        response = requests.get(url, timeout=current_app.config["OIDC_HTTP_TIMEOUT"],
                                headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("oidc provider %s: fetching %s failed (%s)", the_provider.name, url, type(error).__name__)
        raise ProviderUnavailable from error
    if not isinstance(document, dict):
        raise ProviderUnavailable
    cache.put(url, document)
    return document


def discovery(the_provider: Provider) -> dict[str, Any]:
    """The provider's ``/.well-known/openid-configuration``, checked to be its own.

    :raises ProviderUnavailable: it cannot be fetched, names another issuer, or lacks an endpoint.
    """
    url = f"{the_provider.issuer}/.well-known/openid-configuration"
    document = _fetch_json(the_provider, url)
    endpoints = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if str(document.get("issuer", "")).rstrip("/") != the_provider.issuer or not all(
            isinstance(document.get(key), str) for key in endpoints):
        _cache().forget(url)
        log.warning("oidc provider %s: discovery document does not match the issuer", the_provider.name)
        raise ProviderUnavailable
    return document


def _key_set(the_provider: Provider, *, fresh: bool = False) -> KeySet:
    document = _fetch_json(the_provider, discovery(the_provider)["jwks_uri"], fresh=fresh)
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        log.warning("oidc provider %s: unreadable JWKS", the_provider.name)
        raise ProviderUnavailable from error


# --- The authorization code flow ------------------------------------------------------------------

def _session(the_provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(client_id=the_provider.client_id, client_secret=the_provider.secret, scope=SCOPES,
                         redirect_uri=redirect_uri, code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic")  # noqa: S106 - a method name


def authorization(the_provider: Provider, redirect_uri: str) -> Authorization:
    """The provider's authorization URL for a new flow, with fresh state, nonce and PKCE verifier.

    :raises ProviderUnavailable: the discovery document cannot be had.
    """
    endpoint = discovery(the_provider)["authorization_endpoint"]
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    with _session(the_provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(endpoint, state=state, nonce=nonce, code_verifier=verifier)
    return Authorization(url=url, state=state, nonce=nonce, code_verifier=verifier)


def complete(the_provider: Provider, *, redirect_uri: str, code: str, code_verifier: str,
             nonce: str) -> VerifiedIdentity:
    """Exchange the callback's code for tokens and validate the id_token.

    :raises ProviderUnavailable: the provider cannot be reached or answers with a server error.
    :raises BadRequest: the provider refused the code (``code_refused``), or the id_token is missing or fails
        a check (``id_token_invalid``).
    """
    token_endpoint = discovery(the_provider)["token_endpoint"]
    try:
        with _session(the_provider, redirect_uri) as client:
            tokens = client.fetch_token(token_endpoint, grant_type="authorization_code", code=code,
                                        code_verifier=code_verifier,
                                        timeout=current_app.config["OIDC_HTTP_TIMEOUT"])
    except OAuthError as error:
        log.warning("oidc provider %s: code refused (%s)", the_provider.name, error.error)
        raise refused("code_refused") from error
    except (requests.RequestException, ValueError) as error:
        log.warning("oidc provider %s: token request failed (%s)", the_provider.name, type(error).__name__)
        raise ProviderUnavailable from error
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        log.warning("oidc provider %s: no id_token in the token response", the_provider.name)
        raise refused("id_token_invalid")
    return validate_id_token(the_provider, id_token, nonce=nonce)


def validate_id_token(the_provider: Provider, id_token: str, *, nonce: str) -> VerifiedIdentity:
    """Check the id_token's signature (a key of the provider's JWKS, fetched again once for a new key id),
    issuer, audience, expiry, issued-at and nonce.

    :raises BadRequest: ``id_token_invalid``.
    """
    try:
        key_id = jws.extract_compact(id_token.encode()).protected.get("kid")
        keys = _key_set(the_provider)
        if key_id and not any(key.kid == key_id for key in keys.keys):
            keys = _key_set(the_provider, fresh=True)  # the provider may have rotated its keys
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": the_provider.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": the_provider.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        log.warning("oidc provider %s: id_token rejected (%s)", the_provider.name, type(error).__name__)
        raise refused("id_token_invalid") from error
    claims = token.claims
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != the_provider.client_id:
        log.warning("oidc provider %s: id_token for several audiences without us as azp", the_provider.name)
        raise refused("id_token_invalid")
    email = claims.get("email")
    verified = claims.get("email_verified")
    return VerifiedIdentity(
        provider=the_provider.name, subject=str(claims["sub"])[:255],
        email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
        # Some providers send "true" as a string; anything else is not a confirmation.
        email_verified=verified is True or verified == "true",
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
    )
