"""What billing tells the rest of Puchi: its domain events, one frozen dataclass each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from puchi.core.events import DomainEvent


@dataclass(frozen=True)
class SubscriptionChanged(DomainEvent):
    """A subscription's status, plan, period end or cancellation changed (as Stripe told us). Actor: the
    learner, when known. Subject: ``("billing_subscription", id)``. ``previous_status`` is None for a
    subscription seen for the first time; ``premium`` is whether it grants the perks now."""

    name = "subscription.changed"
    stripe_subscription_id: str
    status: str
    premium: bool
    plan: str | None = None
    previous_status: str | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
