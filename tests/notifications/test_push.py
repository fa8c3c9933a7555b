"""Web push: a browser subscribes, and notifications reach it through its push service, encrypted for that
browser (RFC 8291, aes128gcm) and signed by our server (VAPID, RFC 8292).

The push service here is a real HTTP server on the loopback; the test plays the browser: it makes the
subscription's keys, subscribes through the site, and decrypts what the push service received.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import func, select

from puchi.core import events, outbox
from puchi.core.db import action, db
from puchi.notifications.models import Delivery, PushSubscription
from puchi.notifications.push import generate_vapid_keys
from puchi.progress.events import LeaguePromoted
from tests.conftest import csrf_token, wait_until

SUBJECT = "mailto:push-tests@puchi.localhost"
VAPID_PUBLIC, VAPID_PRIVATE = generate_vapid_keys()


@pytest.fixture
def app_settings() -> dict[str, Any]:
    return {"VAPID_PUBLIC_KEY": VAPID_PUBLIC, "VAPID_PRIVATE_KEY": VAPID_PRIVATE, "VAPID_SUBJECT": SUBJECT,
            "NOTIFY_HTTP_TIMEOUT": 5}


# --- A push service on the loopback ---------------------------------------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """Records every request; answers ``status`` (or the status set for a path)."""

    url: str = ""
    status: int = 201
    status_for: dict[str, int] = field(default_factory=dict)
    redirect_for: dict[str, str] = field(default_factory=dict)  # path: the Location of a 307 answer
    received: list[Received] = field(default_factory=list)

    def endpoint(self, name: str) -> str:
        return f"{self.url}/push/{name}"

    def to(self, name: str) -> list[Received]:
        return [request for request in self.received if request.path == f"/push/{name}"]


@contextmanager
def running_push_service() -> Iterator[PushService]:
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if self.path in service.redirect_for:
                self.send_response(307)
                self.send_header("Location", service.redirect_for[self.path])
            else:
                self.send_response(service.status_for.get(self.path, service.status))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free one
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with running_push_service() as service:
        yield service


# --- The browser's side -------------------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's subscription: its private key stays here; the public key and auth secret go to the site."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def to_json(self) -> dict[str, Any]:  # as PushSubscription.toJSON() gives it
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64url(point),
                                                                            "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def subscribe(client: Any, body: Any, **kwargs: Any) -> Any:
    token = csrf_token(client, "/account/notifications")
    return client.post("/push/subscriptions", json=body, headers={"X-CSRFToken": token}, **kwargs)


def unsubscribe(client: Any, endpoint: str) -> Any:
    token = csrf_token(client, "/account/notifications")
    return client.post("/push/subscriptions/delete", json={"endpoint": endpoint}, headers={"X-CSRFToken": token})


def promote(app: Any, user_id: int, week: str = "2026-05-04") -> None:
    """A league promotion: a kind that goes to push unless the learner says otherwise."""
    with app.app_context(), action():
        events.record(LeaguePromoted(from_tier=1, to_tier=2, rank=1, week_start=date.fromisoformat(week)),
                      actor_id=user_id, subject=("league_cohort", 1))


def push_delivery(app: Any) -> Delivery | None:
    with app.app_context():
        # the notification's push send (a device retried alone has a send of its own, keyed ":push:<id>")
        delivery = db.session.scalar(select(Delivery).where(Delivery.channel == "push",
                                                            Delivery.key.not_like("%:push:%")))
        if delivery is not None:
            db.session.expunge(delivery)
        return delivery


def stored_subscriptions(app: Any) -> list[tuple[int, str]]:
    with app.app_context():
        return [(s.user_id, s.endpoint) for s in db.session.scalars(select(PushSubscription))]


# --- What arrives at the push service --------------------------------------------------------------------------

def verify_vapid(authorization: str, endpoint_origin: str) -> dict[str, Any]:
    """Check the Authorization header as a push service does (RFC 8292) and return the JWT's claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert values["k"] == VAPID_PUBLIC  # the key browsers were given as applicationServerKey
    claims = verify_jwt(values["t"], values["k"])
    assert claims["aud"] == endpoint_origin
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"] == SUBJECT
    return claims


def verify_jwt(token: str, public_key: str) -> dict[str, Any]:
    """An ES256 JWT: its signature is raw r‖s (64 bytes), which cryptography wants as DER."""
    header, payload, signature = token.split(".")
    assert json.loads(unb64url(header))["alg"] == "ES256"
    raw = unb64url(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(unb64url(payload))


# --- Sending -----------------------------------------------------------------------------------------------

def test_a_notification_reaches_the_browser_encrypted_signed_and_in_the_learners_language(app, logged_in,
                                                                                          push_service):
    client, learner = logged_in(locale="es")
    browser = Browser(push_service.endpoint("ana-phone"))
    response = subscribe(client, browser.to_json())
    assert response.status_code == 201
    assert response.json["devices"] == 1

    promote(app, learner.id)

    [request] = push_service.to("ana-phone")
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) > 0
    verify_vapid(request.headers["authorization"], push_service.url)
    payload = browser.decrypt(request.body)
    assert payload["body"] == "¡Has subido de liga!"  # Spanish, as the learner reads Puchi
    assert payload["title"] == "Puchi"
    assert payload["url"] == "/leagues"  # a click opens the league table
    assert payload["tag"].startswith("puchi-")
    assert push_delivery(app).status == "sent"
    with app.app_context():
        assert db.session.scalar(select(PushSubscription.last_success_at)) is not None


def test_every_device_of_the_learner_gets_it(app, logged_in, push_service):
    client, learner = logged_in()
    phone, laptop = Browser(push_service.endpoint("phone")), Browser(push_service.endpoint("laptop"))
    assert subscribe(client, phone.to_json()).json["devices"] == 1
    assert subscribe(client, laptop.to_json()).json["devices"] == 2

    promote(app, learner.id)

    assert phone.decrypt(push_service.to("phone")[0].body)["body"] == "You moved up a league!"
    assert laptop.decrypt(push_service.to("laptop")[0].body)["body"] == "You moved up a league!"


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_says_is_gone_is_forgotten_and_not_retried(app, logged_in,
                                                                                    push_service, status):
    client, learner = logged_in()
    subscribe(client, Browser(push_service.endpoint("old-phone")).to_json())
    push_service.status = status

    promote(app, learner.id)

    assert len(push_service.received) == 1
    assert stored_subscriptions(app) == []
    delivery = push_delivery(app)
    assert (delivery.status, delivery.attempts) == ("dropped", 1)
    with app.app_context():
        push_messages = [m for m in db.session.scalars(select(outbox.OutboxMessage))
                         if m.payload.get("channel") == "push"]
        assert [m.status for m in push_messages] == [outbox.DONE]  # nothing left for the relay to retry


def test_a_gone_device_is_forgotten_while_the_others_still_get_it(app, logged_in, push_service):
    client, learner = logged_in()
    subscribe(client, Browser(push_service.endpoint("old")).to_json())
    current = Browser(push_service.endpoint("current"))
    subscribe(client, current.to_json())
    push_service.status_for["/push/old"] = 410

    promote(app, learner.id)

    assert current.decrypt(push_service.to("current")[0].body)["url"] == "/leagues"
    assert stored_subscriptions(app) == [(learner.id, current.endpoint)]
    assert push_delivery(app).status == "sent"


def test_a_device_that_failed_while_the_others_got_it_is_retried_alone(app, logged_in, push_service):
    client, learner = logged_in()
    phone, laptop = Browser(push_service.endpoint("phone")), Browser(push_service.endpoint("laptop"))
    subscribe(client, phone.to_json())
    subscribe(client, laptop.to_json())
    push_service.status_for["/push/laptop"] = 503  # the laptop's push service has a bad moment

    promote(app, learner.id)

    assert len(push_service.to("phone")) == 1 and push_delivery(app).status == "sent"
    with app.app_context():
        laptop_send = db.session.scalar(select(Delivery).where(Delivery.key.like("%:push:%")))
        assert laptop_send.status == "retrying"  # its own send, tried at once and again with back-off
        del push_service.status_for["/push/laptop"]
        assert wait_until(lambda: outbox.relay_due() >= 0 and db.session.scalar(
            select(Delivery.status).where(Delivery.id == laptop_send.id)) == "sent", timeout=10)
    assert laptop.decrypt(push_service.to("laptop")[-1].body)["body"] == "You moved up a league!"
    assert len(push_service.to("phone")) == 1  # the phone is not shown it twice
    assert stored_subscriptions(app) and len(stored_subscriptions(app)) == 2


def test_a_push_service_error_is_retried_and_delivered_once_when_it_recovers(app, logged_in, push_service):
    client, learner = logged_in()
    browser = Browser(push_service.endpoint("phone"))
    subscribe(client, browser.to_json())
    push_service.status = 500

    promote(app, learner.id)

    assert len(push_service.received) == 1
    assert push_delivery(app).status == "retrying"
    assert stored_subscriptions(app) != []  # a passing error is no reason to forget the device
    push_service.status = 201

    with app.app_context():  # the worker's relay runs retries that came due (here after about a second)
        assert wait_until(lambda: outbox.relay_due() and push_delivery(app).status == "sent", timeout=10)
        assert outbox.relay_due() == 0
    delivery = push_delivery(app)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(push_service.received) == 2
    assert browser.decrypt(push_service.received[-1].body)["body"] == "You moved up a league!"


def test_an_unreachable_push_service_is_retried(app, logged_in, push_service):
    from tests.services import free_port

    client, learner = logged_in()
    subscribe(client, Browser(f"http://127.0.0.1:{free_port()}/push/nobody-listens").to_json())

    promote(app, learner.id)

    delivery = push_delivery(app)
    assert delivery.status == "retrying" and "ConnectionError" in delivery.last_error
    assert len(stored_subscriptions(app)) == 1


def test_learners_who_turned_push_off_for_a_kind_get_nothing(app, logged_in, push_service):
    client, learner = logged_in()
    subscribe(client, Browser(push_service.endpoint("phone")).to_json())
    from tests.conftest import post_form

    post_form(client, "/account/notifications", {"on": ["promoted:email"]})
    promote(app, learner.id)

    assert push_service.received == []


def test_without_vapid_keys_or_devices_nothing_is_queued_for_push(app, logged_in, push_service):
    client, learner = logged_in()
    promote(app, learner.id)  # no device yet
    assert push_delivery(app) is None

    subscribe(client, Browser(push_service.endpoint("phone")).to_json())
    app.config["VAPID_PRIVATE_KEY"] = None  # an operator who has not set up push
    promote(app, learner.id, week="2026-05-11")
    assert push_delivery(app) is None and push_service.received == []


# --- Subscribing and unsubscribing ---------------------------------------------------------------------------

def test_subscribing_again_from_the_same_account_keeps_one_subscription(app, logged_in, push_service):
    client, ana = logged_in()
    browser = Browser(push_service.endpoint("tablet"))

    assert subscribe(client, browser.to_json()).status_code == 201
    again = subscribe(client, browser.to_json())
    assert again.status_code == 201 and again.json["devices"] == 1
    assert stored_subscriptions(app) == [(ana.id, browser.endpoint)]


def test_an_endpoint_another_account_holds_is_refused_not_moved(app, logged_in, push_service):
    ana_client, ana = logged_in()
    ben_client, _ = logged_in(locale="es")
    browser = Browser(push_service.endpoint("ana-phone"))
    assert subscribe(ana_client, browser.to_json()).status_code == 201

    # Ben presents Ana's endpoint (a shared tablet she never logged out of, or one he got hold of).
    response = subscribe(ben_client, Browser(browser.endpoint).to_json())
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "endpoint_taken"
    assert response.json["detail"] == "Este navegador ya recibe notificaciones push para otra cuenta."  # his language
    assert "endpoint" in response.json["errors"]
    assert stored_subscriptions(app) == [(ana.id, browser.endpoint)]  # still Ana's, with her keys

    promote(app, ana.id)
    assert browser.decrypt(push_service.to("ana-phone")[0].body)["body"] == "You moved up a league!"


def test_unsubscribing_removes_the_subscription(app, logged_in, push_service):
    client, _ = logged_in()
    browser = Browser(push_service.endpoint("phone"))
    subscribe(client, browser.to_json())

    assert unsubscribe(client, browser.endpoint).status_code == 204
    assert stored_subscriptions(app) == []
    assert unsubscribe(client, browser.endpoint).status_code == 204  # already gone: the same outcome


def test_logging_out_forgets_the_subscription_that_browser_made_and_only_that_one(app, logged_in, push_service):
    from tests.conftest import AuthActions

    client, learner = logged_in()
    subscribe(client, Browser(push_service.endpoint("shared-laptop")).to_json())
    phone = app.test_client()  # the same learner, logged in on their phone too
    AuthActions(phone).log_in(learner.email)
    subscribe(phone, Browser(push_service.endpoint("phone")).to_json())

    AuthActions(client).log_out()
    assert stored_subscriptions(app) == [(learner.id, push_service.endpoint("phone"))]


def test_a_learner_cannot_remove_another_learners_subscription(app, logged_in, push_service):
    ana_client, ana = logged_in()
    ben_client, _ = logged_in()
    browser = Browser(push_service.endpoint("ana-phone"))
    subscribe(ana_client, browser.to_json())

    assert unsubscribe(ben_client, browser.endpoint).status_code == 204  # tells nothing about Ana's devices
    assert stored_subscriptions(app) == [(ana.id, browser.endpoint)]


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    keys = {**body["keys"], **changes.pop("keys", {})}  # change some keys, keep the rest
    return {**body, **changes, "keys": keys}


GOOD = Browser("https://fcm.googleapis.com/fcm/send/abc").to_json()
NOT_ON_THE_CURVE = b64url(b"\x04" + bytes(64))


@pytest.mark.parametrize(("body", "field"), [
    ({"endpoint": GOOD["endpoint"]}, "keys.p256dh"),
    (_with(GOOD, endpoint=""), "endpoint"),
    (_with(GOOD, endpoint="http://fcm.googleapis.com/fcm/send/abc"), "endpoint"),  # plain HTTP off this machine
    (_with(GOOD, endpoint="https://push.example.com/send/abc"), "endpoint"),  # not a browser's push service
    (_with(GOOD, endpoint="https://10.0.0.7/internal"), "endpoint"),  # nor our own network
    (_with(GOOD, endpoint="https://fcm.googleapis.com.evil.example/x"), "endpoint"),
    # The host an HTTP client connects to must be the one the rules read: no user name (urlsplit reads the
    # host after "@", urllib3 stops at the backslash and connects to 127.0.0.1), no escapes, no odd port.
    (_with(GOOD, endpoint="https://127.0.0.1\\@fcm.googleapis.com:443/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://fcm.googleapis.com\\@127.0.0.1/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://ana@fcm.googleapis.com/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://:secret@fcm.googleapis.com/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://127.0.0.1%2f@fcm.googleapis.com/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://fcm.googleapis.com%2e/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://fcm%2egoogleapis.com/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://fcm.googleapis.com:8443/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://fcm.googleapis.com:/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://fcm.googleapis.com\u3002evil.example/x"), "endpoint"),  # a non-ASCII dot
    (_with(GOOD, endpoint="https://fcm.googleapis.com/a\tb"), "endpoint"),
    (_with(GOOD, endpoint=" https://fcm.googleapis.com/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https:///fcm.googleapis.com/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://[::ffff:7f00:1]/fcm/send/abc"), "endpoint"),
    (_with(GOOD, endpoint="https://2130706433/fcm/send/abc"), "endpoint"),  # 127.0.0.1 as one number
    (_with(GOOD, endpoint="ftp://push.example.com/x"), "endpoint"),
    (_with(GOOD, endpoint="https://"), "endpoint"),
    (_with(GOOD, endpoint="https://push.example.com/a\nb"), "endpoint"),
    (_with(GOOD, endpoint="https://push.example.com/" + "x" * 1000), "endpoint"),
    (_with(GOOD, endpoint=["not", "a", "string"]), "endpoint"),
    (_with(GOOD, keys={"p256dh": b64url(os.urandom(64))}), "keys.p256dh"),  # wrong length
    (_with(GOOD, keys={"p256dh": NOT_ON_THE_CURVE}), "keys.p256dh"),
    (_with(GOOD, keys={"p256dh": "not base64 at all!"}), "keys.p256dh"),
    (_with(GOOD, keys={"p256dh": 42}), "keys.p256dh"),
    (_with(GOOD, keys={"auth": b64url(os.urandom(15))}), "keys.auth"),
    (_with(GOOD, keys={"auth": b64url(os.urandom(32))}), "keys.auth"),
    ({**GOOD, "keys": "no keys"}, "keys.p256dh"),
])
def test_a_subscription_with_bad_fields_is_refused_with_a_problem_per_field(app, logged_in, body, field):
    client, _ = logged_in()
    response = subscribe(client, body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert stored_subscriptions(app) == []


def test_an_endpoint_holding_a_nul_is_refused_before_it_is_read(app, logged_in):
    """No JSON string may hold a NUL (core.inputs.json_body): a 400 for the whole body, as for a form."""
    client, _ = logged_in()
    response = subscribe(client, _with(GOOD, endpoint="https://fcm.googleapis.com/a\x00b"))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert stored_subscriptions(app) == []


@pytest.mark.parametrize(("request_kwargs", "code"), [
    ({"data": "endpoint=https://push.example.com/x", "content_type": "application/x-www-form-urlencoded"},
     "json_expected"),
    ({"data": "{not json", "content_type": "application/json"}, "json_malformed"),
    ({"data": json.dumps(["a", "list"]), "content_type": "application/json"}, "not_a_json_object"),
])
def test_a_body_that_is_no_json_object_is_a_bad_request(app, logged_in, request_kwargs, code):
    client, _ = logged_in()
    token = csrf_token(client, "/account/notifications")
    response = client.post("/push/subscriptions", headers={"X-CSRFToken": token, "Accept": "application/json"},
                           **request_kwargs)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code
    assert stored_subscriptions(app) == []


def test_subscribing_needs_the_csrf_token_and_a_logged_in_learner(app, client, logged_in):
    learner_client, _ = logged_in()
    assert learner_client.post("/push/subscriptions", json=GOOD).status_code == 400  # no X-CSRFToken
    assert learner_client.post("/push/subscriptions", json=GOOD, headers={"X-CSRFToken": "forged"}).status_code == 400
    token = csrf_token(client, "/login")
    response = client.post("/push/subscriptions", json=GOOD, headers={"X-CSRFToken": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert stored_subscriptions(app) == []


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://FCM.googleapis.com:443/fcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
    "https://web.push.apple.com/QGm2x?token=a%2Fb",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB%2f",
])
def test_the_browsers_push_services_are_accepted(app, logged_in, endpoint):
    client, learner = logged_in()
    assert subscribe(client, _with(GOOD, endpoint=endpoint)).status_code == 201
    assert stored_subscriptions(app) == [(learner.id, endpoint)]


def test_in_production_a_push_service_on_this_machine_is_refused(app, logged_in):
    client, _ = logged_in()
    app.config["ENV_NAME"] = "production"
    for endpoint in ("http://127.0.0.1:9/p", "https://127.0.0.1/p", "https://localhost/p", "https://[::1]/p"):
        assert subscribe(client, _with(GOOD, endpoint=endpoint)).status_code == 422, endpoint
    assert stored_subscriptions(app) == []


def _store_subscription(app: Any, user_id: int, endpoint: str) -> None:
    """A row as one stored before today's rules (or by another path) would be, bypassing the subscribe check."""
    browser = Browser(endpoint).to_json()
    with app.app_context():
        db.session.add(PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=browser["keys"]["p256dh"],
                                        auth=browser["keys"]["auth"], user_agent=""))
        db.session.commit()


def test_an_endpoint_that_breaks_the_rules_is_never_posted_to_and_is_forgotten(app, logged_in, push_service):
    client, learner = logged_in()
    port = push_service.url.rsplit(":", 1)[1]
    # urlsplit reads fcm.googleapis.com (after "@"); the HTTP client would connect to our push service.
    sneaky = f"http://127.0.0.1:{port}\\@fcm.googleapis.com/push/sneaky"
    _store_subscription(app, learner.id, sneaky)

    promote(app, learner.id)

    assert push_service.received == []
    assert stored_subscriptions(app) == []
    assert push_delivery(app).status == "dropped"


def test_a_subscription_the_rules_no_longer_allow_is_not_posted_to(app, logged_in, push_service):
    client, learner = logged_in()
    subscribe(client, Browser(push_service.endpoint("phone")).to_json())  # a local push service, outside production
    app.config["ENV_NAME"] = "production"  # the same rows, served in production

    promote(app, learner.id)

    assert push_service.received == []
    assert push_delivery(app).status == "dropped"


def test_a_push_services_redirect_is_not_followed(app, logged_in, push_service):
    client, learner = logged_in()
    subscribe(client, Browser(push_service.endpoint("phone")).to_json())
    push_service.redirect_for["/push/phone"] = push_service.endpoint("elsewhere")

    promote(app, learner.id)

    assert [request.path for request in push_service.received] == ["/push/phone"]  # not /push/elsewhere
    assert push_delivery(app).status == "retrying"  # an error status like any other
    assert len(stored_subscriptions(app)) == 1


def test_plain_http_is_accepted_only_for_a_push_service_on_this_machine(app, logged_in):
    client, _ = logged_in()
    for endpoint in ("http://127.0.0.1:9/p", "http://127.8.9.10/p", "http://[::1]:9/p", "http://localhost/p"):
        assert subscribe(client, _with(GOOD, endpoint=endpoint)).status_code == 201, endpoint
    assert subscribe(client, _with(GOOD, endpoint="http://10.0.0.1/p")).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(PushSubscription.id))) == 4


# --- The settings page and the keys ------------------------------------------------------------------------

def test_the_settings_page_offers_push_on_this_device_with_the_servers_key(app, logged_in, push_service):
    client, _ = logged_in()
    subscribe(client, Browser(push_service.endpoint("phone")).to_json())
    page = client.get("/account/notifications").text
    assert "Push notifications on this device" in page
    assert f'data-public-key="{VAPID_PUBLIC}"' in page
    assert "1 device gets push notifications." in page


def test_without_a_vapid_key_the_settings_page_says_why_push_is_unavailable(app, logged_in):
    app.config["VAPID_PUBLIC_KEY"] = None
    client, _ = logged_in()
    page = client.get("/account/notifications").text
    assert "Push notifications on this device" in page
    assert "data-public-key" not in page
    assert "not set up on this server" in page


def test_the_vapid_keys_command_prints_a_pair_that_signs_what_push_services_verify(app):
    from py_vapid import Vapid

    result = app.test_cli_runner().invoke(args=["puchi", "vapid-keys"])
    assert result.exit_code == 0, result.output
    printed = dict(line.split("=", 1) for line in result.output.splitlines() if "=" in line)
    public, private = printed["VAPID_PUBLIC_KEY"], printed["VAPID_PRIVATE_KEY"]
    assert len(unb64url(public)) == 65 and unb64url(public)[0] == 4  # what applicationServerKey takes

    # The private key, read the way pywebpush reads it, signs tokens the public key verifies.
    claims = {"sub": SUBJECT, "aud": "https://push.example.com", "exp": int(time.time()) + 3600}
    header = Vapid.from_string(private).sign(claims)["Authorization"]
    token = header.split("t=", 1)[1].split(",", 1)[0]
    assert verify_jwt(token, public)["aud"] == "https://push.example.com"
    with pytest.raises(InvalidSignature):
        verify_jwt(token, VAPID_PUBLIC)  # and another pair does not
