"""Stripe's webhooks, end to end through the endpoint: signatures, once-only storage, out-of-order delivery."""

from __future__ import annotations

import json
import random

import pytest
import stripe
from sqlalchemy import func, select

from puchi.billing.events import SubscriptionChanged
from puchi.billing.models import Customer, StripeEvent
from puchi.core import outbox
from puchi.core.db import db
from puchi.core.events import Event
from tests import stripe_fake
from tests.billing.conftest import (
    PRICE_SUPER_MONTHLY,
    PRICE_SUPER_YEARLY,
    deliver,
    now_s,
    stored_events,
    subscription_record,
)


def _changes(app) -> list[SubscriptionChanged]:
    with app.app_context():
        payloads = db.session.scalars(select(Event.payload).where(Event.name == SubscriptionChanged.name)
                                      .order_by(Event.id)).all()
    return [SubscriptionChanged.from_payload(payload) for payload in payloads]


def test_a_signed_event_is_stored_once_and_makes_the_subscription_record(app, client, stripe_api, make_user):
    learner = make_user()
    customer = stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})
    period_end = now_s() + 30 * 86400
    subscription = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, period_end=period_end)
    body = stripe_api.event("customer.subscription.created", subscription, created=now_s() - 5)

    assert deliver(client, body).status_code == 200
    assert deliver(client, body).status_code == 200  # Stripe's redelivery: a no-op

    [stored] = stored_events(app)
    assert stored.stripe_id == json.loads(body)["id"] and stored.processed_at is not None
    record = subscription_record(app, subscription["id"])
    assert (record.status, record.plan, record.user_id) == ("active", "super_monthly", learner.id)
    assert int(record.current_period_end.timestamp()) == period_end and not record.cancel_at_period_end
    [change] = _changes(app)
    assert (change.status, change.premium, change.previous_status) == ("active", True, None)
    # The learner was named only in the customer's metadata: billing asked Stripe for the customer once.
    assert len(stripe_api.asked("GET", f"/v1/customers/{customer['id']}")) == 1


@pytest.mark.parametrize("case", ["tampered", "old", "missing", "wrong secret", "garbage header"])
def test_a_delivery_that_stripe_did_not_sign_now_is_refused_and_nothing_is_stored(app, client, stripe_api, case):
    customer = stripe_api.customer()
    subscription = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, period_end=now_s() + 86400)
    body = stripe_api.event("customer.subscription.created", subscription, created=now_s())
    if case == "tampered":
        response = deliver(client, body.replace('"active"', '"trialing"'), signature=stripe_fake.signed(body))
    elif case == "old":
        response = deliver(client, body, at=now_s() - 600)  # ten minutes old: past the 300 s tolerance
    elif case == "missing":
        response = client.post("/billing/stripe/webhook", data=body, content_type="application/json")
    elif case == "wrong secret":
        response = deliver(client, body, signature=stripe_fake.signed(body, secret="whsec_someone_else"))
    else:
        response = deliver(client, body, signature="t=abc,v1=")
    assert response.status_code == 400
    assert stored_events(app) == []
    assert subscription_record(app, subscription["id"]) is None
    assert _changes(app) == []


def _lifecycle(stripe_api, learner_id: int) -> tuple[str, list[str]]:
    """A month of one subscription, as Stripe would send it: checkout, trial, paid, a failed renewal, paid
    again with cancellation asked for, then ended. Stripe (the fake) holds the final state."""
    customer = stripe_api.customer()
    t0 = now_s() - 3600
    end = now_s() + 20 * 86400
    sub_id = stripe_api.new_id("sub")

    def state(**kwargs):
        return stripe_api.subscription(customer["id"], PRICE_SUPER_YEARLY, subscription_id=sub_id,
                                       period_end=end, **kwargs)

    session = {"id": stripe_api.new_id("cs"), "object": "checkout.session", "mode": "subscription",
               "client_reference_id": str(learner_id), "customer": customer["id"], "subscription": sub_id,
               "status": "complete", "payment_status": "paid", "metadata": {}}
    bodies = [
        stripe_api.event("customer.subscription.created", state(status="trialing", trial_end=t0 + 50), created=t0),
        stripe_api.event("checkout.session.completed", session, created=t0 + 1),
        stripe_api.event("customer.subscription.updated", state(status="active"), created=t0 + 60,
                         previous_attributes={"status": "trialing"}),
        stripe_api.event("customer.subscription.updated", state(status="past_due"), created=t0 + 120,
                         previous_attributes={"status": "active"}),
        stripe_api.event("customer.subscription.updated", state(status="active", cancel_at_period_end=True),
                         created=t0 + 180, previous_attributes={"status": "past_due"}),
        stripe_api.event("customer.subscription.deleted", state(status="canceled", cancel_at_period_end=True),
                         created=t0 + 240, previous_attributes={"status": "active"}),
    ]
    return sub_id, bodies


def _final(app, sub_id: str) -> tuple:
    record = subscription_record(app, sub_id)
    return (record.status, record.plan, record.user_id, record.cancel_at_period_end,
            int(record.current_period_end.timestamp()), record.past_due_since)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_event_three_times_in_any_order_ends_in_the_same_state(app, client, stripe_api, make_user, seed):
    learner = make_user()
    sub_id, bodies = _lifecycle(stripe_api, learner.id)
    deliveries = bodies * 3
    random.Random(seed).shuffle(deliveries)

    for body in deliveries:
        assert deliver(client, body).status_code == 200

    assert _final(app, sub_id)[:4] == ("canceled", "super_yearly", learner.id, True)
    assert _final(app, sub_id)[5] is None  # no longer past due
    stored = stored_events(app)
    assert sorted(row.stripe_id for row in stored) == sorted(json.loads(body)["id"] for body in bodies)
    assert all(row.processed_at is not None for row in stored)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
    assert _changes(app)[-1].status == "canceled" and not _changes(app)[-1].premium


def test_in_order_and_shuffled_deliveries_agree(app, client, stripe_api, make_user):
    learner = make_user()
    sub_id, bodies = _lifecycle(stripe_api, learner.id)
    for body in bodies:
        deliver(client, body)
    in_order = _final(app, sub_id)
    assert stripe_api.asked("GET", f"/v1/subscriptions/{sub_id}") == []  # nothing was older than what was held
    assert in_order[0] == "canceled"

    # The same facts again, for a second subscription, newest first: every older one is checked with Stripe.
    other = make_user()
    other_sub, other_bodies = _lifecycle(stripe_api, other.id)
    for body in reversed(other_bodies):
        deliver(client, body)
    assert _final(app, other_sub)[:4] == ("canceled", "super_yearly", other.id, True)
    assert len(stripe_api.asked("GET", f"/v1/subscriptions/{other_sub}")) >= 1


def test_an_event_older_than_the_held_state_is_checked_with_stripe(app, client, stripe_api, make_user):
    learner = make_user()
    customer = stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})
    t0 = now_s() - 600
    trialing = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, status="trialing",
                                       period_end=now_s() + 86400, trial_end=now_s() + 3600)
    active = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, subscription_id=trialing["id"],
                                     status="active", period_end=now_s() + 86400)
    path = f"/v1/subscriptions/{trialing['id']}"

    deliver(client, stripe_api.event("customer.subscription.updated", active, created=t0 + 60))
    assert stripe_api.asked("GET", path) == []
    # Stripe now says past_due; the late "created" (trialing) must not roll the record back to a trial.
    stripe_api.subscriptions[trialing["id"]]["status"] = "past_due"
    deliver(client, stripe_api.event("customer.subscription.created", trialing, created=t0))

    [fetch] = stripe_api.asked("GET", path)
    assert fetch.headers["authorization"] == f"Bearer {stripe_fake.SECRET_KEY}"
    assert fetch.headers["stripe-version"] == stripe_fake.API_VERSION
    record = subscription_record(app, trialing["id"])
    assert record.status == "past_due" and record.past_due_since is not None
    assert [change.status for change in _changes(app)] == ["active", "past_due"]


def test_with_stripe_down_the_event_waits_and_applies_once_stripe_answers(app, client, stripe_api, make_user):
    learner = make_user()
    customer = stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})
    t0 = now_s() - 600
    first = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, period_end=now_s() + 86400)
    deliver(client, stripe_api.event("customer.subscription.updated", first, created=t0 + 60))
    stripe_api.subscriptions[first["id"]]["cancel_at_period_end"] = True

    stripe_api.fail_with = 500
    late = stripe_api.event("customer.subscription.created", first, created=t0)
    assert deliver(client, late).status_code == 200  # stored: Stripe's outage is ours to wait out
    with app.app_context():
        message = db.session.scalars(select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id.desc())).first()
        message_id, status = message.id, message.status
    assert status == outbox.PENDING  # to be retried, not failed
    assert not subscription_record(app, first["id"]).cancel_at_period_end

    stripe_api.fail_with = None
    with app.app_context():
        assert outbox.run_message(message_id) == outbox.DONE
        assert db.session.scalar(select(StripeEvent.processed_at).where(
            StripeEvent.stripe_id == json.loads(late)["id"])) is not None
    assert subscription_record(app, first["id"]).cancel_at_period_end


@pytest.mark.parametrize("body", [
    b"not json", b"\xff\xfe{}", b"[]", b"{}", b"[" * 50_000 + b"]" * 50_000,
    b'{"id": 5, "type": "customer.subscription.created", "created": 1, "data": {"object": {"id": "sub_1"}}}',
    b'{"id": "evt_1", "type": "customer.subscription.created", "created": true, "data": {"object": {}}}',
    b'{"id": "evt_1", "type": "customer.subscription.created", "created": 1, "data": {"object": {"id": 7}}}',
], ids=["text", "not utf-8", "a list", "empty", "deep", "numeric id", "boolean time", "object without id"])
def test_a_signed_body_that_is_no_event_is_refused_without_a_server_error(app, client, body):
    # Signed over the text Stripe's library reads (bad UTF-8 cannot be signed, and is refused before that).
    signature = stripe.WebhookSignature.generate_signature_header(body.decode("utf-8", "replace"),
                                                                  stripe_fake.WEBHOOK_SECRET)
    response = client.post("/billing/stripe/webhook", data=body, content_type="application/json",
                           headers={"Stripe-Signature": signature})
    assert response.status_code == 400
    assert stored_events(app) == []


def test_a_signed_event_of_odd_shapes_is_stored_and_processed_without_breaking(app, client, stripe_api):
    odd = {"id": "sub_odd", "object": "subscription", "customer": None, "status": None, "items": ["x"],
           "plan": "price_x", "metadata": "none", "current_period_end": "soon"}
    body = stripe_api.event("customer.subscription.updated", odd, created=now_s())
    assert deliver(client, body).status_code == 200
    record = subscription_record(app, "sub_odd")
    assert (record.status, record.plan, record.user_id, record.current_period_end) == ("incomplete", None, None, None)
