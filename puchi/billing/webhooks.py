"""Stripe's webhooks: verified on the raw body, stored once by event id, then processed through the outbox.

Stripe delivers at least once, for days, and in any order. So :func:`receive` stores each event under the
unique Stripe event id (a redelivery changes nothing) and hands it to an outbox job in the same transaction;
:func:`process` applies it to billing's record in one action that also marks it processed, so it counts
once however often the job runs. Order: a subscription's record keeps the Stripe time of the state it holds
(``state_at``). An event newer than that is applied as it is; an older one (or one of the same second, which
cannot be ordered) is not trusted: the subscription is read from Stripe instead, and that answer holds as of
the moment it was read. Invoices, refunds and disputes (``ledger.py``) need no such check: their facts are
merged in an order-independent way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import stripe
from flask import current_app
from sqlalchemy import CursorResult, select, update

from puchi.accounts import services as accounts
from puchi.billing import ledger, services
from puchi.billing.events import SubscriptionChanged
from puchi.billing.models import Customer, StripeEvent, Subscription
from puchi.billing.stripe_client import client
from puchi.core import events, outbox
from puchi.core.db import action, db, now
from puchi.core.errors import BadRequest, NotFound
from puchi.core.inputs import MAX_INT32, parse_int
from puchi.core.upserts import insert_if_missing

TOLERANCE_SECONDS = 300  # Stripe's own default: a signature older than five minutes is a replay
PROCESS_JOB = "billing.process_stripe_event"
SUBSCRIPTION_EVENTS = frozenset({"customer.subscription.created", "customer.subscription.updated",
                                 "customer.subscription.deleted", ledger.TRIAL_WILL_END})
CHECKOUT_COMPLETED = "checkout.session.completed"
HANDLED = SUBSCRIPTION_EVENTS | {CHECKOUT_COMPLETED} | ledger.LEDGER_EVENTS
USER_ID_KEY = "puchi_user_id"  # the metadata key that names our user on Stripe's objects
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class StaleState(RuntimeError):
    """Another event of the same second was applied meanwhile: the job runs again and asks Stripe."""


# --- Receiving -------------------------------------------------------------------------------------------

def receive(body: bytes, signature: str | None) -> bool:
    """Verify and store one webhook delivery; True when it was new (a redelivery is a no-op).

    :raises NotFound: billing is off (no Stripe secrets configured).
    :raises BadRequest: the signature is missing, wrong or older than five minutes, or the body is not an
        event; nothing is stored.
    """
    if not services.configured():
        raise NotFound(code="billing_off")
    if not signature:
        raise BadRequest(code="stripe_signature_missing")
    try:
        stripe.WebhookSignature.verify_header(body, signature, current_app.config["STRIPE_WEBHOOK_SECRET"],
                                              tolerance=TOLERANCE_SECONDS)
        event = json.loads(body)
    except (stripe.SignatureVerificationError, ValueError, RecursionError) as error:  # bad UTF-8 is a ValueError
        raise BadRequest(code="stripe_signature_invalid") from error
    if not _is_event(event):
        raise BadRequest(code="stripe_event_malformed")
    return _store(event)


def _is_event(event: Any) -> bool:
    return (isinstance(event, dict) and isinstance(event.get("id"), str) and 0 < len(event["id"]) <= 255
            and isinstance(event.get("type"), str) and len(event["type"]) <= 100
            and isinstance(event.get("created"), int) and not isinstance(event["created"], bool)
            and isinstance(event.get("data"), dict) and isinstance(event["data"].get("object"), dict)
            and (event["type"] not in HANDLED or isinstance(event["data"]["object"].get("id"), str)))


@action
def _store(event: dict[str, Any]) -> bool:
    inserted = insert_if_missing(StripeEvent, {"stripe_id": event["id"]}, type=event["type"],
                                 created=_time(event["created"]), payload=event, received_at=now())
    # Kinds billing does not act on yet are kept unprocessed: a later version can replay them.
    if inserted and event["type"] in HANDLED:
        row_id = db.session.scalar(select(StripeEvent.id).where(StripeEvent.stripe_id == event["id"]))
        outbox.add(PROCESS_JOB, {"stripe_event": row_id})
    return inserted


# --- Processing ------------------------------------------------------------------------------------------

def process(stripe_event_id: int) -> None:
    """Apply one stored event to billing's record, once. Calls to Stripe happen before the transaction."""
    row = db.session.get(StripeEvent, stripe_event_id)
    if row is None or row.processed_at is not None:
        return
    kind, created, obj = row.type, row.created, row.payload["data"]["object"]
    if kind == CHECKOUT_COMPLETED:
        _checkout_completed(stripe_event_id, obj)
    elif kind in SUBSCRIPTION_EVENTS:
        _subscription_event(stripe_event_id, created, obj, trial_notice=kind == ledger.TRIAL_WILL_END)
    elif kind in ledger.LEDGER_EVENTS:
        _ledger_event(stripe_event_id, kind, created, obj)


def _ledger_event(stripe_event_id: int, kind: str, created: datetime, obj: dict[str, Any]) -> None:
    """Invoices, refunds and disputes (puchi/billing/ledger.py): merged in any order, so none asks Stripe."""
    owner = ledger.invoice_owner(obj) if kind in ledger.INVOICE_EVENTS else None
    with action():
        if not _claim(stripe_event_id):
            return
        if kind in ledger.INVOICE_EVENTS:
            ledger.apply_invoice(kind, created, obj, owner)
        elif kind == ledger.CHARGE_REFUNDED:
            ledger.apply_charge(created, obj)
        else:
            ledger.apply_dispute(created, obj)


def _subscription_event(stripe_event_id: int, created: datetime, obj: dict[str, Any], *,
                        trial_notice: bool = False) -> None:
    subscription_id = obj["id"]
    held = _held(subscription_id)
    fetched, fetched_at = None, None
    if held is not None and created <= held[0]:
        fetched, fetched_at = fetch_subscription(subscription_id), now()
    owner = _owner(held[1] if held else None, fetched or obj)
    with action():
        if not _claim(stripe_event_id):
            return
        record = _locked_record(subscription_id, (fetched or obj).get("customer"))
        if created > record.state_at:
            _apply(record, obj, state_at=created, owner=owner)
        elif fetched is not None and fetched_at is not None:
            if fetched_at > record.state_at:
                _apply(record, fetched, state_at=fetched_at, owner=owner)
        else:
            raise StaleState(subscription_id)
        if record.user_id is None and owner is not None:  # an outdated event can still say whose it is
            premium_before = ledger.was_premium(record)
            record.user_id = owner
            ledger.note_premium_start(record, premium_before)
        if trial_notice:
            ledger.trial_ending(record)


def _checkout_completed(stripe_event_id: int, session: dict[str, Any]) -> None:
    """A finished checkout names its learner (``client_reference_id``, or our metadata key) and their Stripe
    customer; the subscription it started is read from Stripe when we hold nothing of it yet."""
    user_id = _existing_user(session.get("client_reference_id")) or _existing_user(_metadata_user(session))
    customer_id = _id_of(session.get("customer"))
    subscription_id = _id_of(session.get("subscription"))
    fetched, fetched_at = None, None
    if subscription_id and _held(subscription_id) is None:
        fetched, fetched_at = fetch_subscription(subscription_id), now()
    with action():
        if not _claim(stripe_event_id):
            return
        if user_id is not None and customer_id:
            _link(customer_id, user_id)
        if fetched is not None and fetched_at is not None and subscription_id:
            record = _locked_record(subscription_id, fetched.get("customer"))
            if fetched_at > record.state_at:
                _apply(record, fetched, state_at=fetched_at, owner=user_id)


def _claim(stripe_event_id: int) -> bool:
    """Mark the event processed in this transaction; False when a run before this one already did."""
    claimed = cast(CursorResult[Any], db.session.execute(
        update(StripeEvent).where(StripeEvent.id == stripe_event_id, StripeEvent.processed_at.is_(None))
        .values(processed_at=now())))
    return claimed.rowcount == 1


def _held(subscription_id: str) -> tuple[datetime, int | None] | None:
    """The Stripe time of the state held for this subscription, and whose it is; None when none is held."""
    found = db.session.execute(select(Subscription.state_at, Subscription.user_id)
                               .where(Subscription.stripe_subscription_id == subscription_id)).first()
    db.session.rollback()  # the read ends here: Stripe may be slow, and no transaction waits on it
    return (found[0], found[1]) if found else None


def _locked_record(subscription_id: str, customer: Any) -> Subscription:
    # Create-if-absent, race-safe; the record is filled in by _apply in this same transaction.
    insert_if_missing(Subscription, {"stripe_subscription_id": subscription_id},
                      stripe_customer_id=_id_of(customer) or "", status="incomplete", state_at=_NEVER,
                      created_at=now(), updated_at=now())
    record = db.session.scalars(select(Subscription).where(Subscription.stripe_subscription_id == subscription_id)
                                .with_for_update()).one()
    return record


def _apply(record: Subscription, obj: dict[str, Any], *, state_at: datetime, owner: int | None) -> None:
    """Make ``record`` say what the Stripe subscription ``obj`` says, as of ``state_at``."""
    before = (record.status, record.plan, record.current_period_end, record.cancel_at_period_end)
    premium_before = ledger.was_premium(record)
    first_time = record.state_at == _NEVER
    item = _first_item(obj)
    price_id = _id_of((item or {}).get("price")) or _id_of(obj.get("plan"))
    plan = services.plan_for_price(price_id)
    status = str(obj.get("status") or "incomplete")[:32]
    if status == services.PAST_DUE and record.status != services.PAST_DUE:
        record.past_due_since = state_at
    elif status != services.PAST_DUE:
        record.past_due_since = None
    record.status = status
    record.stripe_customer_id = _id_of(obj.get("customer")) or record.stripe_customer_id
    record.price_id = price_id
    record.plan = plan.value if plan else None
    # Since API version 2025-03-31 the period lives on each item; older versions kept it on the subscription.
    record.current_period_end = _time((item or {}).get("current_period_end") or obj.get("current_period_end"))
    record.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    record.trial_end = _time(obj.get("trial_end"))
    record.state_at = state_at
    for name, value in ledger.subscription_facts(obj, item).items():
        setattr(record, name, value)
    if record.user_id is None and owner is not None:
        record.user_id = owner
    db.session.flush()
    ledger.reconcile(record.stripe_subscription_id)  # invoices that came first may start its grace or end it
    after = (record.status, record.plan, record.current_period_end, record.cancel_at_period_end)
    if first_time or after != before:
        events.record(SubscriptionChanged(
            stripe_subscription_id=record.stripe_subscription_id, status=record.status,
            premium=services.grants_premium(record, now()), plan=record.plan,
            previous_status=None if first_time else before[0], current_period_end=record.current_period_end,
            cancel_at_period_end=record.cancel_at_period_end,
        ), actor_id=record.user_id, subject=("billing_subscription", record.id))
    ledger.note_premium_start(record, premium_before)


def _first_item(obj: dict[str, Any]) -> dict[str, Any] | None:
    items = obj.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    return data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None


# --- Whose subscription it is ----------------------------------------------------------------------------

def _owner(known: int | None, obj: dict[str, Any]) -> int | None:
    """Our user for a subscription: already known, named in its metadata, linked to its customer (by an
    earlier checkout), or named in the customer's metadata at Stripe. None while nobody is."""
    if known is not None:
        return known
    if (user_id := _existing_user(_metadata_user(obj))) is not None:
        return user_id
    customer_id = _id_of(obj.get("customer"))
    if not customer_id:
        return None
    linked = db.session.scalar(select(Customer.user_id).where(Customer.stripe_customer_id == customer_id))
    db.session.rollback()
    if linked is not None:
        return linked
    try:
        customer = client().v1.customers.retrieve(customer_id).to_dict()
    except stripe.InvalidRequestError:
        return None  # a customer deleted at Stripe names nobody
    return _existing_user(_metadata_user(customer))


def _link(customer_id: str, user_id: int) -> None:
    insert_if_missing(Customer, {"stripe_customer_id": customer_id}, user_id=user_id, created_at=now())
    unclaimed = db.session.scalars(select(Subscription).where(Subscription.stripe_customer_id == customer_id,
                                                              Subscription.user_id.is_(None))).all()
    for subscription in unclaimed:
        subscription.user_id = user_id
        ledger.note_premium_start(subscription, False)
    ledger.claim_invoices(customer_id, user_id)


def _metadata_user(obj: dict[str, Any]) -> Any:
    metadata = obj.get("metadata")
    return metadata.get(USER_ID_KEY) if isinstance(metadata, dict) else None


def _existing_user(value: Any) -> int | None:
    user_id = parse_int(value, minimum=1, maximum=MAX_INT32)
    if user_id is None:
        return None
    try:
        return accounts.get_user(user_id).id
    except NotFound:
        return None


# --- Stripe's API ----------------------------------------------------------------------------------------

def fetch_subscription(subscription_id: str) -> dict[str, Any]:
    """The subscription as Stripe holds it now.

    :raises NotFound: Stripe knows no such subscription (the job fails at once: asking again will not help).
    :raises stripe.StripeError: Stripe could not answer (the job is retried later).
    """
    try:
        subscription: dict[str, Any] = client().v1.subscriptions.retrieve(subscription_id).to_dict()
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            raise NotFound(code="stripe_subscription_missing") from error
        raise
    return subscription


def _id_of(value: Any) -> str | None:
    """A Stripe reference: the id itself, or an expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, UTC)
