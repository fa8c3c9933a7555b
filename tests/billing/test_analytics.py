"""Billing analytics from Puchi's own records, with numbers worked out by hand for a small world."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from puchi.accounts.models import User
from puchi.billing import services
from puchi.billing.models import Invoice, Subscription
from puchi.core.db import action, db
from tests.accounts.mfa_support import enrol_totp

JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def _subscription(sub_id: str, plan: str | None, currency: str, monthly: int, started: datetime, *,
                  trial: tuple[datetime, datetime] | None = None, ended: datetime | None = None,
                  revoked: datetime | None = None) -> Subscription:
    return Subscription(stripe_subscription_id=sub_id, stripe_customer_id=f"cus_{sub_id}", status="active",
                        plan=plan, currency=currency, monthly_amount=monthly, started_at=started,
                        trial_start=trial[0] if trial else None, trial_end=trial[1] if trial else None,
                        ended_at=ended, access_revoked_at=revoked, access_revoked_reason="refund" if revoked else None,
                        state_at=started)


def _invoice(invoice_id: str, sub_id: str, *, status: str, amount: int, failed: datetime | None = None
             ) -> Invoice:
    return Invoice(stripe_invoice_id=invoice_id, stripe_customer_id=f"cus_{sub_id}", stripe_subscription_id=sub_id,
                   status=status, currency="eur", amount_due=amount, amount_paid=amount if status == "paid" else 0,
                   first_failed_at=failed, state_at=at(1, 1))


@pytest.fixture
def admin_id(app, make_user) -> int:
    """An administrator with an authenticator app on: the report is theirs to read."""
    user = make_user("root@example.com", is_admin=True)
    enrol_totp(app, user.id)
    return user.id


def as_admin(admin_id: int) -> User:
    found = db.session.get(User, admin_id)
    assert found is not None
    return found


@pytest.fixture
def world(app, admin_id):
    """A: monthly €6.99 since 10 Jan. B: yearly €59.99 (€5.00 a month) from a trial 20 Jan–3 Feb, paid.
    C: monthly $7.99 trial 5–19 Feb, cancelled when it ended. D: monthly €6.99 from 5 Jan, ended 15 Mar.
    E: family $8.33 a month from 2 Mar, refunded 10 Apr. F: someone else's price (not Puchi's: ignored).
    A's February renewal failed on 10 Feb and was paid later; D's failed on 5 Mar and never was."""
    with app.app_context(), action():
        db.session.add_all([
            _subscription("A", "super_monthly", "eur", 699, at(1, 10)),
            _subscription("B", "super_yearly", "eur", 500, at(1, 20), trial=(at(1, 20), at(2, 3))),
            _subscription("C", "super_monthly", "usd", 799, at(2, 5), trial=(at(2, 5), at(2, 19)), ended=at(2, 19)),
            _subscription("D", "super_monthly", "eur", 699, at(1, 5), ended=at(3, 15)),
            _subscription("E", "family_yearly", "usd", 833, at(3, 2), revoked=at(4, 10)),
            _subscription("F", None, "eur", 10_000, at(1, 2)),
            _invoice("in_B1", "B", status="paid", amount=5999),
            _invoice("in_A2", "A", status="paid", amount=699, failed=at(2, 10)),
            _invoice("in_D3", "D", status="open", amount=699, failed=at(3, 5)),
        ])
    with app.app_context():
        yield services.analytics_report(as_admin(admin_id), date(2026, 1, 15), date(2026, 4, 2))


def test_the_report_covers_each_month_of_the_range(world):
    assert world.months == [JAN, FEB, MAR, APR]


def test_mrr_and_arpu_per_currency_count_only_paying_subscriptions(world):
    # Jan: A + D (B still on trial); Feb: A + B + D; Mar and Apr: A + B (D ended).
    assert world.mrr["eur"] == [1398, 1898, 1199, 1199]
    assert world.paying["eur"] == [2, 3, 2, 2]
    assert world.arpu["eur"] == [699, 633, 600, 600]
    # C never paid (cancelled at the end of its trial); E paid in March and was refunded in April.
    assert world.mrr["usd"] == [0, 0, 833, 0]
    assert world.arpu["usd"] == [None, None, 833, None]


def test_subscribers_by_plan_include_trials(world):
    assert world.subscribers_by_plan == {"super_monthly": [2, 2, 1, 1], "super_yearly": [1, 1, 1, 1],
                                         "family_yearly": [0, 0, 1, 1]}


def test_trials_and_their_conversion_by_the_month_they_started(world):
    assert world.trials_started == [1, 1, 0, 0]
    assert world.trials_ended == [1, 1, 0, 0]
    assert world.trials_converted == [1, 0, 0, 0]
    assert world.trial_conversion == [1.0, 0.0, None, None]


def test_churn_is_paying_subscriptions_ended_over_those_paying_at_the_start(world):
    assert world.paying_at_start == [0, 2, 3, 3]
    assert world.cancellations == [0, 0, 1, 0]  # D; C ended with its trial, before it ever paid
    assert world.churn == [None, 0.0, pytest.approx(1 / 3), 0.0]


def test_failed_payments_and_how_many_were_recovered(world):
    assert world.failed_payments == [0, 1, 1, 0]
    assert world.recovered_payments == [0, 1, 0, 0]


def test_the_number_of_queries_does_not_grow_with_the_months(app, world, admin_id):
    def count_queries(start: date, end: date) -> int:
        statements: list[str] = []

        def seen(conn, cursor, statement, *args):
            statements.append(statement)

        admin = as_admin(admin_id)
        engine = db.engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            services.analytics_report(admin, start, end)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        return len(statements)

    assert count_queries(date(2026, 1, 1), date(2026, 2, 1)) == count_queries(date(2025, 1, 1), date(2026, 12, 1))


def test_only_an_administrator_gets_the_figures(app):
    from puchi.core.errors import Forbidden

    with app.app_context(), pytest.raises(Forbidden) as refused:
        services.analytics_report(SimpleNamespace(id=2, is_admin=False), date(2026, 1, 1), date(2026, 2, 1))
    assert refused.value.code == "staff_only"
