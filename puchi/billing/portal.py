"""Stripe's customer portal: where a learner changes their card, switches or cancels their plan and sees
their invoices. Puchi only opens it; what the learner does there comes back as webhooks."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from puchi.billing.checkout import customer_of, require_billing
from puchi.billing.stripe_client import StripeUnavailable, client, leave_transaction
from puchi.core.errors import Conflict

if TYPE_CHECKING:
    from puchi.accounts.models import User

PORTAL_WINDOW_SECONDS = 60


def portal_url(user: User) -> str:
    """A portal session for ``user``'s Stripe customer, returning to the account page; its address.

    :raises NotFound: billing is off.
    :raises Conflict: the learner has never subscribed, so there is nothing to manage (``no_customer``).
    :raises StripeUnavailable: Stripe could not answer.
    """
    require_billing()
    customer_id = customer_of(user.id)
    if customer_id is None:
        raise Conflict(_l("You have no subscription to manage yet: choose a plan first."), code="no_customer")
    return_url = f"{current_app.config['BASE_URL']}/account"
    leave_transaction()
    try:
        # Our own key, as for every call to Stripe: a double click within the minute opens the same session.
        session = client().v1.billing_portal.sessions.create(
            {"customer": customer_id, "return_url": return_url},
            {"idempotency_key": f"puchi-portal-{customer_id}-{int(time.time()) // PORTAL_WINDOW_SECONDS}"})
    except stripe.StripeError as error:
        current_app.logger.warning("Stripe portal for customer %s failed: %s", customer_id, error)
        raise StripeUnavailable() from error
    return session.url
