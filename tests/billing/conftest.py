"""Billing fixtures: an app wired to a local fake of Stripe, and webhook deliveries signed as Stripe signs them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from puchi.billing.models import StripeEvent, Subscription
from puchi.core.db import db
from tests import stripe_fake

PRICE_SUPER_MONTHLY = "price_super_monthly"
PRICE_SUPER_YEARLY = "price_super_yearly"
PRICE_FAMILY_YEARLY = "price_family_yearly"
WEBHOOK = "/billing/stripe/webhook"


@pytest.fixture
def stripe_api() -> Iterator[stripe_fake.StripeFake]:
    with stripe_fake.running() as fake:
        yield fake


@pytest.fixture
def app_settings(stripe_api: stripe_fake.StripeFake) -> dict[str, Any]:
    return {
        "STRIPE_SECRET_KEY": stripe_fake.SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": stripe_fake.WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.url,
        "STRIPE_PRICE_SUPER_MONTHLY": PRICE_SUPER_MONTHLY,
        "STRIPE_PRICE_SUPER_YEARLY": PRICE_SUPER_YEARLY,
        "STRIPE_PRICE_FAMILY_YEARLY": PRICE_FAMILY_YEARLY,
    }


def deliver(client: Any, body: str, *, signature: str | None = None, at: int | None = None) -> Any:
    """POST one webhook delivery as Stripe does: the JSON body, signed now (or at ``at``) unless given."""
    headers = {"Stripe-Signature": signature if signature is not None else stripe_fake.signed(body, at=at)}
    return client.post(WEBHOOK, data=body, headers=headers, content_type="application/json; charset=utf-8")


def stored_events(app: Any) -> list[StripeEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(StripeEvent).order_by(StripeEvent.id)))
        db.session.expunge_all()
        return rows


def subscription_record(app: Any, stripe_subscription_id: str) -> Subscription | None:
    with app.app_context():
        row = db.session.scalar(select(Subscription)
                                .where(Subscription.stripe_subscription_id == stripe_subscription_id))
        db.session.expunge_all()
        return row


def now_s() -> int:
    return int(time.time())
