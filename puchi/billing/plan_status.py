"""Where a learner's plan stands, for their own pages: the plans page, the success page, the account page.

Read from billing's own record (kept by Stripe's webhooks), never from Stripe while a page waits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from puchi.billing import services
from puchi.billing.checkout import customer_of, require_billing
from puchi.billing.models import Subscription
from puchi.billing.offers import PLAN_NAMES
from puchi.billing.services import Plan
from puchi.billing.stripe_client import client, leave_transaction
from puchi.core.db import db, now
from puchi.core.errors import NotFound

if TYPE_CHECKING:
    from puchi.accounts.models import User

_SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}")


@dataclass(frozen=True)
class PlanStatus:
    """The learner's plan. ``renews_at``: the next renewal of a plan that goes on; ``ends_at``: when the perks
    stop (a cancelled plan's period end, or a failing renewal's grace end); ``trial_ends_at`` while trialing."""

    premium: bool = False
    plan: Plan | None = None
    status: str | None = None
    renews_at: datetime | None = None
    ends_at: datetime | None = None
    trial_ends_at: datetime | None = None
    has_customer: bool = False
    family_member: bool = False  # the perks come from someone else's Family plan


def plan_status(user: User) -> PlanStatus:
    """What ``user``'s plan is now (the free plan when no subscription grants anything)."""
    has_customer = customer_of(user.id) is not None
    at = now()
    for record in db.session.scalars(select(Subscription).where(Subscription.user_id == user.id)
                                     .order_by(Subscription.state_at.desc())):
        if record.plan is None or not services.grants_premium(record, at):
            continue
        ending = record.cancel_at_period_end or record.status == services.PAST_DUE
        ends_at = services.entitlements(user).until if ending else None
        return PlanStatus(premium=True, plan=Plan(record.plan), status=record.status,
                          renews_at=None if ending else record.current_period_end, ends_at=ends_at,
                          trial_ends_at=record.trial_end if record.status == "trialing" else None,
                          has_customer=has_customer)
    granted = services.entitlements(user)
    if granted.family_member:  # no plan of their own, but a family's: theirs as long as the owner's runs
        return PlanStatus(premium=True, plan=granted.plan, status="active", has_customer=has_customer,
                          family_member=True)
    return PlanStatus(has_customer=has_customer)


def account_section(user: User) -> tuple[str, dict[str, Any]] | None:
    """The "Your plan" part of the account page (none while billing is off)."""
    if not services.configured():
        return None
    return "billing/_account_section.html", {"plan": plan_status(user), "plan_names": PLAN_NAMES}


def check_checkout_session(user: User, session_id: str | None) -> str | None:
    """Refuse a Checkout Session id that is not ``user``'s, so a success page shows nobody else's purchase;
    returns the session's status at Stripe (``open``: not paid, ``complete``, ``expired``).

    Stripe is asked (before any transaction); when it cannot answer (None), the page goes on showing only
    the learner's own plan, which is all it ever shows.

    :raises NotFound: billing is off, the id is malformed, or Stripe says the session is not this learner's.
    """
    require_billing()
    if not session_id or not _SESSION_ID.fullmatch(session_id):
        raise NotFound(_l("We could not find that checkout."), code="checkout_not_found")
    user_id = user.id
    leave_transaction()
    try:
        session = client().v1.checkout.sessions.retrieve(session_id)
    except stripe.InvalidRequestError as error:
        raise NotFound(_l("We could not find that checkout."), code="checkout_not_found") from error
    except stripe.StripeError as error:
        current_app.logger.warning("Stripe could not confirm checkout session %s: %s", session_id, error)
        return None
    if session.client_reference_id != str(user_id):
        raise NotFound(_l("We could not find that checkout."), code="checkout_not_found")
    return session.status
