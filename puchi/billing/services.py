"""Billing's public face: which plans exist, whether billing is on, and what a learner is entitled to.

Other domains ask here (progress through its unlimited-hearts seam, plugged in by billing's wiring) and never
read billing's tables. Entitlements come only from billing's own record of subscriptions, which Stripe's
webhooks keep (puchi/billing/webhooks.py): no request here ever waits on Stripe.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import or_, select

from puchi.accounts import services as accounts
from puchi.billing import analytics
from puchi.billing.analytics import BillingReport
from puchi.billing.models import FamilyMembership, Subscription
from puchi.core.db import db, now

if TYPE_CHECKING:
    from puchi.accounts.models import User


class Plan(enum.StrEnum):
    """Puchi's paid plans; each is one Stripe price, named in the environment."""

    SUPER_MONTHLY = "super_monthly"
    SUPER_YEARLY = "super_yearly"
    FAMILY_YEARLY = "family_yearly"


_PRICE_SETTINGS = {
    Plan.SUPER_MONTHLY: "STRIPE_PRICE_SUPER_MONTHLY",
    Plan.SUPER_YEARLY: "STRIPE_PRICE_SUPER_YEARLY",
    Plan.FAMILY_YEARLY: "STRIPE_PRICE_FAMILY_YEARLY",
}

# Stripe's subscription statuses that grant the perks outright; ``past_due`` grants them for the grace period.
PAID_STATUSES = frozenset({"active", "trialing"})
PAST_DUE = "past_due"


@dataclass(frozen=True)
class Entitlements:
    """What a learner may do beyond the free plan. ``plan`` and ``until`` describe the subscription that
    grants it (``until``: the paid period's end, or the grace period's while a renewal is failing).
    ``family_member``: the perks come from the Family plan of ``family_owner_id`` (who is also named for
    the owner of a Family plan themselves)."""

    premium: bool = False
    plan: Plan | None = None
    until: datetime | None = None
    family_member: bool = False
    family_owner_id: int | None = None

    @property
    def unlimited_hearts(self) -> bool:
        return self.premium

    @property
    def unlimited_offline_downloads(self) -> bool:
        return self.premium

    @property
    def extra_practice_modes(self) -> bool:
        return self.premium


FREE = Entitlements()


def configured() -> bool:
    """Whether billing is on: Stripe's API key and the webhook secret are both set."""
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


def plan_for_price(price_id: str | None) -> Plan | None:
    """The plan a Stripe price is, or None for a price that is not one of Puchi's plans."""
    if not price_id:
        return None
    for plan, setting in _PRICE_SETTINGS.items():
        if current_app.config.get(setting) == price_id:
            return plan
    return None


def price_id(plan: Plan) -> str | None:
    """The Stripe price id configured for ``plan``, or None while it has none."""
    configured_id: str | None = current_app.config.get(_PRICE_SETTINGS[plan])
    return configured_id or None


def grace_period() -> timedelta:
    return timedelta(days=current_app.config["BILLING_GRACE_DAYS"])


def grants_premium(subscription: Subscription, at: datetime) -> bool:
    """Whether this subscription record grants the perks at ``at``: a plan of Puchi's, paid or on trial, or
    past due for less than the grace period; never once a refund or a dispute has ended its access."""
    if subscription.plan is None or subscription.access_revoked_at is not None:
        return False
    if subscription.status in PAID_STATUSES:
        return True
    return (subscription.status == PAST_DUE and subscription.past_due_since is not None
            and at < subscription.past_due_since + grace_period())


def entitlements(user: User) -> Entitlements:
    """What ``user`` may do now: from their own subscription, else from the Family plan of the family they
    are in. One query (it is asked on every lesson page). With billing off, everyone is on the free plan."""
    if not configured() or not getattr(user, "id", None):
        return FREE
    at = now()
    family_owner = select(FamilyMembership.owner_id).where(FamilyMembership.member_id == user.id).scalar_subquery()
    subscriptions = db.session.scalars(select(Subscription)
                                       .where(or_(Subscription.user_id == user.id,
                                                  Subscription.user_id == family_owner))
                                       .order_by(Subscription.state_at.desc())).all()
    own = [s for s in subscriptions if s.user_id == user.id]
    family = [s for s in subscriptions if s.user_id != user.id and s.plan == Plan.FAMILY_YEARLY]
    for subscription in own:
        if subscription.plan is not None and grants_premium(subscription, at):
            return _granted_by(subscription, member=False)
    for subscription in family:  # only the owner's Family plan reaches the members
        if grants_premium(subscription, at):
            return _granted_by(subscription, member=True)
    return FREE


def _granted_by(subscription: Subscription, *, member: bool) -> Entitlements:
    until: datetime | None = subscription.current_period_end
    if subscription.status == PAST_DUE and subscription.past_due_since is not None:
        until = subscription.past_due_since + grace_period()
    plan = Plan(str(subscription.plan))  # callers pass only subscriptions to one of Puchi's plans
    owner = subscription.user_id if member or plan is Plan.FAMILY_YEARLY else None
    return Entitlements(premium=True, plan=plan, until=until, family_member=member, family_owner_id=owner)


def has_premium(user: User) -> bool:
    """Whether ``user`` has the paid perks now (unlimited hearts among them)."""
    return entitlements(user).premium


# --- The ledger's rules (applied by puchi/billing/ledger.py) --------------------------------------------

REVOKED_BY_REFUND = "refund"
REVOKED_BY_DISPUTE = "dispute"
OPEN_DISPUTE_STATUSES = frozenset({"warning_needs_response", "warning_under_review", "needs_response",
                                   "under_review"})
LOST_DISPUTE = "lost"


def access_revocation(*, amount_paid: int, refunded: int, disputed: bool) -> str | None:
    """Why a paid invoice takes its subscription's perks away at once, or None: a dispute (open or lost:
    the bank took the money back or may), or a full refund. A partial refund is a goodwill gesture, not
    an end."""
    if disputed:
        return REVOKED_BY_DISPUTE
    if amount_paid > 0 and refunded >= amount_paid:
        return REVOKED_BY_REFUND
    return None


def dispute_holds_money(status: str | None) -> bool:
    """Whether a dispute in this Stripe status marks its invoice disputed: open, or lost (won clears it)."""
    return status in OPEN_DISPUTE_STATUSES or status == LOST_DISPUTE


def grace_until(subscription: Subscription) -> datetime | None:
    """When a failing subscription's perks end, unless a payment succeeds first; None when none is failing."""
    if subscription.past_due_since is None:
        return None
    return subscription.past_due_since + grace_period()


PORTAL_PATH, ACCOUNT_PATH = "/billing/portal", "/account"


def manage_billing_path() -> str:
    """Where a learner manages their subscription and card: the customer portal's route when this Puchi has
    one that a link can open (GET), else the account page."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == PORTAL_PATH and "GET" in (rule.methods or ()):
            return PORTAL_PATH
    return ACCOUNT_PATH


# --- Receipts and analytics (their own modules; this is their public face) -------------------------------

def receipt_attachment(user_id: int, invoice_id: int, locale: str) -> tuple[str, bytes] | None:
    """The receipt PDF of one of the learner's paid invoices, rendered in ``locale``, as (file name, bytes)
    for an email; None when there is no such paid invoice of theirs."""
    from puchi.billing import receipts  # receipts reads this module's plans: imported when asked

    return receipts.attachment(user_id, invoice_id, locale)


def analytics_report(viewer: User, start: date, end: date) -> BillingReport:
    """Billing's numbers month by month from ``start``'s month to ``end``'s (see puchi/billing/analytics.py),
    for an administrator.

    :raises Forbidden: ``viewer`` may not see the figures.
    """
    accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
    return analytics.report(start, end)
def has_unlimited_offline_downloads(user: User) -> bool:
    """Learning's offline-download seam asks this (billing's wiring plugs it in)."""
    return entitlements(user).unlimited_offline_downloads


def has_extra_practice_modes(user: User) -> bool:
    """Learning's practice-modes seam asks this (billing's wiring plugs it in)."""
    return entitlements(user).extra_practice_modes
