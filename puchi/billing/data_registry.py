"""Billing's tables in the personal-data registry (puchi/core/personal_data.py).

Tax law (bookkeeping: in the EU, typically 6 to 10 years) requires keeping the record of what was sold, when,
and for how much, so a deleted learner's subscriptions and Stripe's events about them stay, with the link to
the learner cut (``user_id`` emptied, Puchi's user id removed from the events) and every name, email, phone
and address removed from the events Stripe sent. The Stripe customer link itself is deleted. The Stripe
customer id stays on the kept records: it is what ties them to Stripe's own invoices.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Text, cast, delete, or_, select, update

from puchi.accounts import services as accounts
from puchi.billing.models import (
    Charge,
    Customer,
    FamilyInvitation,
    FamilyMembership,
    Invoice,
    StripeEvent,
    Subscription,
)
from puchi.core import personal_data
from puchi.core.db import db
from puchi.core.personal_data import Rule

TAX_RECORD = ("kept for tax law with the learner cut off: no user link, no name, email, phone or address "
              "(docs/privacy.md)")
# Keys of Stripe objects that describe a person, or point back to the learner's account.
PERSONAL_KEYS = frozenset({
    "email", "customer_email", "receipt_email", "name", "customer_name", "phone", "customer_phone", "address",
    "customer_address", "shipping", "customer_shipping", "customer_details", "billing_details",
    "client_reference_id", "puchi_user_id", "ip_address", "description",
})


def register(app: Flask) -> None:
    personal_data.register(app, StripeEvent.__tablename__, rule=Rule.KEEP, order=30, why=TAX_RECORD,
                           export=_export_events, erase=_scrub_events)
    personal_data.register(app, Subscription.__tablename__, rule=Rule.KEEP, order=40, why=TAX_RECORD,
                           export=personal_data.rows_where(Subscription, Subscription.user_id),
                           erase=_cut_subscriptions)
    personal_data.register(app, Invoice.__tablename__, rule=Rule.KEEP, order=40, why=TAX_RECORD,
                           export=personal_data.rows_where(Invoice, Invoice.user_id), erase=_cut_invoices)
    personal_data.register(app, Charge.__tablename__, rule=Rule.NONE,
                           why="payments as Stripe reports them: amounts and Stripe's ids, no person's details "
                               "(their learner is known only through the invoice)")
    personal_data.register_owned(app, Customer, order=50)
    # A family: the learner's own membership (as owner or member) and the invitations they sent, received
    # or accepted go with the account; the other members keep their own progress.
    personal_data.register(app, FamilyMembership.__tablename__, rule=Rule.ERASE,
                           export=personal_data.rows_where(FamilyMembership, FamilyMembership.owner_id,
                                                           FamilyMembership.member_id),
                           erase=personal_data.delete_where(FamilyMembership, FamilyMembership.owner_id,
                                                            FamilyMembership.member_id))
    personal_data.register(app, FamilyInvitation.__tablename__, rule=Rule.ERASE, export=_export_invitations,
                           erase=_erase_invitations)


def _customer_ids(user_id: int) -> set[str]:
    linked = db.session.scalars(select(Customer.stripe_customer_id).where(Customer.user_id == user_id))
    subscribed = db.session.scalars(select(Subscription.stripe_customer_id).where(Subscription.user_id == user_id))
    return set(linked) | set(subscribed)


def _their_events(user_id: int) -> list[StripeEvent]:
    ids = _customer_ids(user_id)
    if not ids:
        return []
    text = cast(StripeEvent.payload, Text)  # Stripe's ids contain "_", a LIKE wildcard: escaped
    mentions = or_(*(text.contains(customer, autoescape=True) for customer in sorted(ids)))
    return list(db.session.scalars(select(StripeEvent).where(mentions).order_by(StripeEvent.id)))


def _export_events(user_id: int) -> list[personal_data.Row]:
    return [personal_data.serialize(event) for event in _their_events(user_id)]


def _scrub_events(user_id: int) -> None:
    for event in _their_events(user_id):
        event.payload = scrub(event.payload)


def scrub(value: Any) -> Any:
    """A Stripe object without the keys that describe a person."""
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items() if key not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def _cut_subscriptions(user_id: int) -> None:
    db.session.execute(update(Subscription).where(Subscription.user_id == user_id).values(user_id=None)
                       .execution_options(synchronize_session=False))


def _cut_invoices(user_id: int) -> None:
    db.session.execute(update(Invoice).where(Invoice.user_id == user_id).values(user_id=None)
                       .execution_options(synchronize_session=False))


def _invitations_of(user_id: int) -> Any:
    """Invitations the learner sent or accepted, and those sent to their address."""
    email = accounts.get_user(user_id).email
    return or_(FamilyInvitation.owner_id == user_id, FamilyInvitation.accepted_by == user_id,
               FamilyInvitation.email == email)


def _export_invitations(user_id: int) -> list[personal_data.Row]:
    rows = db.session.scalars(select(FamilyInvitation).where(_invitations_of(user_id)).order_by(FamilyInvitation.id))
    return [personal_data.serialize(row, exclude=("nonce",)) for row in rows]


def _erase_invitations(user_id: int) -> None:
    db.session.execute(delete(FamilyInvitation).where(_invitations_of(user_id))
                       .execution_options(synchronize_session=False))
