"""Without Stripe's secrets billing is off: the webhook address answers 404, nobody is premium, and no page offers
plans that are not there.

404 rather than 503: with no secrets, this deployment has no billing at all (nothing is down that will come
back by itself), and the address does not exist for it. The problem document's code says so to whoever looks.
"""

from __future__ import annotations

import pytest

from puchi.accounts.models import User
from puchi.billing import services
from puchi.core.db import db
from tests import stripe_fake
from tests.billing.conftest import WEBHOOK
from tests.billing.test_perk_seams import out_of_hearts_sheet
from tests.learning.conftest import spanish  # noqa: F401 - fixture


@pytest.fixture
def app_settings():
    return {}  # the environment's defaults: no STRIPE_* set


def test_without_stripe_the_webhook_is_not_there_and_stores_nothing(app, client):
    body = '{"id": "evt_1", "object": "event", "type": "customer.subscription.created", "created": 1, "data": {}}'
    response = client.post(WEBHOOK, data=body, content_type="application/json",
                           headers={"Stripe-Signature": stripe_fake.signed(body), "Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json" and response.json["code"] == "billing_off"


def test_without_stripe_nobody_is_premium(app, make_user):
    learner = make_user()
    with app.app_context():
        assert not services.configured()
        assert services.entitlements(db.session.get(User, learner.id)) == services.FREE


def test_without_stripe_the_out_of_hearts_sheet_offers_no_plans(app, logged_in, spanish):  # noqa: F811
    sheet = out_of_hearts_sheet(app, logged_in)
    assert "Unlimited hearts with Super" not in sheet and "/plans" not in sheet
    assert "Next heart in" in sheet or "Refill for 30 gems" in sheet  # the ways that exist are still there
