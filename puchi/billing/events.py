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


# --- Family plan ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FamilyInvitationSent(DomainEvent):
    """A Family-plan owner invited someone by email. Actor: the owner. Subject:
    ``("billing_family_invitation", id)``. The address stays in billing's invitation row, not in the log."""

    name = "family.invitation_sent"
    owner_id: int
    invitation_id: int


@dataclass(frozen=True)
class FamilyMemberJoined(DomainEvent):
    """A learner accepted an invitation and joined a family. Actor: the member. Subject: ``("user", owner)``."""

    name = "family.member_joined"
    owner_id: int
    member_id: int
    invitation_id: int


@dataclass(frozen=True)
class FamilyMemberLeft(DomainEvent):
    """A member left the family themselves. Actor: the member. Subject: ``("user", owner)``."""

    name = "family.member_left"
    owner_id: int
    member_id: int


@dataclass(frozen=True)
class FamilyMemberRemoved(DomainEvent):
    """The owner removed a member. Actor: the owner. Subject: ``("user", member)``."""

    name = "family.member_removed"
    owner_id: int
    member_id: int
