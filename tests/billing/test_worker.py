"""Webhooks through the real queue: the endpoint stores and enqueues, an RQ worker (``python worker.py``)
applies, and a worker killed while applying one leaves it to be applied exactly once after a restart."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from puchi.billing.events import SubscriptionChanged
from puchi.billing.models import StripeEvent
from puchi.core.db import db
from puchi.core.events import Event
from tests import stripe_fake
from tests.billing.conftest import PRICE_SUPER_MONTHLY, deliver, now_s, subscription_record
from tests.conftest import outbox_settled, wait_until

pytestmark = pytest.mark.redis


@pytest.fixture
def app_settings(app_settings, redis_server):
    return {**app_settings, "REDIS_URL": redis_server.url}


@pytest.fixture
def worker_env(stripe_api):
    return {"STRIPE_SECRET_KEY": stripe_fake.SECRET_KEY, "STRIPE_WEBHOOK_SECRET": stripe_fake.WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_api.url, "STRIPE_PRICE_SUPER_MONTHLY": PRICE_SUPER_MONTHLY,
            "PUCHI_STRIPE_TIMEOUT": "60",
            # A claimed message whose worker died is handed over again after 2 s, not 2 minutes.
            "PUCHI_OUTBOX_STALE_SECONDS": "2"}


def _count(app, statement) -> int:
    with app.app_context():
        value = db.session.scalar(statement)
        db.session.remove()
    return int(value or 0)


def test_a_worker_killed_while_applying_an_event_applies_it_once_after_restart(
        app, client, stripe_api, make_user, worker):
    learner = make_user()
    customer = stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})
    t0 = now_s() - 600
    subscription = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, period_end=now_s() + 86400)
    assert deliver(client, stripe_api.event("customer.subscription.updated", subscription,
                                            created=t0 + 60)).status_code == 200
    assert wait_until(lambda: subscription_record(app, subscription["id"]) is not None)
    assert wait_until(lambda: outbox_settled(app))

    # Stripe now says the learner cancelled; a late, older event makes the worker ask Stripe, which hangs.
    stripe_api.subscriptions[subscription["id"]]["cancel_at_period_end"] = True
    stripe_api.hold = threading.Event()
    path = f"/v1/subscriptions/{subscription['id']}"
    assert deliver(client, stripe_api.event("customer.subscription.created", subscription,
                                            created=t0)).status_code == 200
    assert wait_until(lambda: stripe_api.asked("GET", path)), worker.log()
    worker.kill()
    stripe_api.hold.set()
    stripe_api.hold = None
    assert not subscription_record(app, subscription["id"]).cancel_at_period_end

    worker.start()
    assert wait_until(lambda: subscription_record(app, subscription["id"]).cancel_at_period_end,
                      timeout=60), worker.log()
    assert wait_until(lambda: outbox_settled(app))
    assert _count(app, select(func.count()).select_from(StripeEvent).where(StripeEvent.processed_at.is_(None))) == 0
    changes = _count(app, select(func.count()).select_from(Event).where(Event.name == SubscriptionChanged.name))
    assert changes == 2  # the first state, then the cancellation: once each
