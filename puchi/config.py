"""Configuration read from the environment (12-factor), with embedded defaults that need nothing installed."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production, see check_production_config


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _intervals(value: str | None, default: list[int]) -> list[int]:
    if not value:
        return default
    return [int(part) for part in value.split(",") if part.strip()]


def _band(value: str | None, default: tuple[float, float]) -> tuple[float, float]:
    """A success-rate band: "0.80-0.85" (or one number, a band of its own), each within 0.5..0.99."""
    if not value:
        return default
    low, _, high = value.partition("-")
    band = (float(low), float(high or low))
    if not 0.5 <= band[0] <= band[1] <= 0.99:
        raise ValueError(f"PUCHI_TARGET_SUCCESS must be a band within 0.5-0.99, like 0.80-0.85, not {value!r}")
    return band


# --- Social login (OpenID Connect) providers: OIDC_<NAME>_ISSUER / _CLIENT_ID / _SECRET [/ _NAME] ---
_OIDC_ISSUER = re.compile(r"^OIDC_([A-Z0-9]+)_ISSUER$")


def _oidc_providers(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Every provider with an issuer, a client id and a secret in the environment, by lower-case name."""
    providers = {}
    for variable, issuer in sorted(env.items()):
        match = _OIDC_ISSUER.match(variable)
        if not match or not issuer.strip():
            continue
        name = match.group(1)
        client_id, secret = env.get(f"OIDC_{name}_CLIENT_ID", ""), env.get(f"OIDC_{name}_SECRET", "")
        if client_id and secret:  # half a configuration is no provider (and no button)
            providers[name.lower()] = {"issuer": issuer.strip().rstrip("/"), "client_id": client_id,
                                       "secret": secret, "name": env.get(f"OIDC_{name}_NAME", "")}
    return providers


def load_config(instance_path: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then the environment: the settings create_app() starts from."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    production = env.get("PUCHI_ENV", "development") == "production"
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'puchi.db'}"
    if database_url.startswith("postgres://"):  # Heroku-style URLs name the old driver
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    redis_url = env.get("REDIS_URL") or None
    return {
        "ENV_NAME": "production" if production else env.get("PUCHI_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "SMTP_URL": env.get("SMTP_URL") or None,
        "MAIL_FROM": env.get("PUCHI_MAIL_FROM", "Puchi <hello@puchi.localhost>"),
        "MAIL_DIR": env.get("PUCHI_MAIL_DIR", str(instance / "mail")),
        "BASE_URL": env.get("PUCHI_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SUPPORTED_LOCALES": ["en", "es", "fr", "ja", "ar"],
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        # Cookies: Secure and __Host- only where TLS terminates in front of us.
        "SESSION_COOKIE_NAME": "__Host-puchi" if production else "puchi_session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_NAME": "__Host-puchi_remember" if production else "puchi_remember",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "SESSION_DAYS": int(env.get("PUCHI_SESSION_DAYS", "30")),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "RATELIMIT_ENABLED": _bool(env.get("PUCHI_RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # A Redis outage must not lock people out: limits fall back to this process's memory meanwhile.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_LOGIN": env.get("PUCHI_RATELIMIT_LOGIN", "10 per minute;60 per hour"),
        "RATELIMIT_SIGNUP": env.get("PUCHI_RATELIMIT_SIGNUP", "5 per minute;30 per hour"),
        # A visitor trying a lesson as a guest: guests made per address, and days an unclaimed one is kept.
        "RATELIMIT_GUEST": env.get("PUCHI_RATELIMIT_GUEST", "5 per minute;20 per hour"),
        "GUEST_IDLE_DAYS": int(env.get("PUCHI_GUEST_IDLE_DAYS", "14")),
        "RATELIMIT_RESET": env.get("PUCHI_RATELIMIT_RESET", "5 per minute;20 per hour"),
        # Failed log-ins per account, from any address: each tier makes a guesser wait longer. Resetting the
        # password is never blocked by it, and a successful reset (or log-in) starts the count again.
        "RATELIMIT_LOGIN_ACCOUNT": env.get("PUCHI_RATELIMIT_LOGIN_ACCOUNT",
                                           "5 per 5 minutes;10 per hour;20 per day"),
        # MFA: code entry per client address, and wrong codes per account from any address.
        "RATELIMIT_MFA": env.get("PUCHI_RATELIMIT_MFA", "10 per minute;60 per hour"),
        # Reports of profiles and messages, per reporter (puchi/social/moderation.py).
        "RATELIMIT_REPORTS": env.get("PUCHI_RATELIMIT_REPORTS", "5 per minute;20 per day"),
        "RATELIMIT_MFA_ACCOUNT": env.get("PUCHI_RATELIMIT_MFA_ACCOUNT", "5 per 5 minutes;15 per hour;30 per day"),
        # Encrypts TOTP secrets at rest; without it a key derived from SECRET_KEY is used.
        "MFA_ENCRYPTION_KEY": env.get("PUCHI_MFA_ENCRYPTION_KEY") or None,
        # Passkeys: the relying party's host name and the browsers' origin; by default those of BASE_URL.
        "WEBAUTHN_RP_ID": env.get("WEBAUTHN_RP_ID") or None,
        "WEBAUTHN_ORIGIN": env.get("WEBAUTHN_ORIGIN") or None,
        # How many proxies in front of us append to X-Forwarded-For (a load balancer: 1). 0 trusts none.
        "TRUSTED_PROXIES": int(env.get("PUCHI_TRUSTED_PROXIES", "0")),
        "TOKEN_MAX_AGE_VERIFY": int(env.get("PUCHI_TOKEN_MAX_AGE_VERIFY", str(60 * 60 * 48))),
        "TOKEN_MAX_AGE_RESET": int(env.get("PUCHI_TOKEN_MAX_AGE_RESET", str(60 * 60))),
        # How long an asked-for email change waits to be confirmed before it lapses.
        "EMAIL_CHANGE_MAX_AGE": int(env.get("PUCHI_EMAIL_CHANGE_MAX_AGE", str(60 * 60 * 48))),
        "JOB_RETRY_INTERVALS": _intervals(env.get("PUCHI_JOB_RETRY_INTERVALS"), [10, 60, 300]),
        "JOB_TIMEOUT": int(env.get("PUCHI_JOB_TIMEOUT", "60")),
        "OUTBOX_STALE_SECONDS": int(env.get("PUCHI_OUTBOX_STALE_SECONDS", "120")),
        "OUTBOX_RELAY_GRACE_SECONDS": float(env.get("PUCHI_OUTBOX_RELAY_GRACE_SECONDS", "20")),
        "RELAY_INTERVAL": float(env.get("PUCHI_RELAY_INTERVAL", "5")),
        # Every-minute chores (league weeks, reminders, weekly reports): the worker runs them; with
        # PUCHI_INLINE_CHORES=1 and no Redis, the web process does (the embedded mode of scripts/run).
        "CHORES_EVERY": float(env.get("PUCHI_CHORES_EVERY", "60")),
        "INLINE_CHORES": _bool(env.get("PUCHI_INLINE_CHORES")),
        # Lessons aim at this share of right answers (learning/lesson_builder.py); the P(correct) model behind it
        # is retrained by a chore once a day when enough new answers came (learning/difficulty_jobs.py).
        "TARGET_SUCCESS": _band(env.get("PUCHI_TARGET_SUCCESS"), (0.80, 0.85)),
        "DIFFICULTY_RETRAIN_HOURS": float(env.get("PUCHI_DIFFICULTY_RETRAIN_HOURS", "24")),
        "DIFFICULTY_MIN_ATTEMPTS": int(env.get("PUCHI_DIFFICULTY_MIN_ATTEMPTS", "500")),
        "DIFFICULTY_MAX_ATTEMPTS": int(env.get("PUCHI_DIFFICULTY_MAX_ATTEMPTS", "50000")),
        "ARGON2_TIME_COST": int(env.get("PUCHI_ARGON2_TIME_COST", "2")),
        "ARGON2_MEMORY_COST": int(env.get("PUCHI_ARGON2_MEMORY_COST", str(19 * 1024))),
        "ARGON2_PARALLELISM": int(env.get("PUCHI_ARGON2_PARALLELISM", "1")),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Uploaded media (item pictures and audio): this folder, or an S3-compatible bucket when configured.
        "MEDIA_DIR": env.get("PUCHI_MEDIA_DIR", str(instance / "media")),
        "S3_ENDPOINT": env.get("PUCHI_S3_ENDPOINT") or None,
        "S3_BUCKET": env.get("PUCHI_S3_BUCKET") or None,
        "S3_ACCESS_KEY": env.get("PUCHI_S3_ACCESS_KEY") or None,
        "S3_SECRET_KEY": env.get("PUCHI_S3_SECRET_KEY") or None,
        "S3_REGION": env.get("PUCHI_S3_REGION", "us-east-1"),
        "S3_PUBLIC_URL": env.get("PUCHI_S3_PUBLIC_URL") or None,  # a public bucket's base URL: no presigning
        # Text to speech for listening exercises (puchi/core/speech.py): "espeak-ng" (when installed), "none",
        # or a cloud engine's class as "package.module:ClassName".
        "TTS_ENGINE": env.get("PUCHI_TTS", "espeak-ng"),
        # WebSocket heartbeats: a silent proxy or a sleeping phone is noticed within half a minute.
        "SOCK_SERVER_OPTIONS": {"ping_interval": 25},
        # Compressed responses: brotli where the browser accepts it, gzip otherwise.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "application/manifest+json", "image/svg+xml"],
        "COMPRESS_MIN_SIZE": 500,
        # Web push: the VAPID key pair identifies this server to push services (`flask puchi vapid-keys`).
        "VAPID_PUBLIC_KEY": env.get("VAPID_PUBLIC_KEY") or None,
        "VAPID_PRIVATE_KEY": env.get("VAPID_PRIVATE_KEY") or None,
        "VAPID_SUBJECT": env.get("VAPID_SUBJECT", "mailto:hello@puchi.localhost"),
        # The push services browsers use (Chrome, Firefox, Safari, Edge): the only hosts we POST pushes to.
        "PUSH_SERVICE_HOSTS": [host.strip() for host in env.get(
            "PUCHI_PUSH_SERVICE_HOSTS",
            "fcm.googleapis.com,android.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
        ).split(",") if host.strip()],
        # SMS: "console" prints messages; "twilio" posts to a Twilio-compatible HTTP gateway.
        "SMS_GATEWAY": env.get("SMS_GATEWAY", "console"),
        "SMS_API_BASE": env.get("SMS_API_BASE", "https://api.twilio.com").rstrip("/"),
        "SMS_ACCOUNT_SID": env.get("SMS_ACCOUNT_SID") or None,
        "SMS_AUTH_TOKEN": env.get("SMS_AUTH_TOKEN") or None,
        "SMS_FROM": env.get("SMS_FROM") or None,
        "SMS_DIR": env.get("PUCHI_SMS_DIR", str(instance / "sms")),  # where the console gateway keeps messages
        "NOTIFY_HTTP_TIMEOUT": float(env.get("PUCHI_NOTIFY_HTTP_TIMEOUT", "10")),
        # Stripe: billing is on only with both secrets; without them the webhook address answers 404 and
        # nobody is premium. STRIPE_API_BASE points the client elsewhere (the tests' local fake).
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_API_BASE": (env.get("STRIPE_API_BASE") or "").rstrip("/") or None,
        "STRIPE_TIMEOUT": float(env.get("PUCHI_STRIPE_TIMEOUT", "10")),
        "STRIPE_PRICE_SUPER_MONTHLY": env.get("STRIPE_PRICE_SUPER_MONTHLY") or None,
        "STRIPE_PRICE_SUPER_YEARLY": env.get("STRIPE_PRICE_SUPER_YEARLY") or None,
        "STRIPE_PRICE_FAMILY_YEARLY": env.get("STRIPE_PRICE_FAMILY_YEARLY") or None,
        # Days of free trial a first Super subscription starts with (0: none); how long prices read from
        # Stripe are kept (in Redis when configured, else in each process).
        "STRIPE_TRIAL_DAYS": int(env.get("STRIPE_TRIAL_DAYS", "7")),
        "STRIPE_PRICE_CACHE_SECONDS": int(env.get("PUCHI_STRIPE_PRICE_CACHE_SECONDS", "3600")),
        # A failed renewal keeps the perks this many days while Stripe retries the card.
        "BILLING_GRACE_DAYS": int(env.get("PUCHI_BILLING_GRACE_DAYS", "7")),
        # Who issues the receipts: the seller's name and address lines as printed on each receipt PDF.
        "BILLING_SELLER": env.get("PUCHI_BILLING_SELLER") or "Puchi",
        "FAMILY_INVITATION_DAYS": int(env.get("PUCHI_FAMILY_INVITATION_DAYS", "14")),
        # Social login: see _oidc_providers. Discovery documents and keys are cached this long per process.
        "OIDC_PROVIDERS": _oidc_providers(env),
        "OIDC_HTTP_TIMEOUT": float(env.get("PUCHI_OIDC_HTTP_TIMEOUT", "10")),
        "OIDC_CACHE_SECONDS": int(env.get("PUCHI_OIDC_CACHE_SECONDS", "3600")),
        "RATELIMIT_OIDC_CALLBACK": env.get("PUCHI_RATELIMIT_OIDC_CALLBACK", "20 per minute;100 per hour"),
        "TOKEN_MAX_AGE_LINK_IDENTITY": int(env.get("PUCHI_TOKEN_MAX_AGE_LINK_IDENTITY", str(60 * 60))),
        # GDPR (puchi/accounts/exports.py, deletion.py, devices.py): where data exports wait for their download,
        # how long their link works, how long a deletion waits to be cancelled, and an optional local GeoIP
        # database (MaxMind format) naming the approximate place of a sign-in.
        "EXPORT_DIR": env.get("PUCHI_EXPORT_DIR", str(instance / "exports")),
        "EXPORT_LINK_DAYS": int(env.get("PUCHI_EXPORT_LINK_DAYS", "7")),
        "DELETION_GRACE_DAYS": int(env.get("PUCHI_DELETION_GRACE_DAYS", "14")),
        "GEOIP_DB": env.get("PUCHI_GEOIP_DB") or None,
    }


def check_production_config(config: Mapping[str, Any]) -> None:
    """Refuse to start a production app on settings that are only safe on a laptop."""
    if config["ENV_NAME"] != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET or len(secret) < 32:
        raise RuntimeError("SECRET_KEY must be set to a random value of 32+ characters in production")
    for name, provider in (config.get("OIDC_PROVIDERS") or {}).items():
        if not provider["issuer"].startswith("https://"):  # its keys and tokens must not cross in the clear
            raise RuntimeError(f"OIDC_{name.upper()}_ISSUER must be an https:// address in production")
