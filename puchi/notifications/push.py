"""Web Push: browsers subscribe, and notifications reach them through their push service (RFC 8030).

A subscription is an endpoint URL at the browser's push service plus two keys that encrypt the payload
for that browser only (RFC 8291, aes128gcm). Our server signs each request with its VAPID key (RFC 8292)
so the push service knows who sends. A push service answers 404 or 410 for a subscription that has gone
(the learner revoked permission, the browser was reset): we forget it.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from puchi.accounts import services as accounts
from puchi.accounts.events import LoggedOut
from puchi.accounts.models import User
from puchi.core import events, outbox
from puchi.core.db import action, db, now, rowcount
from puchi.core.errors import Conflict, Invalid
from puchi.notifications import channels
from puchi.notifications.models import Notification, PushSubscription

log = logging.getLogger(__name__)

# How long a push service keeps a message for a browser that is offline: news older than a day is stale.
TTL_SECONDS = 24 * 60 * 60
GONE = (404, 410)  # RFC 8030 §7.3: the subscription expired or was revoked
MAX_ENDPOINT = 1000  # the column's length
MAX_USER_AGENT = 200
LOOPBACK_NAMES = {"localhost"}


# --- Keys ---------------------------------------------------------------------------------------------------

def public_key() -> str | None:
    """The VAPID public key browsers pass as ``applicationServerKey`` (base64url, uncompressed point)."""
    return current_app.config.get("VAPID_PUBLIC_KEY") or None


def configured() -> bool:
    return bool(current_app.config.get("VAPID_PUBLIC_KEY") and current_app.config.get("VAPID_PRIVATE_KEY"))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    """Decode base64url with or without padding; :raises ValueError: not base64url."""
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="
                       for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


def generate_vapid_keys() -> tuple[str, str]:
    """A fresh P-256 pair: (public key as browsers want it, private key as a raw base64url scalar)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public_point = private.public_key().public_bytes(encoding=serialization.Encoding.X962,
                                                     format=serialization.PublicFormat.UncompressedPoint)
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(public_point), _b64url(scalar)


# --- Subscriptions ------------------------------------------------------------------------------------------

# The authority of an endpoint we accept: a host name or an IP literal and perhaps a port; no user name or
# password, no percent-escapes, nothing two URL parsers could read two ways.
_AUTHORITY = re.compile(r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
HTTPS_PORT = 443


def _endpoint_problems(endpoint: object) -> list[str]:
    """Why the server must not POST to ``endpoint`` (nothing: it may). Checked when a browser subscribes and
    again before every send."""
    if not isinstance(endpoint, str) or not endpoint:
        return [_("This field is required.")]
    if len(endpoint) > MAX_ENDPOINT:
        return [_("The push endpoint is too long.")]
    problem = _endpoint_problem(endpoint)
    return [problem] if problem else []


def _endpoint_problem(endpoint: str) -> str | None:
    invalid = _("The push endpoint is not a valid URL.")
    # Browsers' push services hand out plain ASCII URLs. Anything else (a backslash, a space, a control
    # character, a non-ASCII letter) is read differently by different parsers: refused, not normalised.
    if not endpoint.isascii() or any(not c.isprintable() or c.isspace() or c == "\\" for c in endpoint):
        return invalid
    scheme, separator, rest = endpoint.partition("://")
    if not separator:
        return invalid
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        return _("The push endpoint must not contain a user name or password.")
    match = _AUTHORITY.fullmatch(authority)
    target = _target(endpoint)
    if match is None or target is None:
        return invalid
    # The host and port as our URL parser and as the HTTP client that will connect (requests, on urllib3)
    # read them: the same, or the URL is ambiguous.
    host, port = match["host"].strip("[]").lower(), int(match["port"]) if match["port"] else None
    if target != (scheme.lower(), host, port):
        return invalid
    host = host.rstrip(".")
    # The server will POST to this URL, so only the browsers' push services are accepted (a learner must not
    # make us call into our own network), on the https port; outside production, a push service on this
    # machine too.
    if scheme.lower() == "https" and _known_push_service(host) and port in (None, HTTPS_PORT):
        return None
    if scheme.lower() in ("http", "https") and _is_loopback(host) and current_app.config["ENV_NAME"] != "production":
        return None
    if scheme.lower() != "https":
        return _("The push endpoint must be an https URL.")
    return _("This push service is not supported.")


def _target(endpoint: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) where the HTTP client would connect, by both the standard library's reading and
    the client's own (None: either refuses the URL, sees a user name, or they disagree)."""
    try:
        prepared = requests.Request("POST", endpoint).prepare().url or ""
        client = parse_url(prepared)
        ours = urlsplit(endpoint)
        ours_port = ours.port
    except (ValueError, requests.RequestException, LocationParseError):
        return None
    if client.auth or ours.username is not None or ours.password is not None:
        return None
    client_host = (client.host or "").strip("[]").lower()
    client_view = ((client.scheme or "").lower(), client_host, client.port)
    if not client_host or client_view != (ours.scheme.lower(), (ours.hostname or "").lower(), ours_port):
        return None
    return client_view


def _known_push_service(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == known or host.endswith("." + known) for known in current_app.config["PUSH_SERVICE_HOSTS"])


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _key_problems(value: object, length: int, uncompressed_point: bool) -> tuple[str | None, list[str]]:
    """The key in canonical form (unpadded base64url), or the reasons it is unusable."""
    if not isinstance(value, str) or not value:
        return None, [_("This field is required.")]
    try:
        raw = _unb64url(value)
    except ValueError:
        return None, [_("The key is not base64url.")]
    if len(raw) != length:
        return None, [_("The key has the wrong length.")]
    if uncompressed_point:
        try:  # a browser's key is a point on P-256; anything else could never be encrypted to
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            return None, [_("The key is not a P-256 public key.")]
        if raw[0] != 0x04:
            return None, [_("The key is not a P-256 public key.")]
    return _b64url(raw), []


@action
def subscribe(user: User, endpoint: object, p256dh: object, auth: object, user_agent: str = "") -> PushSubscription:
    """Remember this browser's subscription for the learner; subscribing again refreshes it. Commits.

    :raises Invalid: with a message per field. :raises Conflict: another account holds this endpoint (it stays
    theirs: an endpoint is not moved by whoever presents it; the browser makes a new one for this account).
    """
    fields: dict[str, list[str]] = {}
    if problems := _endpoint_problems(endpoint):
        fields["endpoint"] = problems
    p256dh_key, problems = _key_problems(p256dh, 65, uncompressed_point=True)
    if problems:
        fields["keys.p256dh"] = problems
    auth_key, problems = _key_problems(auth, 16, uncompressed_point=False)
    if problems:
        fields["keys.auth"] = problems
    if fields:
        raise Invalid(fields=fields)
    assert isinstance(endpoint, str)
    values = {"p256dh": p256dh_key, "auth": auth_key, "user_agent": (user_agent or "")[:MAX_USER_AGENT],
              "created_at": now(), "last_success_at": None, "session_key_hash": accounts.current_session_hash(user)}
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(PushSubscription).values(endpoint=endpoint, user_id=user.id, **values)
    # One statement, so two accounts racing for one endpoint cannot both win: the row is refreshed only
    # when it is this learner's own.
    upsert = statement.on_conflict_do_update(
        index_elements=["endpoint"], set_={name: statement.excluded[name] for name in values},
        where=PushSubscription.user_id == user.id).returning(PushSubscription.id)
    subscription_id = db.session.execute(upsert).scalar()
    if subscription_id is None:
        message = _("This browser already gets push notifications for another account.")
        raise Conflict(message, fields={"endpoint": [message]}, code="endpoint_taken")
    subscription = db.session.get(PushSubscription, subscription_id)
    assert subscription is not None
    return subscription


@action
def unsubscribe(user: User, endpoint: object) -> bool:
    """Forget the learner's subscription at ``endpoint`` (someone else's is left alone). Commits.
    True when one was removed."""
    if not isinstance(endpoint, str) or not endpoint:
        raise Invalid(fields={"endpoint": [_("This field is required.")]})
    result = db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id,
                                                               PushSubscription.endpoint == endpoint))
    return bool(rowcount(result))


def subscriptions_of(user: User) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id)
                                   .order_by(PushSubscription.id)))


def device_count(user: User) -> int:
    return db.session.scalar(select(func.count(PushSubscription.id))
                             .where(PushSubscription.user_id == user.id)) or 0


# --- Sending ------------------------------------------------------------------------------------------------

def reachable(user: User) -> bool:
    return configured() and device_count(user) > 0


def message(user: User, notification: Notification) -> dict[str, str]:
    """The payload the service worker shows: plain text in the learner's language, and a same-site path."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), force_locale(user.locale):
        # The same one-line text as the email, so a notification reads the same on every channel.
        body = channels.line(notification)
        if not body:  # a kind the line does not know yet
            body = _("You have a new notification.")
        return {"title": "Puchi", "body": body, "url": channels.target(notification),
                "tag": f"puchi-{notification.id}"}  # a resend replaces the notification instead of adding one


def _vapid() -> Vapid:
    return Vapid.from_string(current_app.config["VAPID_PRIVATE_KEY"])


class _Gone(Exception):
    """The push service says this subscription no longer exists (404/410)."""


class _Refused(_Gone):
    """The endpoint breaks the rules a subscription is checked against (stored before a rule existed, or the
    list of push services changed): never posted to, and forgotten like a gone one."""


class _NoRedirects(requests.Session):
    """A push service answers a push itself (RFC 8030 §5): a redirect is an error, never followed to where
    it points (which no rule above has checked)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


def _post(subscription: PushSubscription, payload: str, vapid: Vapid) -> None:
    """One encrypted, signed POST to the subscription's push service. :raises _Gone: the service forgot it
    (404/410), or the endpoint is not one we may call; WebPushException: another error status; requests'
    exceptions: the service cannot be reached."""
    if _endpoint_problems(subscription.endpoint):
        log.warning("push to subscription %s refused: its endpoint is not an allowed push service",
                    subscription.id)
        raise _Refused
    try:
        with _NoRedirects() as session:
            webpush({"endpoint": subscription.endpoint,
                     "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                    data=payload, vapid_private_key=vapid,
                    # a fresh dict each time: webpush fills in aud (the endpoint's origin) and exp in place
                    vapid_claims={"sub": current_app.config["VAPID_SUBJECT"]},
                    content_encoding="aes128gcm", ttl=TTL_SECONDS,
                    timeout=current_app.config["NOTIFY_HTTP_TIMEOUT"], requests_session=session)
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        log.warning("push to subscription %s failed: %s", subscription.id, status)
        if status in GONE:
            raise _Gone from error
        raise
    except requests.RequestException as error:  # timeouts, refused connections
        log.warning("push to subscription %s failed: %s", subscription.id, type(error).__name__)
        raise


def send(user: User, notification: Notification) -> None:
    """Push the notification to every browser the learner subscribed.

    A device that is gone is forgotten; when none is left the send is dropped. When some device took it, the
    send is done, and each device that failed for a passing reason (an error status, a timeout) gets a send of
    its own, retried by the outbox (retrying the whole send would show it twice on the others). When none took
    it, the error goes up for the outbox to retry the whole send.
    """
    if not configured():
        raise RuntimeError("VAPID keys are not configured")  # an operator's fix, then `flask puchi jobs retry`
    payload = json.dumps(message(user, notification), ensure_ascii=False)
    vapid = _vapid()
    delivered, gone, failed, failure = [], [], [], None
    for subscription in subscriptions_of(user):
        try:
            _post(subscription, payload, vapid)
        except _Gone:
            gone.append(subscription.id)
        except (WebPushException, requests.RequestException) as error:
            failure = failure or error
            failed.append(subscription.id)
        else:
            delivered.append(subscription.id)
    retries = [{"source": notification.source, "subscription_id": subscription_id,
                "key": device_key(notification, subscription_id)} for subscription_id in failed] if delivered else []
    _record(delivered, gone, retries)
    if delivered:
        return
    if failure is not None:
        raise failure
    raise channels.Undeliverable("no push subscription is left")


def device_key(notification: Notification, subscription_id: int) -> str:
    return f"{notification.source}:push:{subscription_id}"


def push_device(payload: dict[str, Any]) -> None:
    """Send to one device that missed a notification its learner's other devices got; once, retried."""
    notification = db.session.scalar(select(Notification).where(Notification.source == payload["source"]))
    subscription = db.session.get(PushSubscription, int(payload["subscription_id"]))
    if notification is None or subscription is None or subscription.user_id != notification.user_id:
        return  # the device was forgotten meanwhile: nothing to send to
    user = db.session.get(User, notification.user_id)

    def send() -> None:
        if user is None or not configured():
            raise channels.Undeliverable("the account or the push keys are gone")
        try:
            _post(subscription, json.dumps(message(user, notification), ensure_ascii=False), _vapid())
        except _Gone as error:
            _record([], [subscription.id])
            raise channels.Undeliverable("the push service forgot this device") from error
        _record([subscription.id], [])

    channels.send_once(str(payload["key"]), notification, "push", send)


@action
def _record(delivered: list[int], gone: list[int], retries: list[dict[str, Any]] | None = None) -> None:
    """Note which devices took the push and forget those that are gone; queue a send of its own to each
    device in ``retries`` (failed for a passing reason while others took it)."""
    for payload in retries or ():
        outbox.add("notifications.push_device", payload)
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
    if delivered:
        db.session.execute(update(PushSubscription).where(PushSubscription.id.in_(delivered))
                           .values(last_success_at=now()))



def forget_browser_on_log_out(event: events.Event, logged_out: LoggedOut) -> None:
    """Logging out of a browser removes the push subscription that login made there."""
    if logged_out.session:
        db.session.execute(delete(PushSubscription).where(PushSubscription.session_key_hash == logged_out.session))
