"""Billing's records: every Stripe event received (once each), which Stripe customer is which learner, and
each subscription as Stripe last told us it stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from puchi.core.db import JSONType, Model, UTCDateTime, now


class StripeEvent(Model):
    """A webhook event as Stripe sent it. The unique Stripe id makes a redelivery a no-op; ``processed_at``
    is set in the same transaction as the change the event made, so it is processed exactly once."""

    __tablename__ = "billing_stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(UTCDateTime)  # Stripe's ``created``: when the fact happened
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Customer(Model):
    """A learner's Stripe customer. Deleting the account deletes the link, not the subscriptions' record."""

    __tablename__ = "billing_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Subscription(Model):
    """One Stripe subscription, as of ``state_at`` (Stripe's time of the newest state we hold).

    ``user_id`` is empty until we know whose it is (a subscription event can arrive before the checkout that
    names the learner) and after the account is deleted (the record of what was sold stays).
    """

    __tablename__ = "billing_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    price_id: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[str | None] = mapped_column(String(32))  # a Plan value; None for a price not Puchi's
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    trial_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    past_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # starts the grace period
    # A full refund or a dispute of its invoice ends the perks at once (the ledger decides: ledger.py).
    access_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    access_revoked_reason: Mapped[str | None] = mapped_column(String(16))  # "refund" or "dispute"
    # For billing analytics: Stripe's start, trial and end times, and the price normalised to a month.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    trial_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    monthly_amount: Mapped[int] = mapped_column(default=0)  # minor units a month, whatever the interval
    state_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class Invoice(Model):
    """One Stripe invoice: the ledger's entry for it, however often and in whatever order its events come.

    Fields that only move forward (status draft → open → paid/void, the amount paid, the first failure) are
    merged so that a late event never rolls them back; the rest is what the newest event said (``state_at``).
    ``refunded`` and ``disputed`` sum up the invoice's charges (``Charge``), which may arrive before it.
    Amounts are integers in the currency's minor unit, as Stripe sends them. ``user_id`` is emptied, not the
    row deleted, when the account goes: tax law wants the record of what was sold kept.
    """

    __tablename__ = "billing_invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    price_id: Mapped[str | None] = mapped_column(String(255))
    amount_due: Mapped[int] = mapped_column(default=0)
    amount_paid: Mapped[int] = mapped_column(default=0)
    tax: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(2000))
    invoice_pdf: Mapped[str | None] = mapped_column(String(2000))
    attempt_count: Mapped[int] = mapped_column(default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    action_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded: Mapped[int] = mapped_column(default=0)
    disputed: Mapped[bool] = mapped_column(default=False)
    state_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Charge(Model):
    """A Stripe charge's refunds and dispute, kept apart from its invoice because its events (``charge.*``)
    can arrive before the invoice's: the two meet by payment intent (or the invoice id older API versions
    put on the charge)."""

    __tablename__ = "billing_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), index=True)
    amount: Mapped[int] = mapped_column(default=0)
    amount_refunded: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str | None] = mapped_column(String(3))
    dispute_status: Mapped[str | None] = mapped_column(String(32))  # Stripe's dispute status, newest known
    dispute_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Stripe's time of that status
    state_at: Mapped[datetime] = mapped_column(UTCDateTime)
# --- Family plan ------------------------------------------------------------------------------------------

class FamilyMembership(Model):
    """A learner in the family of a Family-plan owner. One family per learner (the unique ``member_id``
    makes two accepts at once end in one family); removing the row ends the membership and nothing else,
    so the member's progress stays theirs."""

    __tablename__ = "billing_family_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class FamilyInvitation(Model):
    """An emailed invitation to a family. Its link carries ``id`` and ``nonce``, signed; it works once,
    until ``expires_at``, while ``status`` is pending (then accepted or cancelled)."""

    __tablename__ = "billing_family_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    nonce: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
