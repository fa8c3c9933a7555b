"""The admin's billing page: the month-by-month figures from billing's records, as tables and charts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from puchi.billing.models import Invoice, Subscription
from puchi.core.db import action, db, now
from tests import stripe_fake
from tests.accounts.mfa_support import enrol_totp


@pytest.fixture
def app_settings() -> dict[str, str]:
    # Billing on; the page reads only Puchi's records, so Stripe's address is never called.
    return {"STRIPE_SECRET_KEY": stripe_fake.SECRET_KEY, "STRIPE_WEBHOOK_SECRET": stripe_fake.WEBHOOK_SECRET,
            "STRIPE_PRICE_SUPER_MONTHLY": "price_super_monthly"}


@pytest.fixture
def admin(app, logged_in):
    """A logged-in administrator with an authenticator app on (admins must have a second factor)."""
    client, user = logged_in(email="root@example.com", is_admin=True)
    enrol_totp(app, user.id)
    return client


@pytest.fixture
def two_paying_and_a_failure(app) -> None:
    started = now() - timedelta(days=40)
    with app.app_context(), action():
        for sub_id, amount in (("sub_a", 699), ("sub_b", 699)):
            db.session.add(Subscription(stripe_subscription_id=sub_id, stripe_customer_id=f"cus_{sub_id}",
                                        status="active", plan="super_monthly", currency="eur", monthly_amount=amount,
                                        started_at=started, state_at=started))
        db.session.add(Invoice(stripe_invoice_id="in_b", stripe_customer_id="cus_sub_b", stripe_subscription_id="sub_b",
                               status="open", currency="eur", amount_due=699, amount_paid=0,
                               first_failed_at=now() - timedelta(hours=1), state_at=now()))


def test_an_admin_sees_revenue_subscribers_and_failed_payments(admin, two_paying_and_a_failure):
    page = admin.get("/admin/billing?months=3")
    assert page.status_code == 200
    assert "€13.98" in page.text  # MRR: two subscriptions at €6.99 a month
    assert "€6.99" in page.text  # ARPU
    assert page.text.count('class="chart-bar"') >= 3 * 5  # three months in each of the five charts
    assert "Monthly recurring revenue (EUR)" in page.text


def test_the_range_is_bounded_and_a_bad_one_falls_back(admin, two_paying_and_a_failure):
    rows = lambda text: text.count('<th scope="row">')  # noqa: E731 - months in the two tables
    assert rows(admin.get("/admin/billing?months=3").text) == 2 * 3
    assert rows(admin.get("/admin/billing?months=9999").text) == 2 * 12  # out of range: the default
    assert rows(admin.get("/admin/billing?months=abc").text) == 2 * 12


def test_a_learner_is_refused_and_an_admin_without_a_second_factor_is_sent_to_set_one_up(logged_in):
    learner, _ = logged_in(email="ben@example.com")
    assert learner.get("/admin/billing").status_code == 403
    admin_without_mfa, _ = logged_in(email="root@example.com", is_admin=True)
    assert admin_without_mfa.get("/admin/billing").headers["Location"] == "/account/security/required"


@pytest.mark.parametrize("app_settings", [{}])
def test_with_billing_off_the_page_says_so(admin):
    page = admin.get("/admin/billing")
    assert page.status_code == 200 and "Billing is not configured" in page.text
