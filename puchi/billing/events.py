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


@dataclass(frozen=True)
class PremiumStarted(DomainEvent):
    """A learner's subscription began to grant the perks (a trial or a paid plan). Actor: the learner.
    Subject: ``("billing_subscription", id)``. Recorded at each start; notifications welcomes only the first."""

    name = "billing.premium_started"
    stripe_subscription_id: str
    plan: str | None = None
    trialing: bool = False


@dataclass(frozen=True)
class TrialEnding(DomainEvent):
    """Stripe's notice that a trial ends soon (``customer.subscription.trial_will_end``, three days before).
    Actor: the learner. Subject: ``("billing_subscription", id)``."""

    name = "billing.trial_ending"
    stripe_subscription_id: str
    trial_end: datetime | None = None
    plan: str | None = None


@dataclass(frozen=True)
class InvoicePaid(DomainEvent):
    """An invoice was paid: once per invoice, however often Stripe says so. Actor: the learner. Subject:
    ``("billing_invoice", id)``; ``invoice_id`` is that id (for the receipt)."""

    name = "billing.invoice_paid"
    invoice_id: int
    stripe_invoice_id: str
    amount_paid: int
    currency: str


@dataclass(frozen=True)
class PaymentFailed(DomainEvent):
    """An invoice's payment failed (once per invoice, and never for one already paid). ``grace_until``: when
    the perks end unless a payment succeeds. Actor: the learner. Subject: ``("billing_invoice", id)``."""

    name = "billing.payment_failed"
    invoice_id: int
    stripe_invoice_id: str
    amount_due: int
    currency: str
    grace_until: datetime | None = None


@dataclass(frozen=True)
class PaymentActionRequired(DomainEvent):
    """The bank wants the learner to confirm a payment (3-D Secure): once per invoice. ``hosted_invoice_url``
    is Stripe's page where they do. Actor: the learner. Subject: ``("billing_invoice", id)``."""

    name = "billing.payment_action_required"
    invoice_id: int
    stripe_invoice_id: str
    amount_due: int
    currency: str
    hosted_invoice_url: str | None = None
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
