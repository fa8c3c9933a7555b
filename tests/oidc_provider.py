"""A local OpenID Connect provider speaking the real protocol, for Puchi's client to talk to in tests.

- ``GET /.well-known/openid-configuration``: the discovery document.
- ``GET /authorize``: checks client id, redirect URI, response type, scope and the PKCE challenge (S256),
  then redirects back with ``code`` and ``state`` for the user set by the test (auto-approval), or with
  ``error=access_denied`` when none is.
- ``POST /token``: checks client authentication (HTTP Basic), the code (one use only), its redirect URI and
  the PKCE verifier; answers with an access token and an id_token signed RS256 by a real RSA key.
- ``GET /jwks``: the public key set.

Tests choose who logs in (:meth:`OidcProvider.approve`), can spoil the next id_token (another audience,
expired, another key, another nonce, another issuer), or take the provider down (every request 503s).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "puchi-test-client"
CLIENT_SECRET = "puchi-test-secret"  # noqa: S105 - a test fixture's secret


@dataclass
class User:
    """Who the provider says logs in."""

    subject: str
    email: str | None
    email_verified: bool = True
    name: str | None = "Ana Lima"


@dataclass
class Grant:
    user: User
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None


@dataclass
class OidcProvider:
    issuer: str = ""
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "key-1"}))
    approved: User | None = None
    down: bool = False
    spoil: dict[str, Any] = field(default_factory=dict)  # claims to override in the next id_token
    sign_with: RSAKey | None = None  # a key other than the published one, for the next id_token
    grants: dict[str, Grant] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    token_errors: list[str] = field(default_factory=list)  # why /token refused, as OAuth error codes
    issued: list[str] = field(default_factory=list)  # every code and token handed out (none may be logged)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def approve(self, user: User | None) -> None:
        self.approved = user

    # --- the endpoints -----------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        """(status, headers) for the browser: a redirect back to the client, or 400 for a bad request."""
        redirect_uri = query.get("redirect_uri", "")
        if (query.get("client_id") != self.client_id or not redirect_uri or query.get("response_type") != "code"
                or "openid" not in query.get("scope", "").split() or query.get("code_challenge_method") != "S256"
                or not query.get("code_challenge")):
            return 400, {}
        back = {"state": query.get("state", "")}
        if self.approved is None:
            back["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.grants[code] = Grant(user=self.approved, client_id=self.client_id, redirect_uri=redirect_uri,
                                          code_challenge=query["code_challenge"], nonce=query.get("nonce"))
            back["code"] = code
            self.issued.append(code)
        return 302, {"Location": f"{redirect_uri}?{urlencode(back)}"}

    def token(self, headers: Any, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not self._client_authenticated(headers.get("Authorization", "")):
            return self._refuse(401, "invalid_client")
        if form.get("grant_type") != "authorization_code":
            return self._refuse(400, "unsupported_grant_type")
        code = form.get("code", "")
        with self.lock:
            grant = self.grants.pop(code, None)
            replayed = code in self.used_codes
            self.used_codes.add(code)
        if grant is None or replayed:
            return self._refuse(400, "invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._refuse(400, "invalid_grant")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(challenge, grant.code_challenge):
            return self._refuse(400, "invalid_grant")
        access_token, id_token = secrets.token_urlsafe(24), self.id_token(grant)
        self.issued += [access_token, id_token]
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600,
                     "scope": "openid email profile", "id_token": id_token}

    def id_token(self, grant: Grant) -> str:
        current = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": grant.user.subject, "aud": grant.client_id,
                                  "iat": current, "exp": current + 300, "auth_time": current}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if grant.user.email is not None:
            claims["email"], claims["email_verified"] = grant.user.email, grant.user.email_verified
        if grant.user.name is not None:
            claims["name"] = grant.user.name
        claims.update(self.spoil)
        key = self.sign_with or self.key
        self.spoil, self.sign_with = {}, None
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def _client_authenticated(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def _refuse(self, status: int, error: str) -> tuple[int, dict[str, Any]]:
        self.token_errors.append(error)
        return status, {"error": error}


def _handler(provider: OidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            provider.requests.append(("GET", url.path))
            if provider.down:
                return self._json(503, {"error": "temporarily_unavailable"})
            if url.path == "/.well-known/openid-configuration":
                return self._json(200, provider.discovery())
            if url.path == "/jwks":
                return self._json(200, provider.jwks())
            if url.path == "/authorize":
                status, headers = provider.authorize(dict(parse_qsl(url.query)))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            provider.requests.append(("POST", url.path))
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if provider.down:
                return self._json(503, {"error": "temporarily_unavailable"})
            if url.path == "/token":
                status, body = provider.token(self.headers, form)
                return self._json(status, body)
            return self._json(404, {"error": "not_found"})

    return Handler


@contextmanager
def running_provider() -> Iterator[OidcProvider]:
    """A provider listening on a free loopback port until the block ends."""
    provider = OidcProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
