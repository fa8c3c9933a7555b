"""The ledger: one row per invoice, whatever the order and number of its events, and what a failed or
recovered payment means for the subscription's grace period."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.billing import services
from puchi.billing.events import InvoicePaid, PaymentActionRequired, PaymentFailed
from puchi.billing.models import Invoice
from puchi.core.db import db
from puchi.core.events import Event
from tests.billing.conftest import PRICE_SUPER_MONTHLY, deliver, now_s, subscription_record


def invoices(app) -> list[Invoice]:
    with app.app_context():
        rows = list(db.session.scalars(select(Invoice).order_by(Invoice.id)))
        db.session.expunge_all()
        return rows


def recorded(app, event_class) -> list:
    with app.app_context():
        payloads = db.session.scalars(select(Event.payload).where(Event.name == event_class.name)
                                      .order_by(Event.id)).all()
    return [event_class.from_payload(payload) for payload in payloads]


def premium(app, user_id: int) -> services.Entitlements:
    with app.app_context():
        return services.entitlements(db.session.get(User, user_id))


@pytest.fixture
def subscribed(client, stripe_api, make_user):
    """A learner with an active monthly subscription Stripe told us about; returns (learner, customer, sub)."""
    def make(status: str = "active"):
        learner = make_user()
        customer = stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})
        subscription = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, status=status,
                                               period_end=now_s() + 30 * 86400)
        assert deliver(client, stripe_api.event("customer.subscription.created", subscription,
                                                created=now_s() - 3000)).status_code == 200
        return learner, customer, subscription
    return make


def test_a_paid_invoice_is_one_ledger_row_with_its_amounts_and_links(app, client, stripe_api, subscribed):
    learner, customer, subscription = subscribed()
    start = now_s() - 100
    invoice = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, amount=699,
                                 tax=140, currency="eur", period_start=start, period_end=start + 30 * 86400)
    body = stripe_api.event("invoice.paid", invoice, created=now_s())
    for _ in range(3):
        assert deliver(client, body).status_code == 200

    [row] = invoices(app)
    assert (row.stripe_invoice_id, row.user_id, row.stripe_subscription_id) == (invoice["id"], learner.id,
                                                                                subscription["id"])
    assert (row.status, row.amount_due, row.amount_paid, row.tax, row.currency) == ("paid", 839, 839, 140, "eur")
    assert int(row.period_start.timestamp()) == start and int(row.period_end.timestamp()) == start + 30 * 86400
    assert row.hosted_invoice_url == invoice["hosted_invoice_url"] and row.number == invoice["number"]
    assert row.paid_at is not None and row.price_id == PRICE_SUPER_MONTHLY
    [paid] = recorded(app, InvoicePaid)
    assert (paid.amount_paid, paid.currency, paid.invoice_id) == (839, "eur", row.id)


def test_a_failed_payment_starts_the_grace_period_and_the_paid_invoice_ends_it(app, client, stripe_api,
                                                                                subscribed):
    learner, customer, subscription = subscribed()
    start = now_s() - 200
    failing = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, status="open",
                                 period_start=start, period_end=start + 30 * 86400)
    deliver(client, stripe_api.event("invoice.payment_failed", failing, created=now_s() - 100))
    subscription["status"] = "past_due"
    deliver(client, stripe_api.event("customer.subscription.updated", subscription, created=now_s() - 90))

    record = subscription_record(app, subscription["id"])
    assert int(record.past_due_since.timestamp()) == now_s() - 100 or abs(
        record.past_due_since.timestamp() - (now_s() - 100)) <= 2  # the failure's time starts the clock
    still = premium(app, learner.id)
    assert still.premium and still.until == record.past_due_since + timedelta(days=7)
    [failed] = recorded(app, PaymentFailed)
    assert failed.grace_until == record.past_due_since + timedelta(days=7) and failed.amount_due == 699

    paid = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, status="paid",
                              invoice_id=failing["id"], period_start=start, period_end=start + 30 * 86400,
                              attempt_count=2)
    deliver(client, stripe_api.event("invoice.paid", paid, created=now_s() - 50))
    subscription["status"] = "active"
    deliver(client, stripe_api.event("customer.subscription.updated", subscription, created=now_s() - 40))

    assert subscription_record(app, subscription["id"]).past_due_since is None
    [row] = invoices(app)
    assert (row.status, row.attempt_count, row.first_failed_at is not None) == ("paid", 2, True)
    assert len(recorded(app, InvoicePaid)) == 1


def test_a_failure_that_arrives_after_the_payment_changes_nothing_and_tells_nobody(app, client, stripe_api,
                                                                                  subscribed):
    _, customer, subscription = subscribed()
    start = now_s() - 200
    kwargs = dict(price_id=PRICE_SUPER_MONTHLY, period_start=start, period_end=start + 30 * 86400)
    paid = stripe_api.invoice(customer["id"], subscription["id"], **kwargs)
    failed = stripe_api.invoice(customer["id"], subscription["id"], status="open", invoice_id=paid["id"], **kwargs)
    deliver(client, stripe_api.event("invoice.paid", paid, created=now_s() - 10))
    deliver(client, stripe_api.event("invoice.payment_failed", failed, created=now_s() - 100))

    [row] = invoices(app)
    assert row.status == "paid" and row.amount_paid == 699
    assert subscription_record(app, subscription["id"]).past_due_since is None
    assert recorded(app, PaymentFailed) == []


def test_an_invoice_before_its_subscription_waits_for_it_and_then_counts(app, client, stripe_api, make_user):
    learner = make_user()
    customer = stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})
    subscription = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, status="past_due",
                                           period_end=now_s() + 86400)
    failing = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, status="open",
                                 period_start=now_s() - 500, period_end=now_s() + 86400)
    deliver(client, stripe_api.event("invoice.payment_failed", failing, created=now_s() - 400))
    assert invoices(app)[0].user_id is None  # nobody known yet: kept, told to nobody
    deliver(client, stripe_api.event("customer.subscription.created", subscription, created=now_s() - 300))

    record = subscription_record(app, subscription["id"])
    assert abs(record.past_due_since.timestamp() - (now_s() - 400)) <= 2  # the earlier failure, not the status


def test_a_payment_that_needs_the_learners_confirmation_is_recorded_once(app, client, stripe_api, subscribed):
    _, customer, subscription = subscribed()
    invoice = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, status="open",
                                 period_start=now_s() - 100, period_end=now_s() + 86400)
    body = stripe_api.event("invoice.payment_action_required", invoice, created=now_s())
    deliver(client, body)
    deliver(client, stripe_api.event("invoice.payment_action_required", invoice, created=now_s()))  # Stripe again

    [asked] = recorded(app, PaymentActionRequired)
    assert asked.hosted_invoice_url == invoice["hosted_invoice_url"]
    assert invoices(app)[0].action_required_at is not None


def test_only_stripes_https_links_are_kept(app, client, stripe_api, subscribed):
    _, customer, subscription = subscribed()
    invoice = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY,
                                 period_start=now_s() - 100, period_end=now_s() + 86400)
    invoice["hosted_invoice_url"] = "javascript:alert(1)"
    deliver(client, stripe_api.event("invoice.paid", invoice, created=now_s()))
    assert invoices(app)[0].hosted_invoice_url is None


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_years_invoices_three_times_each_in_any_order_make_one_row_each(app, client, stripe_api, subscribed,
                                                                          seed):
    _, customer, subscription = subscribed()
    t0 = now_s() - 12 * 3600
    bodies = []
    for month in range(4):
        start = t0 + month * 600
        kwargs = dict(price_id=PRICE_SUPER_MONTHLY, period_start=start, period_end=start + 600)
        paid = stripe_api.invoice(customer["id"], subscription["id"], **kwargs)
        if month == 2:  # one renewal failed once before it went through
            failing = stripe_api.invoice(customer["id"], subscription["id"], status="open", invoice_id=paid["id"],
                                         **kwargs)
            bodies.append(stripe_api.event("invoice.payment_failed", failing, created=start + 1))
        bodies.append(stripe_api.event("invoice.paid", paid, created=start + 5))
    deliveries = bodies * 3
    random.Random(seed).shuffle(deliveries)
    for body in deliveries:
        assert deliver(client, body).status_code == 200

    rows = invoices(app)
    assert len(rows) == 4 and {row.status for row in rows} == {"paid"}
    assert subscription_record(app, subscription["id"]).past_due_since is None
    assert len(recorded(app, InvoicePaid)) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 4


def _lifecycle_with_invoices(stripe_api, learner_id: int, t0: int) -> tuple[str, list[str]]:
    """A subscription's whole story, subscription and ledger events alike: checkout and trial, the trial's
    notice, the first payment, a failed renewal that needed confirmation and then went through, a partial
    refund, a third payment disputed and lost, and the end. Stripe (the fake) holds the final state."""
    customer = stripe_api.customer()
    sub_id = stripe_api.new_id("sub")

    def state(**kwargs):
        return stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, subscription_id=sub_id,
                                       period_end=t0 + 20 * 86400, created=t0, trial_start=t0, **kwargs)

    def invoice(n: int, **kwargs):
        return stripe_api.invoice(customer["id"], sub_id, price_id=PRICE_SUPER_MONTHLY, invoice_id=f"in_{sub_id}_{n}",
                                  payment_intent=f"pi_{sub_id}_{n}", period_start=t0 + n * 1000,
                                  period_end=t0 + (n + 1) * 1000, **kwargs)

    session = {"id": stripe_api.new_id("cs"), "object": "checkout.session", "mode": "subscription",
               "client_reference_id": str(learner_id), "customer": customer["id"], "subscription": sub_id,
               "status": "complete", "payment_status": "paid", "metadata": {}}
    third_charge = stripe_api.charge(payment_intent=f"pi_{sub_id}_3", amount=699)
    dispute = stripe_api.dispute(third_charge)
    event = stripe_api.event
    bodies = [
        event("customer.subscription.created", state(status="trialing", trial_end=t0 + 900), created=t0),
        event("checkout.session.completed", session, created=t0 + 1),
        event("customer.subscription.trial_will_end", state(status="trialing", trial_end=t0 + 900), created=t0 + 10),
        event("customer.subscription.updated", state(status="active"), created=t0 + 1000),
        event("invoice.paid", invoice(1), created=t0 + 1001),
        event("invoice.payment_failed", invoice(2, status="open"), created=t0 + 2001),
        event("customer.subscription.updated", state(status="past_due"), created=t0 + 2002),
        event("invoice.payment_action_required", invoice(2, status="open"), created=t0 + 2100),
        event("invoice.paid", invoice(2, attempt_count=2), created=t0 + 2200),
        event("customer.subscription.updated", state(status="active", cancel_at_period_end=True), created=t0 + 2201),
        event("charge.refunded", stripe_api.charge(payment_intent=f"pi_{sub_id}_2", amount=699, amount_refunded=100),
              created=t0 + 2500),
        event("invoice.paid", invoice(3), created=t0 + 3001),
        event("charge.dispute.created", dispute, created=t0 + 3100),
        event("charge.dispute.closed", dict(dispute, status="lost"), created=t0 + 3200),
        event("customer.subscription.deleted", state(status="canceled", cancel_at_period_end=True,
                                                     ended_at=t0 + 3300), created=t0 + 3300),
    ]
    return sub_id, bodies


def _final_story(app, sub_id: str) -> tuple:
    record = subscription_record(app, sub_id)
    rows = [row for row in invoices(app) if row.stripe_subscription_id == sub_id]
    ledger = sorted((row.stripe_invoice_id.rsplit("_", 1)[1], row.status, row.amount_paid, row.refunded,
                     row.disputed, row.attempt_count, row.first_failed_at is not None, row.user_id) for row in rows)
    return (record.status, record.plan, record.user_id, record.cancel_at_period_end, record.past_due_since,
            record.access_revoked_reason, record.ended_at, record.monthly_amount, ledger)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_each_lifecycle_event_three_times_in_shuffled_order_gives_the_same_state_and_ledger(
        app, client, stripe_api, make_user, seed):
    in_order_learner, shuffled_learner = make_user(), make_user()
    t0 = now_s() - 7200
    in_order_sub, in_order = _lifecycle_with_invoices(stripe_api, in_order_learner.id, t0)
    for body in in_order:
        assert deliver(client, body).status_code == 200
    shuffled_sub, bodies = _lifecycle_with_invoices(stripe_api, shuffled_learner.id, t0)
    deliveries = bodies * 3
    random.Random(seed).shuffle(deliveries)
    for body in deliveries:
        assert deliver(client, body).status_code == 200

    expected = _final_story(app, in_order_sub)
    assert expected[:7] == ("canceled", "super_monthly", in_order_learner.id, True, None, "dispute",
                            expected[6]) and expected[6] is not None
    assert [entry[:7] for entry in expected[8]] == [("1", "paid", 699, 0, False, 1, False),
                                                   ("2", "paid", 699, 100, False, 2, True),
                                                   ("3", "paid", 699, 0, True, 1, False)]
    story = _final_story(app, shuffled_sub)
    assert story[:2] == expected[:2] and story[3:8] == expected[3:8]
    assert story[2] == shuffled_learner.id and {entry[7] for entry in story[8]} == {shuffled_learner.id}
    assert [entry[:7] for entry in story[8]] == [entry[:7] for entry in expected[8]]


def test_the_learners_pages_show_the_grace_banner_until_the_payment_goes_through(app, client, stripe_api,
                                                                               subscribed):
    from tests.conftest import AuthActions

    learner, customer, subscription = subscribed()
    learner_client = app.test_client()
    assert AuthActions(learner_client).log_in(learner.email).status_code == 302
    assert "Your payment failed" not in learner_client.get("/home").text

    start = now_s() - 200
    kwargs = dict(price_id=PRICE_SUPER_MONTHLY, period_start=start, period_end=start + 30 * 86400)
    failing = stripe_api.invoice(customer["id"], subscription["id"], status="open", **kwargs)
    deliver(client, stripe_api.event("invoice.payment_failed", failing, created=now_s() - 100))
    record = subscription_record(app, subscription["id"])
    until = record.past_due_since + timedelta(days=7)

    for page in ("/home", "/courses", "/account"):
        html = learner_client.get(page).text
        assert "Your payment failed; you keep Super until" in html, page
        assert f"{until:%B} {until.day}, {until.year}" in html and 'href="/account">Update your card' in html

    paid = stripe_api.invoice(customer["id"], subscription["id"], invoice_id=failing["id"], **kwargs)
    deliver(client, stripe_api.event("invoice.paid", paid, created=now_s()))
    assert "Your payment failed" not in learner_client.get("/home").text
