"""The Stripe client billing's pages use, and the one way they turn Stripe's failures into Puchi's errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from puchi.core.db import db
from puchi.core.errors import ServiceError


class StripeUnavailable(ServiceError):
    """Stripe did not answer (down, timed out, or refused for a reason of its own): try again later."""

    status_code = 503
    code = "stripe_unavailable"
    default_message = _l("Payments are not available right now. Nothing was charged; please try again in a "
                         "few minutes.")


STRIPE_HOSTED_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")


def hosted_page_origins(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Where Stripe's Checkout and customer portal pages are: Stripe's own hosts, or with ``STRIPE_API_BASE``
    (a local stand-in) that address's origin."""
    base = config.get("STRIPE_API_BASE")
    if not base:
        return STRIPE_HOSTED_PAGES
    parts = urlsplit(base)
    return (f"{parts.scheme}://{parts.netloc}",)


def client() -> stripe.StripeClient:
    """A client for Stripe's API (or the address in ``STRIPE_API_BASE``), with a short timeout.

    No retries inside the call: a learner waiting on a page is better told at once, and a job is retried by
    the outbox. Before calling it, end the request's read transaction (:func:`leave_transaction`).
    """
    config = current_app.config
    return stripe.StripeClient(config["STRIPE_SECRET_KEY"],
                               base_addresses={"api": config["STRIPE_API_BASE"]} if config["STRIPE_API_BASE"] else {},
                               max_network_retries=0,
                               http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT"]))


def leave_transaction() -> None:
    """End the request's read transaction: nothing holds a database snapshot or lock while Stripe answers."""
    db.session.rollback()
