"""How the plans are put to a learner: their names, what each gives, and its price in the learner's words.

Honest by construction: each perk listed here is an entitlement billing grants (``services.Entitlements``),
and every price shown is the one Stripe will charge, formatted by Babel in the reader's locale.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from puchi.billing import services
from puchi.billing.prices import Price
from puchi.billing.services import Plan
from puchi.core.errors import Message

FAMILY_SIZE = 6  # the owner and up to five members

PLAN_NAMES: dict[Plan | None, Message] = {
    None: _l("Free"),
    Plan.SUPER_MONTHLY: _l("Super, monthly"),
    Plan.SUPER_YEARLY: _l("Super, yearly"),
    Plan.FAMILY_YEARLY: _l("Family, yearly"),
}


@dataclass(frozen=True)
class Offer:
    """One card of the plans page: ``plan`` None is the free plan; ``price_text`` None while Stripe has not
    said what a paid plan costs."""

    plan: Plan | None
    name: str
    perks: list[str]
    price_text: str | None
    trial_days: int = 0


def offers(prices: dict[Plan, Price | None], trial_days: int) -> list[Offer]:
    """The plans page's cards, free first; a paid plan with no price configured is not offered."""
    super_perks = [_("Unlimited hearts: mistakes never stop a lesson"), _("Unlimited offline downloads"),
                   _("Extra practice modes"), _("Cancel anytime from your account")]
    cards = [Offer(plan=None, name=str(PLAN_NAMES[None]), price_text=None, perks=[
        _("Every course and every lesson"), _("Five hearts: a wrong answer costs one, and they refill over time"),
        _("Streaks, XP, leagues and friends")])]
    for plan in Plan:
        if services.price_id(plan) is None:
            continue
        price = prices.get(plan)
        if plan is Plan.FAMILY_YEARLY:
            perks = [_("Everything in Super for up to %(count)s people", count=FAMILY_SIZE),
                     _("You invite up to %(count)s members by email", count=FAMILY_SIZE - 1), super_perks[-1]]
            days = 0
        else:
            perks, days = super_perks, trial_days
        cards.append(Offer(plan=plan, name=str(PLAN_NAMES[plan]), perks=perks,
                           price_text=price_text(price) if price else None, trial_days=days))
    return cards


def price_text(price: Price) -> str:
    """"€6.99 a month", "6,99 € al mes", "¥800 a year": Babel's currency format in the reader's locale."""
    amount = format_currency(price.amount, price.currency)
    if price.interval == "month" and price.interval_count == 1:
        return _("%(price)s a month", price=amount)
    if price.interval == "year" and price.interval_count == 1:
        return _("%(price)s a year", price=amount)
    return str(amount)
