"""Outbox handlers of the billing domain: a stored Stripe event is applied to billing's record."""

from __future__ import annotations

from typing import Any

from puchi.billing import family, webhooks


def process_stripe_event(payload: dict[str, Any]) -> None:
    webhooks.process(int(payload["stripe_event"]))


def send_family_invitation(payload: dict[str, Any]) -> None:
    """Email a Family-plan invitation, in the owner's language, unless it was withdrawn or used meanwhile."""
    family.send_invitation(int(payload["invitation"]))
