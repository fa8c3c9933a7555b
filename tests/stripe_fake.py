"""A local fake of Stripe's API, speaking its wire format, for the ``stripe`` library to talk to.

Requests are form-encoded with Stripe's bracket notation (``metadata[puchi_user_id]=7``,
``items[0][price]=price_x``) and authenticated with a Bearer secret key; answers are JSON objects in Stripe's
shapes (``object``, id prefixes, list envelopes) and its error bodies (``{"error": {"type": …}}``). Tests
set the objects it holds, read the requests it got, and can make it fail like Stripe down (500s).

Webhook deliveries are made here too: :meth:`StripeFake.event` builds an event the way Stripe does and
:func:`signed` signs a body with Stripe's own scheme.

Like Stripe, a POST with an ``Idempotency-Key`` it has seen answers the first answer again when the
parameters are the same, and refuses (``idempotency_error``) when they differ. It also serves stand-ins for
Stripe's hosted pages, for browser tests: a Checkout page at the session's ``url`` whose "Pay" button makes the
subscription, sends the webhooks (signed, to ``webhook_url``) and returns to the ``success_url``; and a
customer portal whose "Cancel plan" button asks for cancellation at the period's end.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

SECRET_KEY = "sk_test_puchi_fake"
WEBHOOK_SECRET = "whsec_puchi_fake_secret"
API_VERSION = stripe.api_version


def signed(body: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``body`` (signed at ``at``, default now)."""
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=at or int(time.time()))


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's bracket notation back into nested dicts and lists (``a[b][0][c]=v``)."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return _lists(result)


def _lists(value: Any) -> Any:
    """Dicts keyed 0, 1, 2… (how bracket notation spells a list) become lists."""
    if not isinstance(value, dict):
        return value
    converted = {k: _lists(v) for k, v in value.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class StripeFake:
    url: str = ""
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkout_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    webhook_url: str | None = None  # where the hosted pages deliver their webhooks (a live server's endpoint)
    delivered: list[tuple[str, int]] = field(default_factory=list)  # (event type, the endpoint's status)
    outgoing: list[str] = field(default_factory=list)  # bodies of events not sent yet (see :meth:`send`)
    webhooks_held: bool = False  # keep events in ``outgoing`` until :meth:`flush` (Stripe is a little late)
    _idempotent: dict[str, tuple[str, dict[str, Any], int, dict[str, Any]]] = field(default_factory=dict)
    fail_with: int | None = None  # answer every request with this status (Stripe down)
    hold: threading.Event | None = None  # while set to an unset Event, requests wait for it (Stripe slow)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}{secrets.token_hex(6)}"

    def asked(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # --- Objects in Stripe's shapes -----------------------------------------------------------------

    def customer(self, *, email: str = "learner@example.com", metadata: dict[str, str] | None = None
                 ) -> dict[str, Any]:
        customer = {"id": self.new_id("cus"), "object": "customer", "created": int(time.time()), "email": email,
                    "livemode": False, "metadata": metadata or {}, "name": None, "currency": None,
                    "default_source": None, "delinquent": False, "description": None,
                    "invoice_settings": {"default_payment_method": None}}
        self.customers[customer["id"]] = customer
        return customer

    def subscription(self, customer_id: str, price_id: str, *, status: str = "active", period_end: int,
                     cancel_at_period_end: bool = False, trial_end: int | None = None,
                     metadata: dict[str, str] | None = None, subscription_id: str | None = None,
                     trial_start: int | None = None, unit_amount: int = 699, interval: str = "month",
                     created: int | None = None, ended_at: int | None = None, currency: str = "usd"
                     ) -> dict[str, Any]:
        """A subscription object as of API version 2025-03-31 and later (the period on each item); it is
        also what this fake answers for that id from now on."""
        subscription_id = subscription_id or self.new_id("sub")
        period_start = period_end - 30 * 86400
        subscription = {
            "id": subscription_id, "object": "subscription", "created": created or period_start,
            "start_date": created or period_start, "customer": customer_id,
            "status": status, "cancel_at_period_end": cancel_at_period_end, "cancel_at": None,
            "canceled_at": (ended_at or int(time.time())) if status == "canceled" else None, "ended_at": ended_at,
            "currency": currency, "livemode": False, "metadata": metadata or {}, "trial_start": trial_start,
            "trial_end": trial_end, "collection_method": "charge_automatically", "latest_invoice": None,
            "items": {"object": "list", "url": f"/v1/subscription_items?subscription={subscription_id}",
                      "has_more": False, "data": [{
                          "id": self.new_id("si"), "object": "subscription_item", "quantity": 1,
                          "subscription": subscription_id, "current_period_start": period_start,
                          "current_period_end": period_end, "metadata": {},
                          "price": {"id": price_id, "object": "price", "active": True, "currency": currency,
                                    "unit_amount": unit_amount, "type": "recurring", "livemode": False,
                                    "recurring": {"interval": interval, "interval_count": 1},
                                    "product": "prod_puchisuper"}}]},
        }
        self.subscriptions[subscription_id] = subscription
        return json.loads(json.dumps(subscription))

    def invoice(self, customer_id: str, subscription_id: str | None, *, price_id: str, status: str = "paid",
                amount: int = 699, tax: int = 0, currency: str = "usd", period_start: int, period_end: int,
                invoice_id: str | None = None, payment_intent: str | None = None, attempt_count: int = 1,
                paid_at: int | None = None) -> dict[str, Any]:
        """An invoice object as of API version 2025-03-31 and later (subscription under ``parent``, taxes in
        ``total_taxes``, the payment under ``payments``)."""
        invoice_id = invoice_id or self.new_id("in")
        payment_intent = payment_intent or self.new_id("pi")
        paid = status == "paid"
        return {
            "id": invoice_id, "object": "invoice", "customer": customer_id, "status": status,
            "number": f"PUCHI-{invoice_id[-6:].upper()}", "currency": currency, "livemode": False,
            "amount_due": amount + tax, "amount_paid": amount + tax if paid else 0,
            "amount_remaining": 0 if paid else amount + tax, "subtotal": amount, "total": amount + tax,
            "total_taxes": [{"amount": tax, "tax_behavior": "exclusive", "taxability_reason": "standard_rated",
                             "type": "tax_rate_details"}] if tax else [],
            "attempt_count": attempt_count, "attempted": True, "billing_reason": "subscription_cycle",
            "collection_method": "charge_automatically", "created": period_start,
            "period_start": period_start, "period_end": period_start,
            "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_puchi/{invoice_id}",
            "invoice_pdf": f"https://pay.stripe.com/invoice/acct_puchi/{invoice_id}/pdf",
            "status_transitions": {"finalized_at": period_start, "paid_at": (paid_at or period_start) if paid else None,
                                   "voided_at": None, "marked_uncollectible_at": None},
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"subscription": subscription_id, "metadata": {}}}
            if subscription_id else None,
            "payments": {"object": "list", "has_more": False, "url": f"/v1/invoices/{invoice_id}/payments", "data": [
                {"id": self.new_id("inpay"), "object": "invoice_payment", "invoice": invoice_id,
                 "amount_paid": amount + tax if paid else None, "amount_requested": amount + tax, "is_default": True,
                 "status": "paid" if paid else "open",
                 "payment": {"type": "payment_intent", "payment_intent": payment_intent}}]},
            "lines": {"object": "list", "has_more": False, "url": f"/v1/invoices/{invoice_id}/lines", "data": [
                {"id": self.new_id("il"), "object": "line_item", "amount": amount, "currency": currency,
                 "description": "1 × Puchi Super", "quantity": 1,
                 "period": {"start": period_start, "end": period_end},
                 "pricing": {"type": "price_details", "unit_amount_decimal": str(amount),
                             "price_details": {"price": price_id, "product": "prod_puchisuper"}}}]},
        }

    def charge(self, *, payment_intent: str, amount: int, amount_refunded: int = 0, currency: str = "usd",
               charge_id: str | None = None) -> dict[str, Any]:
        """A charge object (since API version 2025-03-31 it names its payment intent, not its invoice)."""
        return {"id": charge_id or self.new_id("ch"), "object": "charge", "amount": amount,
                "amount_captured": amount, "amount_refunded": amount_refunded, "currency": currency,
                "captured": True, "paid": True, "refunded": amount_refunded >= amount, "disputed": False,
                "payment_intent": payment_intent, "status": "succeeded", "livemode": False,
                "created": int(time.time()), "metadata": {}}

    def dispute(self, charge: dict[str, Any], *, status: str = "needs_response") -> dict[str, Any]:
        return {"id": self.new_id("dp"), "object": "dispute", "charge": charge["id"], "amount": charge["amount"],
                "currency": charge["currency"], "payment_intent": charge["payment_intent"], "reason": "fraudulent",
                "status": status, "is_charge_refundable": False, "livemode": False, "created": int(time.time()),
                "metadata": {}}
    def price(self, price_id: str, *, unit_amount: int = 699, currency: str = "usd", interval: str = "month"
              ) -> dict[str, Any]:
        """A recurring price, as ``GET /v1/prices/<id>`` answers it from now on."""
        price = {"id": price_id, "object": "price", "active": True, "billing_scheme": "per_unit",
                 "created": int(time.time()), "currency": currency, "livemode": False, "lookup_key": None,
                 "metadata": {}, "nickname": None, "product": "prod_puchisuper", "tax_behavior": "unspecified",
                 "type": "recurring", "unit_amount": unit_amount, "unit_amount_decimal": str(unit_amount),
                 "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed",
                               "aggregate_usage": None, "trial_period_days": None}}
        self.prices[price_id] = price
        return price

    def checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = self.new_id("cs_test")
        session = {
            "id": session_id, "object": "checkout.session", "mode": params.get("mode"), "status": "open",
            "payment_status": "unpaid", "url": f"{self.url}/checkout/{session_id}", "livemode": False,
            "created": int(time.time()), "expires_at": int(time.time()) + 86400,
            "customer": params.get("customer"), "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata") or {},
            "subscription": None, "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "allow_promotion_codes": params.get("allow_promotion_codes") == "true", "currency": "usd",
            "amount_total": None, "locale": params.get("locale"),
        }
        # What Stripe keeps but does not show on the session: what the subscription is to be.
        session["_line_items"] = params.get("line_items") or []
        session["_subscription_data"] = params.get("subscription_data") or {}
        self.checkout_sessions[session_id] = session
        return _public(session)

    def portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = self.new_id("bps")
        session = {"id": session_id, "object": "billing_portal.session", "configuration": "bpc_puchi",
                   "created": int(time.time()), "customer": params.get("customer"), "livemode": False,
                   "locale": None, "on_behalf_of": None, "return_url": params.get("return_url"),
                   "url": f"{self.url}/portal/{session_id}"}
        self.portal_sessions[session_id] = session
        return session

    def event(self, kind: str, obj: dict[str, Any], *, created: int,
              previous_attributes: dict[str, Any] | None = None) -> str:
        """The JSON body of a webhook delivery of ``kind`` about ``obj``, as Stripe sends it."""
        data: dict[str, Any] = {"object": obj}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        return json.dumps({"id": self.new_id("evt"), "object": "event", "api_version": API_VERSION,
                           "created": created, "data": data, "livemode": False, "pending_webhooks": 1,
                           "request": {"id": None, "idempotency_key": None}, "type": kind})

    # --- The server ---------------------------------------------------------------------------------

    def answer(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
               ) -> tuple[int, dict[str, Any]]:
        self.requests.append(Request(method, path, params, headers))
        if self.hold is not None:
            self.hold.wait(timeout=60)
        if self.fail_with is not None:
            return self.fail_with, _error("api_error", "An unknown error occurred.")
        if headers.get("authorization") != f"Bearer {SECRET_KEY}":
            return 401, _error("invalid_request_error", "Invalid API Key provided.")
        key = headers.get("idempotency-key")
        if method == "POST" and key:
            if key in self._idempotent:
                first_path, first_params, status, document = self._idempotent[key]
                if (first_path, first_params) != (path, params):
                    return 400, _error("idempotency_error", "Keys for idempotent requests can only be used with "
                                       "the same parameters they were first used with. Try using a key other "
                                       f"than '{key}' if you meant to execute a different request.")
                return status, document
            status, document = self._route(method, path, params)
            if status < 500:  # Stripe keeps the answer of a request it carried out, error or not
                self._idempotent[key] = (path, params, status, document)
            return status, document
        return self._route(method, path, params)

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        match = re.fullmatch(r"/v1/(customers|subscriptions|prices|checkout/sessions)/([A-Za-z0-9_]+)", path)
        if method == "POST" and path == "/v1/customers":
            customer = self.customer(email=params.get("email", ""), metadata=params.get("metadata"))
            return 200, customer
        if method == "POST" and path == "/v1/checkout/sessions":
            if not params.get("line_items") or not params.get("success_url"):
                return 400, _error("invalid_request_error", "Missing required param: line_items.",
                                   param="line_items")
            return 200, self.checkout_session(params)
        if method == "POST" and path == "/v1/billing_portal/sessions":
            if params.get("customer") not in self.customers:
                return 400, _error("invalid_request_error", f"No such customer: '{params.get('customer')}'",
                                   code="resource_missing", param="customer")
            return 200, self.portal_session(params)
        if match and method == "GET":
            kind, object_id = match.groups()
            store, name = {"customers": (self.customers, "customer"),
                           "subscriptions": (self.subscriptions, "subscription"),
                           "prices": (self.prices, "price"),
                           "checkout/sessions": (self.checkout_sessions, "checkout.session")}[kind]
            if object_id not in store:
                return 404, _error("invalid_request_error", f"No such {name}: '{object_id}'",
                                   code="resource_missing", param="id")
            return 200, _public(store[object_id])
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    # --- Stripe's hosted pages (for browser tests) and the webhooks they cause ----------------------

    def hosted_page(self, method: str, path: str) -> tuple[int, dict[str, str], str]:
        """(status, headers, HTML) of a stand-in for Stripe's Checkout page or customer portal."""
        match = re.fullmatch(r"/(checkout|portal)/([A-Za-z0-9_]+)(/pay|/cancel)?", path)
        if not match:
            return 404, {}, "<p>Not found</p>"
        page, object_id, act = match.groups()
        if page == "checkout" and object_id in self.checkout_sessions:
            session = self.checkout_sessions[object_id]
            if method == "POST" and act == "/pay":
                self.pay(object_id)
                return 303, {"Location": session["success_url"].replace("{CHECKOUT_SESSION_ID}", object_id)}, ""
            return 200, {}, _page("Checkout", f"""<h1>Pay Puchi</h1>
<p>Price {html.escape(str(session["_line_items"][0].get("price")))}</p>
<form method="post" action="/checkout/{object_id}/pay"><button type="submit">Pay</button></form>
<p><a href="{html.escape(session["cancel_url"] or "")}">Back</a></p>""")
        if page == "portal" and object_id in self.portal_sessions:
            portal = self.portal_sessions[object_id]
            if method == "POST" and act == "/cancel":
                for subscription in self.subscriptions.values():
                    if subscription["customer"] == portal["customer"] and subscription["status"] != "canceled":
                        self.cancel_at_period_end(subscription["id"])
                return 303, {"Location": portal["return_url"]}, ""
            return 200, {}, _page("Customer portal", f"""<h1>Your subscription</h1>
<form method="post" action="/portal/{object_id}/cancel"><button type="submit">Cancel plan</button></form>
<p><a href="{html.escape(portal["return_url"] or "")}">Return to Puchi</a></p>""")
        return 404, {}, "<p>Not found</p>"

    def pay(self, session_id: str) -> dict[str, Any]:
        """The learner paid on the Checkout page: the subscription starts (on trial when asked for), and
        Stripe sends ``checkout.session.completed`` and ``customer.subscription.created``."""
        session = self.checkout_sessions[session_id]
        data = session["_subscription_data"]
        trial_days = int(data.get("trial_period_days") or 0)
        start = int(time.time())
        period_end = start + (trial_days or 30) * 86400
        subscription = self.subscription(session["customer"], session["_line_items"][0]["price"],
                                         status="trialing" if trial_days else "active", period_end=period_end,
                                         trial_end=period_end if trial_days else None,
                                         metadata=data.get("metadata") or {})
        session.update(status="complete", payment_status="no_payment_required" if trial_days else "paid",
                       subscription=subscription["id"])
        self.send("checkout.session.completed", _public(session))
        self.send("customer.subscription.created", subscription)
        return subscription

    def cancel_at_period_end(self, subscription_id: str) -> None:
        subscription = self.subscriptions[subscription_id]
        subscription.update(cancel_at_period_end=True, canceled_at=int(time.time()),
                            cancel_at=subscription["items"]["data"][0]["current_period_end"])
        self.send("customer.subscription.updated", json.loads(json.dumps(subscription)),
                  previous_attributes={"cancel_at_period_end": False})

    def end(self, subscription_id: str) -> None:
        """The period is over (or the subscription was cancelled at once): ``customer.subscription.deleted``."""
        subscription = self.subscriptions[subscription_id]
        subscription.update(status="canceled", ended_at=int(time.time()))
        self.send("customer.subscription.deleted", json.loads(json.dumps(subscription)))

    def send(self, kind: str, obj: dict[str, Any], previous_attributes: dict[str, Any] | None = None) -> None:
        """Deliver one event, signed, to ``webhook_url`` (Stripe's webhook endpoint setting), or keep it in
        ``outgoing`` (no ``webhook_url``, or ``webhooks_held``) for the test to deliver or flush."""
        body = self.event(kind, obj, created=int(time.time()), previous_attributes=previous_attributes)
        if self.webhook_url is None or self.webhooks_held:
            self.outgoing.append(body)  # the test delivers them, or flushes them later
            return
        self._post(body)

    def flush(self) -> None:
        """Send the events kept in ``outgoing`` to ``webhook_url``, oldest first."""
        while self.outgoing:
            self._post(self.outgoing.pop(0))

    def _post(self, body: str) -> None:
        assert self.webhook_url is not None
        kind = json.loads(body)["type"]
        request = urllib.request.Request(self.webhook_url, data=body.encode(), method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signed(body)})
        with urllib.request.urlopen(request, timeout=30) as answer:
            self.delivered.append((kind, answer.status))


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as Stripe shows it: without what the fake keeps for itself (keys starting with ``_``)."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><main>{body}</main></body></html>")


def _error(kind: str, message: str, *, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error.update(code=code, doc_url=f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}")
    if param:
        error["param"] = param
    return {"error": error}


@contextmanager
def running() -> Iterator[StripeFake]:
    """A fake on a free loopback port, for as long as the block runs."""
    fake = StripeFake()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            if not parts.path.startswith("/v1/"):
                status, headers, page = fake.hosted_page(self.command, parts.path)
                payload = page.encode()
                self.send_response(status)
                for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            params = decode_form(parts.query if self.command == "GET" else body)
            status, document = fake.answer(self.command, parts.path, params,
                                           {k.lower(): v for k, v in self.headers.items()})
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            self.send_header("Stripe-Version", API_VERSION)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
