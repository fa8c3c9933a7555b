"""What billing adds to other pages through core's sections (``hooks.add_section``): the grace-period banner
on every page of a learner whose renewal failed, the receipts card on the account page, and Super's offer on
the out-of-hearts sheet and the practice page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from puchi.billing import services
from puchi.billing.models import Invoice, Subscription
from puchi.core.db import db, now


def grace_banner(user: Any) -> tuple[str, dict[str, Any]] | None:
    """The banner "Your payment failed; you keep Super until …": while a failing subscription still grants the perks.
    One indexed query per page, and none when billing is off."""
    if user is None or not services.configured():
        return None
    at = now()
    for subscription in db.session.scalars(select(Subscription).where(Subscription.user_id == user.id,
                                                                      Subscription.past_due_since.is_not(None))):
        until = services.grace_until(subscription)
        if until is not None and services.grants_premium(subscription, at):
            return "billing/_grace_banner.html", {"until": until, "manage": services.manage_billing_path()}
    return None


def account_receipts(user: Any) -> tuple[str, dict[str, Any]] | None:
    """The receipts card on the account page, for a learner who has paid at least once."""
    if user is None:
        return None
    count = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.user_id == user.id,
                                                                  Invoice.status == "paid",
                                                                  Invoice.amount_paid > 0)) or 0
    if not count:
        return None
    return "billing/_account_receipts.html", {"count": count}


def super_offer(user: Any) -> tuple[str, dict[str, Any]] | None:
    """"Unlimited hearts with Super" on the out-of-hearts sheet: only while billing is on (else the plans page
    does not exist here)."""
    if user is None or not services.configured():
        return None
    return "billing/_super_offer.html", {}


def super_practice(user: Any) -> tuple[str, dict[str, Any]] | None:
    """On the practice page: what Super adds to it, for a learner without the extra modes (none while billing is
    off)."""
    if user is None or not services.configured() or services.has_extra_practice_modes(user):
        return None
    return "billing/_super_practice.html", {}
