"""A learner's steps through checkout, the success page and the portal, for the billing page tests."""

from __future__ import annotations

from typing import Any

from tests import stripe_fake
from tests.billing.conftest import PRICE_FAMILY_YEARLY, PRICE_SUPER_MONTHLY, PRICE_SUPER_YEARLY, deliver
from tests.conftest import post_form


def stripe_prices(fake: stripe_fake.StripeFake, currency: str = "eur") -> None:
    """Puchi's three prices at Stripe: 6.99 a month, 59.99 a year, 119.99 a year for a family."""
    fake.price(PRICE_SUPER_MONTHLY, unit_amount=699, currency=currency, interval="month")
    fake.price(PRICE_SUPER_YEARLY, unit_amount=5999, currency=currency, interval="year")
    fake.price(PRICE_FAMILY_YEARLY, unit_amount=11999, currency=currency, interval="year")


def choose(client: Any, plan: str, **kwargs: Any) -> Any:
    """Open the plans page and press the button of ``plan`` (its form carries the page's CSRF token)."""
    return post_form(client, "/plans", {"plan": plan}, action="/billing/checkout", **kwargs)


def session_id_of(response: Any) -> str:
    location = response.headers["Location"]
    assert "/checkout/cs_test_" in location, location
    return str(location.rsplit("/", 1)[1])


def deliver_outgoing(client: Any, fake: stripe_fake.StripeFake) -> None:
    """Deliver, signed, every webhook the fake has to send (as Stripe would, moments after the payment)."""
    while fake.outgoing:
        assert deliver(client, fake.outgoing.pop(0)).status_code == 200


def subscribe(client: Any, fake: stripe_fake.StripeFake, plan: str = "super_monthly") -> str:
    """The whole purchase: choose ``plan``, pay on Stripe's page, webhooks delivered. The subscription id."""
    response = choose(client, plan)
    assert response.status_code == 303, response.text[:500]
    subscription = fake.pay(session_id_of(response))
    deliver_outgoing(client, fake)
    return str(subscription["id"])
