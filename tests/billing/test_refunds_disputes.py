"""A full refund or a dispute ends the perks at once; a partial refund does not; a dispute won gives them
back; and the charge's events may come before the invoice they belong to."""

from __future__ import annotations

import pytest

from puchi.billing import services
from tests.billing.conftest import PRICE_SUPER_MONTHLY, deliver, now_s, subscription_record
from tests.billing.test_invoices import (
    invoices,
    premium,
    subscribed,  # noqa: F401 - fixture
)


def _paid_invoice(client, stripe_api, customer, subscription, *, amount=699, start=None):
    start = start or now_s() - 1000
    invoice = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, amount=amount,
                                 period_start=start, period_end=start + 30 * 86400)
    payment_intent = invoice["payments"]["data"][0]["payment"]["payment_intent"]
    return invoice, payment_intent


def test_a_full_refund_ends_the_perks_at_once(app, client, stripe_api, subscribed):  # noqa: F811
    learner, customer, subscription = subscribed()
    invoice, payment_intent = _paid_invoice(client, stripe_api, customer, subscription)
    deliver(client, stripe_api.event("invoice.paid", invoice, created=now_s() - 900))
    assert premium(app, learner.id).premium

    charge = stripe_api.charge(payment_intent=payment_intent, amount=699, amount_refunded=699)
    deliver(client, stripe_api.event("charge.refunded", charge, created=now_s()))

    assert premium(app, learner.id) == services.FREE
    [row] = invoices(app)
    assert (row.refunded, row.disputed) == (699, False)
    record = subscription_record(app, subscription["id"])
    assert record.access_revoked_reason == "refund" and record.status == "active"  # Stripe still bills it


def test_a_partial_refund_keeps_the_perks(app, client, stripe_api, subscribed):  # noqa: F811
    learner, customer, subscription = subscribed()
    invoice, payment_intent = _paid_invoice(client, stripe_api, customer, subscription)
    deliver(client, stripe_api.event("invoice.paid", invoice, created=now_s() - 900))
    deliver(client, stripe_api.event("charge.refunded", stripe_api.charge(
        payment_intent=payment_intent, amount=699, amount_refunded=200), created=now_s()))

    assert premium(app, learner.id).premium
    assert invoices(app)[0].refunded == 200


def test_a_refund_that_arrives_before_its_invoice_still_ends_the_perks(app, client, stripe_api,
                                                                       subscribed):  # noqa: F811
    learner, customer, subscription = subscribed()
    invoice, payment_intent = _paid_invoice(client, stripe_api, customer, subscription)
    deliver(client, stripe_api.event("charge.refunded", stripe_api.charge(
        payment_intent=payment_intent, amount=699, amount_refunded=699), created=now_s()))
    assert premium(app, learner.id).premium  # nothing links the charge to the learner yet
    deliver(client, stripe_api.event("invoice.paid", invoice, created=now_s() - 900))

    assert premium(app, learner.id) == services.FREE
    assert invoices(app)[0].refunded == 699


@pytest.mark.parametrize(("closed", "access_back"), [("lost", False), ("won", True)])
def test_a_dispute_ends_the_perks_until_it_is_won(app, client, stripe_api, subscribed, closed,  # noqa: F811
                                                   access_back):
    learner, customer, subscription = subscribed()
    invoice, payment_intent = _paid_invoice(client, stripe_api, customer, subscription)
    deliver(client, stripe_api.event("invoice.paid", invoice, created=now_s() - 900))
    charge = stripe_api.charge(payment_intent=payment_intent, amount=699)
    dispute = stripe_api.dispute(charge)
    deliver(client, stripe_api.event("charge.dispute.created", dispute, created=now_s() - 100))

    assert premium(app, learner.id) == services.FREE
    assert invoices(app)[0].disputed
    assert subscription_record(app, subscription["id"]).access_revoked_reason == "dispute"

    closing = dict(dispute, status=closed)
    deliver(client, stripe_api.event("charge.dispute.closed", closing, created=now_s()))
    # The opening event delivered again after the closing one does not reopen it.
    deliver(client, stripe_api.event("charge.dispute.created", dispute, created=now_s() - 100))
    assert premium(app, learner.id).premium is access_back
    assert invoices(app)[0].disputed is not access_back


def test_a_later_paid_invoice_gives_the_perks_back_after_a_refund(app, client, stripe_api,
                                                                 subscribed):  # noqa: F811
    learner, customer, subscription = subscribed()
    first, payment_intent = _paid_invoice(client, stripe_api, customer, subscription, start=now_s() - 5000)
    deliver(client, stripe_api.event("invoice.paid", first, created=now_s() - 4000))
    deliver(client, stripe_api.event("charge.refunded", stripe_api.charge(
        payment_intent=payment_intent, amount=699, amount_refunded=699), created=now_s() - 3000))
    assert premium(app, learner.id) == services.FREE

    second, _ = _paid_invoice(client, stripe_api, customer, subscription, start=now_s() - 2000)
    deliver(client, stripe_api.event("invoice.paid", second, created=now_s() - 1000))
    assert premium(app, learner.id).premium
    assert subscription_record(app, subscription["id"]).access_revoked_at is None
