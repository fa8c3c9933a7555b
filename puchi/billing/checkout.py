"""Starting a subscription: a Stripe Checkout Session made on the server, for the learner's Stripe customer.

Stripe takes the payment on its own page; Puchi grants nothing here. What the learner bought arrives later
as webhooks (``webhooks.py``), so nothing about the session is stored: the only row written is the link to
the learner's Stripe customer, made once and reused for every checkout and the customer portal.

Every call carries our own deterministic ``Idempotency-Key`` instead of the library's random one:

- the customer's key is the learner's id, so two tabs, a double click or a retry after a timeout (Stripe made
  the customer, we never heard back) get the same customer instead of a second one;
- the session's key is the learner, the session's parameters (plan's price, customer, trial) and the current
  ``CHECKOUT_WINDOW_SECONDS`` window: a double click, or the learner coming back from Stripe's page and
  choosing the same plan again soon after, gets the same open session (Stripe answers a repeated key with
  the first answer for 24 hours), while a later visit gets a fresh one. A different plan, a trial no longer
  due, or a new window makes a new session; a key is never reused with other parameters, which Stripe
  would refuse.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING

import stripe
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from puchi.billing import services
from puchi.billing.models import Customer, Subscription
from puchi.billing.services import Plan
from puchi.billing.stripe_client import StripeUnavailable, client, leave_transaction
from puchi.billing.webhooks import USER_ID_KEY
from puchi.core.db import action, db, now
from puchi.core.errors import Conflict, Invalid, NotFound
from puchi.core.upserts import insert_if_missing

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams, SessionCreateParamsSubscriptionData

    from puchi.accounts.models import User

CHECKOUT_WINDOW_SECONDS = 15 * 60
SUPER_PLANS = frozenset({Plan.SUPER_MONTHLY, Plan.SUPER_YEARLY})


def require_billing() -> None:
    """:raises NotFound: billing is off in this deployment (``billing_off``, as the webhook answers)."""
    if not services.configured():
        raise NotFound(_l("Subscriptions are not available here."), code="billing_off")


def start_checkout(user: User, plan_name: str) -> str:
    """Make a Checkout Session for ``user`` to subscribe to ``plan_name``; returns the address of Stripe's
    payment page. Stores only the link to the learner's Stripe customer (when it is new).

    :raises NotFound: billing is off.
    :raises Invalid: no such plan, or the plan has no price configured.
    :raises Conflict: the learner already has a paid plan (``already_subscribed``): the portal changes it.
    :raises StripeUnavailable: Stripe could not answer; nothing was stored.
    """
    require_billing()
    plan = _plan(plan_name)
    price_id = services.price_id(plan)
    if price_id is None:
        raise Invalid(fields={"plan": [_("That plan is not available.")]}, code="plan_unavailable")
    if services.has_premium(user):
        raise Conflict(_l("You already have a paid plan. Change or cancel it from “Manage your plan”."),
                       code="already_subscribed")
    user_id, email = user.id, user.email
    customer_id = customer_of(user_id)
    trial_days = trial_days_for(user_id, plan)
    leave_transaction()  # no transaction waits on Stripe
    try:
        if customer_id is None:
            customer_id = _create_customer(user_id, email)
            _remember_customer(user_id, customer_id)
        params = _session_params(user_id, customer_id, plan, price_id, trial_days)
        session = client().v1.checkout.sessions.create(params, {"idempotency_key": _session_key(user_id, params)})
    except stripe.StripeError as error:
        current_app.logger.warning("Stripe checkout for user %s failed: %s", user_id, error)
        raise StripeUnavailable() from error
    if not session.url:
        raise StripeUnavailable()  # a subscription session always has one; without it there is nowhere to go
    return session.url


def customer_of(user_id: int) -> str | None:
    """The learner's Stripe customer id (the first one linked), or None while they have none."""
    found: str | None = db.session.scalar(select(Customer.stripe_customer_id).where(Customer.user_id == user_id)
                                          .order_by(Customer.id).limit(1))
    return found


def _plan(name: str) -> Plan:
    try:
        return Plan(name)
    except ValueError:
        raise Invalid(fields={"plan": [_("Choose one of the plans.")]}, code="plan_unknown") from None


def trial_days_for(user_id: int, plan: Plan) -> int:
    """The free trial ``user_id`` would get with ``plan``: Super's is for a first subscription (a learner who
    ever had one pays from the start), for ``STRIPE_TRIAL_DAYS`` days."""
    days: int = current_app.config["STRIPE_TRIAL_DAYS"]
    if plan not in SUPER_PLANS or days <= 0:
        return 0
    had_one = db.session.scalar(select(Subscription.id).where(Subscription.user_id == user_id).limit(1))
    return 0 if had_one is not None else days


def _create_customer(user_id: int, email: str) -> str:
    customer = client().v1.customers.create(
        {"email": email, "metadata": {USER_ID_KEY: str(user_id)}},
        {"idempotency_key": f"puchi-customer-{user_id}"})
    customer_id: str = customer.id
    return customer_id


@action
def _remember_customer(user_id: int, customer_id: str) -> None:
    # Race-safe: two tabs made the same customer (same key) and both store it; the second is a no-op.
    insert_if_missing(Customer, {"stripe_customer_id": customer_id}, user_id=user_id, created_at=now())


def _session_params(user_id: int, customer_id: str, plan: Plan, price_id: str,
                    trial_days: int) -> SessionCreateParams:
    base = current_app.config["BASE_URL"]
    metadata = {USER_ID_KEY: str(user_id), "puchi_plan": plan.value}
    subscription_data: SessionCreateParamsSubscriptionData = {"metadata": metadata}
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    return {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": str(user_id),
        "line_items": [{"price": price_id, "quantity": 1}],
        "metadata": metadata,
        "subscription_data": subscription_data,
        "allow_promotion_codes": True,
        # Stripe puts the session's id in place of {CHECKOUT_SESSION_ID}: built by hand, not url_for (it
        # would escape the braces).
        "success_url": f"{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/plans",
    }


def _session_key(user_id: int, params: SessionCreateParams) -> str:
    # The parameters are part of the key: Stripe refuses a key reused with other parameters, so a change (a
    # trial no longer due, another customer) must make a new key rather than fail for the rest of the window.
    window = int(time.time()) // CHECKOUT_WINDOW_SECONDS
    request = json.dumps(params, sort_keys=True)
    digest = hashlib.sha256(f"{user_id}:{window}:{request}".encode()).hexdigest()[:32]
    return f"puchi-checkout-{user_id}-{digest}"
