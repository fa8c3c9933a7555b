"""Text messages: the gateways that carry them, and the SMS channel of notifications.

``SMS_GATEWAY=console`` (the default) prints each message and appends it to ``instance/sms/messages.txt``
so a developer sees verification codes without an account anywhere; ``SMS_GATEWAY=twilio`` posts to
Twilio's Messages API (or anything speaking its wire format at ``SMS_API_BASE``). The channel reaches a
learner only at a verified number (see :mod:`puchi.notifications.phones`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import requests
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from puchi.accounts.models import User
from puchi.core.db import action, db, now
from puchi.notifications import channels
from puchi.notifications.channels import Undeliverable
from puchi.notifications.models import Notification, PhoneNumber

log = logging.getLogger(__name__)

# Twilio error codes that say this recipient cannot get our messages, whatever we retry: invalid "To",
# unreachable, not a valid number, recipient replied STOP, cannot route, not a mobile number.
PERMANENT_TWILIO_ERRORS = frozenset({21211, 21214, 21217, 21610, 21612, 21614})


class GatewayError(Exception):
    """The gateway failed in a way that may pass (outage, throttling, timeout): the outbox retries."""


class GatewayMisconfigured(GatewayError):
    """The gateway lacks settings it needs: failing loudly beats dropping every message quietly."""


class Gateway(Protocol):
    def send(self, to: str, body: str) -> None:
        """Send ``body`` to ``to`` (E.164). :raises Undeliverable: never to this number; other errors: retry."""


class ConsoleGateway:
    """Prints messages and keeps them in a file under the instance folder, for development."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, to: str, body: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "messages.txt"
        with path.open("a", encoding="utf-8") as log_file:
            log_file.write(f"--- {now().isoformat()} to {to}\n{body}\n\n")
        log.info("sms to %s:\n%s\n(appended to %s)", to, body, path)
        print(f"\n--- sms to {to}\n{body}\n--- appended to {path}\n", flush=True)


class TwilioGateway:
    """Twilio's Messages API: form-encoded POST with HTTP Basic auth, 201 and a JSON message on success."""

    def __init__(self, api_base: str, account_sid: str | None, auth_token: str | None, sender: str | None,
                 timeout: float) -> None:
        self.api_base, self.account_sid, self.auth_token = api_base, account_sid, auth_token
        self.sender, self.timeout = sender, timeout

    def send(self, to: str, body: str) -> None:
        missing = [name for name, value in (("SMS_ACCOUNT_SID", self.account_sid),
                                            ("SMS_AUTH_TOKEN", self.auth_token), ("SMS_FROM", self.sender))
                   if not value]
        if missing:
            raise GatewayMisconfigured(f"SMS_GATEWAY is 'twilio' but {', '.join(missing)} is not set")
        url = f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            response = requests.post(url, data={"To": to, "From": self.sender, "Body": body},
                                     auth=(str(self.account_sid), str(self.auth_token)), timeout=self.timeout)
        except requests.RequestException as error:  # timeouts and connection errors pass: retry
            raise GatewayError(f"twilio unreachable: {type(error).__name__}: {error}") from error
        if response.status_code in (200, 201):
            log.info("sms to %s accepted by twilio as %s", to, _json(response).get("sid"))
            return
        raise _error_for(response)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_for(response: requests.Response) -> Exception:
    """A refusal for this recipient gives up; anything else (5xx, 429, bad credentials) is retried, so it
    shows among failed deliveries rather than passing for the learner's problem."""
    error = _json(response)
    code, message = error.get("code"), error.get("message") or response.text[:200]
    text = f"twilio {response.status_code} (code {code}): {message}"
    if response.status_code < 500 and response.status_code != 429 and code in PERMANENT_TWILIO_ERRORS:
        return Undeliverable(text)
    return GatewayError(text)


def gateway() -> Gateway:
    config = current_app.config
    name = config["SMS_GATEWAY"]
    if name == "console":
        return ConsoleGateway(Path(config.get("SMS_DIR") or Path(current_app.instance_path) / "sms"))
    if name == "twilio":
        return TwilioGateway(config["SMS_API_BASE"], config["SMS_ACCOUNT_SID"], config["SMS_AUTH_TOKEN"],
                             config["SMS_FROM"], float(config["NOTIFY_HTTP_TIMEOUT"]))
    raise GatewayMisconfigured(f"unknown SMS_GATEWAY {name!r} (use 'console' or 'twilio')")


def render_text(user: User, template: str, **context: Any) -> str:
    """A plain-text message in the learner's language, with links that work outside the site (one line each,
    runs of spaces folded: every character counts in an SMS)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), force_locale(user.locale):
        text = render_template(template, user=user, **context)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --- The notification channel -------------------------------------------------------------------------------

def verified_number(user_id: int) -> str | None:
    return db.session.scalar(select(PhoneNumber.number).where(
        PhoneNumber.user_id == user_id, PhoneNumber.verified_at.is_not(None), PhoneNumber.number != ""))


def reachable(user: User) -> bool:
    return verified_number(user.id) is not None


def send(user: User, notification: Notification) -> None:
    number = verified_number(user.id)
    if number is None:  # removed or changed since the send was queued
        raise Undeliverable("no verified phone number")
    try:
        _send_to(user, notification, number)
    except Undeliverable:
        # The number cannot take our texts (invalid, not a mobile, the learner replied STOP): stop using it
        # until they verify it again, which the settings page then asks for. Saved before the send is dropped.
        _unverify(user.id, number)
        raise


@action
def _unverify(user_id: int, number: str) -> None:
    db.session.execute(update(PhoneNumber).where(PhoneNumber.user_id == user_id, PhoneNumber.number == number)
                       .values(verified_at=None))


def _send_to(user: User, notification: Notification, number: str) -> None:
    gateway().send(number, render_text(user, "notifications/sms.txt", notification=notification,
                                       target=channels.target, base_url=current_app.config["BASE_URL"]))

