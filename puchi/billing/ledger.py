"""The ledger: one row per Stripe invoice and per charge, kept from ``invoice.*``, ``charge.refunded`` and
``charge.dispute.*`` events, and what they mean for the subscription they belong to.

Stripe sends these at least once and in any order (a refund can come before the invoice it refunds). So no
event is trusted to be the latest: every fact is merged in a way that does not depend on order. A status only
moves forward (draft → open → paid or void), amounts paid and refunded only grow, the first failure keeps
its time, and the descriptive fields are the newest event's. A subscription's grace clock and its revoked
access are then derived again from all of its invoices (:func:`reconcile`), so whichever event comes last,
the same record results. Each event is applied inside the action of ``webhooks.process`` that claims it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from puchi.billing import services
from puchi.billing.events import InvoicePaid, PaymentActionRequired, PaymentFailed, PremiumStarted, TrialEnding
from puchi.billing.models import Charge, Customer, Invoice, Subscription
from puchi.billing.stripe_objects import NEVER, amount_of, dict_of, first, id_of, text_of, time_of
from puchi.core import events
from puchi.core.db import db, now
from puchi.core.upserts import insert_if_missing

INVOICE_PAID = "invoice.paid"
INVOICE_PAYMENT_FAILED = "invoice.payment_failed"
INVOICE_ACTION_REQUIRED = "invoice.payment_action_required"
INVOICE_EVENTS = frozenset({INVOICE_PAID, INVOICE_PAYMENT_FAILED, INVOICE_ACTION_REQUIRED})
CHARGE_REFUNDED = "charge.refunded"
DISPUTE_EVENTS = frozenset({"charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"})
TRIAL_WILL_END = "customer.subscription.trial_will_end"
LEDGER_EVENTS = INVOICE_EVENTS | DISPUTE_EVENTS | {CHARGE_REFUNDED}

# How far along an invoice is: a status never goes back to an earlier rank.
_STATUS_RANK = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3}
UNPAID = frozenset({"open", "uncollectible"})
PAID = "paid"
_DISPUTE_CLOSED = frozenset({"won", "lost", "warning_closed", "prevented"})


# --- Invoices --------------------------------------------------------------------------------------------

def invoice_owner(obj: dict[str, Any]) -> int | None:
    """Whose invoice this is, from billing's own records: the subscription's learner, else the customer's.
    (Read before the claiming action; an invoice of nobody known yet is kept without a learner.)"""
    subscription_id = _subscription_of(obj)
    owner = None
    if subscription_id:
        owner = db.session.scalar(select(Subscription.user_id)
                                  .where(Subscription.stripe_subscription_id == subscription_id))
    customer_id = id_of(obj.get("customer"))
    if owner is None and customer_id:
        owner = db.session.scalar(select(Customer.user_id).where(Customer.stripe_customer_id == customer_id))
    db.session.rollback()  # the read ends here, as webhooks' reads do
    return owner


def apply_invoice(kind: str, created: datetime, obj: dict[str, Any], owner: int | None) -> None:
    """Merge one invoice event into the invoice's ledger row (made if missing), then settle what it means."""
    fields = _invoice_fields(obj)
    insert_if_missing(Invoice, {"stripe_invoice_id": str(obj["id"])[:255]},
                      stripe_customer_id=fields["stripe_customer_id"] or "", status="draft",
                      currency=fields["currency"] or "", state_at=NEVER, created_at=now(), amount_due=0,
                      amount_paid=0, tax=0, attempt_count=0, refunded=0, disputed=False)
    row = db.session.scalars(select(Invoice).where(Invoice.stripe_invoice_id == str(obj["id"])[:255])
                             .with_for_update()).one()
    was_paid, failed_before, action_before = row.status == PAID, row.first_failed_at, row.action_required_at

    newest = created > row.state_at
    for name, value in fields.items():  # the newest event describes the invoice; older ones only fill gaps
        if value is not None and (newest or getattr(row, name) in (None, "")):
            setattr(row, name, value)
    if newest:
        row.state_at = created
    status = _event_status(kind, obj)
    rank, held = _STATUS_RANK.get(status, -1), _STATUS_RANK.get(row.status, -1)
    if rank > held or (rank == held and newest):
        row.status = status
    row.amount_paid = max(row.amount_paid, amount_of(obj.get("amount_paid")))
    row.attempt_count = max(row.attempt_count, amount_of(obj.get("attempt_count")))
    if row.status == PAID:
        paid_at = time_of(dict_of(obj.get("status_transitions")).get("paid_at")) or created
        row.paid_at = min(row.paid_at or paid_at, paid_at)
    if kind == INVOICE_PAYMENT_FAILED:
        row.first_failed_at = min(row.first_failed_at or created, created)
    if kind == INVOICE_ACTION_REQUIRED:
        row.action_required_at = min(row.action_required_at or created, created)
    if row.user_id is None and owner is not None:
        row.user_id = owner
    db.session.flush()

    _settle_invoice(row)
    subscription = reconcile(row.stripe_subscription_id)
    if row.user_id is None:
        return  # nobody to tell (yet): the ledger row is all there is
    subject = ("billing_invoice", row.id)
    if not was_paid and row.status == PAID:
        events.record(InvoicePaid(invoice_id=row.id, stripe_invoice_id=row.stripe_invoice_id,
                                  amount_paid=row.amount_paid, currency=row.currency),
                      actor_id=row.user_id, subject=subject)
    if row.status == PAID:
        return  # a failure or a request for confirmation that arrives after the payment is old news
    if failed_before is None and row.first_failed_at is not None:
        grace_from = (subscription.past_due_since if subscription and subscription.past_due_since
                      else row.first_failed_at)
        events.record(PaymentFailed(invoice_id=row.id, stripe_invoice_id=row.stripe_invoice_id,
                                    amount_due=row.amount_due, currency=row.currency,
                                    grace_until=grace_from + services.grace_period()),
                      actor_id=row.user_id, subject=subject)
    if action_before is None and row.action_required_at is not None:
        events.record(PaymentActionRequired(invoice_id=row.id, stripe_invoice_id=row.stripe_invoice_id,
                                            amount_due=row.amount_due, currency=row.currency,
                                            hosted_invoice_url=row.hosted_invoice_url),
                      actor_id=row.user_id, subject=subject)


def _event_status(kind: str, obj: dict[str, Any]) -> str:
    status = text_of(obj.get("status"), 32)
    if kind == INVOICE_PAID:
        return PAID  # whatever else the object says, Stripe only sends this for a paid invoice
    return status if status in _STATUS_RANK else "open"


def _invoice_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """What an invoice object says, across API versions (before 2025-03-31 the payment intent, charge,
    subscription and tax sat on the invoice itself; since, they are under ``payments``, ``parent`` and
    ``total_taxes``)."""
    line = first(obj.get("lines"))
    period = dict_of(line.get("period"))
    payment = dict_of(first(obj.get("payments")).get("payment"))
    price = id_of(line.get("price")) or id_of(dict_of(dict_of(line.get("pricing")).get("price_details")).get("price"))
    taxes = obj.get("total_taxes")
    tax = (sum(amount_of(dict_of(t).get("amount")) for t in taxes) if isinstance(taxes, list)
           else amount_of(obj.get("tax")))
    currency = text_of(obj.get("currency"), 3)
    return {
        "stripe_customer_id": id_of(obj.get("customer")),
        "stripe_subscription_id": _subscription_of(obj),
        "payment_intent_id": id_of(obj.get("payment_intent")) or id_of(payment.get("payment_intent")),
        "charge_id": id_of(obj.get("charge")) or id_of(payment.get("charge")),
        "number": text_of(obj.get("number"), 64),
        "price_id": price,
        "amount_due": amount_of(obj.get("amount_due")) if "amount_due" in obj else None,
        "tax": tax,
        "currency": currency.lower() if currency else None,
        "period_start": time_of(period.get("start")) or time_of(obj.get("period_start")),
        "period_end": time_of(period.get("end")) or time_of(obj.get("period_end")),
        "hosted_invoice_url": _https(obj.get("hosted_invoice_url")),
        "invoice_pdf": _https(obj.get("invoice_pdf")),
    }


def _subscription_of(obj: dict[str, Any]) -> str | None:
    details = dict_of(dict_of(obj.get("parent")).get("subscription_details"))
    return id_of(obj.get("subscription")) or id_of(details.get("subscription"))


def _https(value: Any) -> str | None:
    # Only Stripe's own https links are shown to learners as links: nothing else a body could carry.
    url = text_of(value, 2000)
    return url if url and url.startswith("https://") else None


# --- Charges: refunds and disputes -----------------------------------------------------------------------

def apply_charge(created: datetime, charge: dict[str, Any]) -> None:
    """``charge.refunded``: the charge's refunded amount (it only grows)."""
    row = _charge_row(str(charge["id"]), charge.get("payment_intent"), charge.get("invoice"))
    row.amount = max(row.amount, amount_of(charge.get("amount")))
    row.amount_refunded = max(row.amount_refunded, amount_of(charge.get("amount_refunded")))
    row.currency = row.currency or text_of(charge.get("currency"), 3)
    row.state_at = max(row.state_at, created)
    db.session.flush()
    _settle_charge(row)


def apply_dispute(created: datetime, dispute: dict[str, Any]) -> None:
    """``charge.dispute.*``: the dispute's status on its charge. A closed dispute (won or lost) outranks an open
    one whatever the order of delivery; among equals the newest wins."""
    charge_id = id_of(dispute.get("charge"))
    if charge_id is None:
        return
    row = _charge_row(charge_id, dispute.get("payment_intent"), None)
    status = text_of(dispute.get("status"), 32) or "needs_response"
    rank = 2 if status in _DISPUTE_CLOSED else 1
    held = 0 if row.dispute_status is None else 2 if row.dispute_status in _DISPUTE_CLOSED else 1
    if rank > held or (rank == held and (row.dispute_at is None or created >= row.dispute_at)):
        row.dispute_status, row.dispute_at = status, created
    row.currency = row.currency or text_of(dispute.get("currency"), 3)
    row.state_at = max(row.state_at, created)
    db.session.flush()
    _settle_charge(row)


def _charge_row(charge_id: str, payment_intent: Any, invoice: Any) -> Charge:
    insert_if_missing(Charge, {"stripe_charge_id": charge_id[:255]}, amount=0, amount_refunded=0, state_at=NEVER)
    row = db.session.scalars(select(Charge).where(Charge.stripe_charge_id == charge_id[:255])
                             .with_for_update()).one()
    row.payment_intent_id = row.payment_intent_id or id_of(payment_intent)
    row.stripe_invoice_id = row.stripe_invoice_id or id_of(invoice)
    return row


def _settle_charge(charge: Charge) -> None:
    """Bring every invoice this charge paid up to date (none yet when the invoice has not arrived)."""
    links = [Invoice.charge_id == charge.stripe_charge_id]
    if charge.stripe_invoice_id:
        links.append(Invoice.stripe_invoice_id == charge.stripe_invoice_id)
    if charge.payment_intent_id:
        links.append(Invoice.payment_intent_id == charge.payment_intent_id)
    for invoice in db.session.scalars(select(Invoice).where(or_(*links)).with_for_update()).all():
        _settle_invoice(invoice)
        reconcile(invoice.stripe_subscription_id)


def _settle_invoice(invoice: Invoice) -> None:
    """The invoice's refunded amount and disputed flag, summed up from all of its charges."""
    links = [Charge.stripe_invoice_id == invoice.stripe_invoice_id]
    if invoice.payment_intent_id:
        links.append(Charge.payment_intent_id == invoice.payment_intent_id)
    if invoice.charge_id:
        links.append(Charge.stripe_charge_id == invoice.charge_id)
    charges = db.session.scalars(select(Charge).where(or_(*links))).all()
    invoice.refunded = sum(charge.amount_refunded for charge in charges)
    invoice.disputed = any(services.dispute_holds_money(charge.dispute_status) for charge in charges)
    db.session.flush()


# --- What it means for the subscription ------------------------------------------------------------------

def reconcile(stripe_subscription_id: str | None) -> Subscription | None:
    """Derive the subscription's grace clock and revoked access from all of its invoices, so the result is
    the same whichever event came last. Called after any change to the subscription or its invoices.

    Grace: from the first failure of an invoice still unpaid; when none is unpaid, the subscription's own
    ``past_due`` state keeps the clock it had (Stripe's status change may come after the invoice event).
    Access: revoked while the latest of its invoices to be refunded in full or disputed is not followed by a
    later paid one (a learner who pays again gets the perks again).
    """
    if not stripe_subscription_id:
        return None
    subscription = db.session.scalars(select(Subscription)
                                      .where(Subscription.stripe_subscription_id == stripe_subscription_id)
                                      .with_for_update()).one_or_none()
    if subscription is None:
        return None  # the subscription's own event will come and reconcile then
    invoices = db.session.scalars(select(Invoice)
                                  .where(Invoice.stripe_subscription_id == stripe_subscription_id)).all()
    was_premium = _premium_now(subscription)

    unpaid_failures = [i.first_failed_at for i in invoices if i.first_failed_at is not None and i.status in UNPAID]
    if unpaid_failures:
        subscription.past_due_since = min(unpaid_failures)
    elif subscription.status == services.PAST_DUE:
        subscription.past_due_since = subscription.past_due_since or subscription.state_at
    else:
        subscription.past_due_since = None

    reason = None
    paid = sorted((i for i in invoices if i.status == PAID), key=_invoice_order)
    if paid:
        latest = paid[-1]
        reason = services.access_revocation(amount_paid=latest.amount_paid, refunded=latest.refunded,
                                            disputed=latest.disputed)
    if reason is None:
        subscription.access_revoked_at = subscription.access_revoked_reason = None
    elif subscription.access_revoked_reason != reason:
        subscription.access_revoked_at, subscription.access_revoked_reason = now(), reason
    db.session.flush()
    note_premium_start(subscription, was_premium)
    return subscription


def _invoice_order(invoice: Invoice) -> tuple[datetime, datetime, int]:
    return (invoice.period_start or NEVER, invoice.paid_at or NEVER, invoice.id)


def _premium_now(subscription: Subscription) -> bool:
    return subscription.user_id is not None and services.grants_premium(subscription, now())


def note_premium_start(subscription: Subscription, was_premium: bool) -> None:
    """Record ``billing.premium_started`` when a learner's subscription has just begun to grant the perks."""
    if subscription.user_id is not None and not was_premium and _premium_now(subscription):
        events.record(PremiumStarted(stripe_subscription_id=subscription.stripe_subscription_id,
                                     plan=subscription.plan, trialing=subscription.status == "trialing"),
                      actor_id=subscription.user_id, subject=("billing_subscription", subscription.id))


def was_premium(subscription: Subscription) -> bool:
    """Whether the record grants a known learner the perks now (taken before a change, for note_premium_start)."""
    return _premium_now(subscription)


def trial_ending(subscription: Subscription) -> None:
    """Stripe's three-day notice before a trial ends, for the learner whose trial it is."""
    if subscription.user_id is not None and subscription.status == "trialing":
        events.record(TrialEnding(stripe_subscription_id=subscription.stripe_subscription_id,
                                  trial_end=subscription.trial_end, plan=subscription.plan),
                      actor_id=subscription.user_id, subject=("billing_subscription", subscription.id))


def claim_invoices(customer_id: str, user_id: int) -> None:
    """A checkout named the learner of a Stripe customer: their invoices kept without a learner are theirs."""
    db.session.execute(update(Invoice).where(Invoice.stripe_customer_id == customer_id, Invoice.user_id.is_(None))
                       .values(user_id=user_id))


# --- Analytics fields on the subscription ----------------------------------------------------------------

_MONTHS_PER = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}


def subscription_facts(obj: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    """What analytics needs from a subscription object: when it started, its trial, when it ended, and its
    price as an amount a month (a yearly price counts a twelfth each month)."""
    price = dict_of((item or {}).get("price")) or dict_of(obj.get("plan"))
    recurring = dict_of(price.get("recurring"))
    interval = recurring.get("interval") or price.get("interval")
    count = amount_of(recurring.get("interval_count") or price.get("interval_count")) or 1
    quantity = amount_of((item or {}).get("quantity")) or 1
    months = _MONTHS_PER.get(interval if isinstance(interval, str) else "", 0.0) * count
    unit = amount_of(price.get("unit_amount"))
    monthly = round(unit * quantity / months) if months else 0
    ended = time_of(obj.get("ended_at"))
    if ended is None and obj.get("status") == "canceled":
        ended = time_of(obj.get("canceled_at"))
    currency = text_of(obj.get("currency"), 3) or text_of(price.get("currency"), 3)
    return {"started_at": time_of(obj.get("start_date")) or time_of(obj.get("created")),
            "trial_start": time_of(obj.get("trial_start")), "ended_at": ended,
            "currency": currency.lower() if currency else None, "monthly_amount": min(monthly, 2**31 - 1)}
