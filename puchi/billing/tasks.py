"""Outbox handlers of the billing domain: a stored Stripe event is applied to billing's record."""

from __future__ import annotations

from typing import Any

from puchi.billing import webhooks


def process_stripe_event(payload: dict[str, Any]) -> None:
    webhooks.process(int(payload["stripe_event"]))
