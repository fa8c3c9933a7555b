"""Security headers on every response, with a CSP that allows no inline script and no eval."""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


_FORM_TARGETS_KEY = "puchi.csp_form_targets"


def allow_form_target(app: Flask, origin: str) -> None:
    """Let this app's forms lead to ``origin`` too (a form whose answer redirects to a payment provider's page:
    browsers apply ``form-action`` to the redirect as well). Kept on the app, like the other seams."""
    targets: list[str] = app.extensions.setdefault(_FORM_TARGETS_KEY, [])
    if origin not in targets:
        targets.append(origin)


_MEDIA_ORIGINS_KEY = "puchi.csp_media_origins"


def allow_media_origin(app: Flask, origin: str) -> None:
    """Let pages show pictures and play recordings from ``origin`` too (a media bucket)."""
    origins: list[str] = app.extensions.setdefault(_MEDIA_ORIGINS_KEY, [])
    if origin not in origins:
        origins.append(origin)


def content_security_policy(app: Flask) -> str:
    policy = CONTENT_SECURITY_POLICY
    targets = app.extensions.get(_FORM_TARGETS_KEY)
    if targets:
        policy = policy.replace("form-action 'self'", " ".join(["form-action 'self'", *targets]))
    origins = app.extensions.get(_MEDIA_ORIGINS_KEY)
    if origins:
        policy = policy.replace("img-src 'self' data:", " ".join(["img-src 'self' data:", *origins]))
        policy = policy.replace("media-src 'self'", " ".join(["media-src 'self'", *origins]))
    return policy


def init_app(app: Flask) -> None:
    production = app.config["ENV_NAME"] == "production"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(app))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), geolocation=(), payment=(), usb=()")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if response.mimetype == "text/html":
            # Pages can hold personal data: never let a shared cache keep them.
            headers.setdefault("Cache-Control", "no-store")
        return response
