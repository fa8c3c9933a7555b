"""Billing analytics, month by month, from billing's own records (never from Stripe): MRR, subscribers by
plan, trials and their conversion, churn, ARPU, failed and recovered payments. For the admin pages, through
``services.analytics_report``.

Definitions (each month is a UTC calendar month; "at the end" of the current month means now):

- **paying** at a moment: a subscription to one of Puchi's plans that has started, has not ended, is past
  its trial, and whose access no refund or dispute has ended.
- **MRR** at a month's end: the paying subscriptions' prices normalised to a month (``monthly_amount``: a
  yearly price counts a twelfth), per currency, in minor units. **ARPU**: MRR / paying subscribers, per
  currency.
- **subscribers by plan** at a month's end: started and not ended, trials included.
- **trials** started in the month; **converted**: of those, the ones with a paid invoice of more than zero;
  **ended**: the ones whose trial is over (so a trial still running counts as neither won nor lost).
- **churn**: paying subscriptions that ended in the month / those paying at its start.
- **failed payments**: invoices whose first failure fell in the month; **recovered**: of those, the ones
  paid since.

Each series is one SQL query over a small table of months (a ``UNION ALL`` of literal bounds) joined to the
records, grouped by month: the number of queries does not depend on the months or the data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, union_all

from puchi.billing.models import Invoice, Subscription
from puchi.core.db import UTCDateTime, db, now

MAX_MONTHS = 120


@dataclass(frozen=True)
class BillingReport:
    """Series aligned with ``months`` (the first day of each month). Amounts are minor units."""

    months: list[date]
    mrr: dict[str, list[int]] = field(default_factory=dict)  # currency → MRR at each month's end
    paying: dict[str, list[int]] = field(default_factory=dict)  # currency → paying subscribers at the end
    arpu: dict[str, list[int | None]] = field(default_factory=dict)  # currency → MRR / paying
    subscribers_by_plan: dict[str, list[int]] = field(default_factory=dict)
    trials_started: list[int] = field(default_factory=list)
    trials_ended: list[int] = field(default_factory=list)
    trials_converted: list[int] = field(default_factory=list)
    trial_conversion: list[float | None] = field(default_factory=list)  # converted / ended
    paying_at_start: list[int] = field(default_factory=list)
    cancellations: list[int] = field(default_factory=list)
    churn: list[float | None] = field(default_factory=list)  # cancellations / paying at start
    failed_payments: list[int] = field(default_factory=list)
    recovered_payments: list[int] = field(default_factory=list)


def month_starts(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s to ``end``'s (at most MAX_MONTHS)."""
    months: list[date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month) and len(months) < MAX_MONTHS:
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def report(start: date, end: date) -> BillingReport:
    months = month_starts(start, end)
    if not months:
        return BillingReport(months=[])
    at = now()
    bounds = []
    for index, first in enumerate(months):
        following = months[index + 1] if index + 1 < len(months) else _next_month(first)
        month_start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        month_end = min(datetime(following.year, following.month, 1, tzinfo=UTC), at)
        bounds.append((index, min(month_start, at), month_end))
    table = union_all(*[select(literal(index).label("idx"), literal(low, UTCDateTime()).label("low"),
                               literal(high, UTCDateTime()).label("high")) for index, low, high in bounds]
                      ).subquery("months")
    n = len(months)
    result = BillingReport(months=months)

    # MRR, paying subscribers and ARPU at each month's end, per currency.
    S = Subscription
    currency = func.coalesce(S.currency, "")
    rows = db.session.execute(select(table.c.idx, currency, func.sum(S.monthly_amount), func.count(S.id))
                              .join(S, _paying_at(table.c.high)).group_by(table.c.idx, currency))
    for index, code, amount, count in rows:
        result.mrr.setdefault(code, [0] * n)[index] = int(amount or 0)
        result.paying.setdefault(code, [0] * n)[index] = int(count)
    for code, amounts in result.mrr.items():
        result.arpu[code] = [round(a / p) if p else None for a, p in zip(amounts, result.paying[code], strict=True)]

    # Subscribers by plan at each month's end (trials included).
    rows = db.session.execute(select(table.c.idx, S.plan, func.count(S.id)).join(S, _subscribed_at(table.c.high))
                              .group_by(table.c.idx, S.plan))
    for index, plan, count in rows:
        result.subscribers_by_plan.setdefault(str(plan), [0] * n)[index] = int(count)

    # Trials started each month, how many are over, and how many of those paid.
    paid = (select(Invoice.stripe_subscription_id.label("subscription_id")).where(
        Invoice.status == "paid", Invoice.amount_paid > 0).group_by(Invoice.stripe_subscription_id).subquery())
    trial_over = and_(S.trial_end.is_not(None), S.trial_end <= at)
    rows = db.session.execute(
        select(table.c.idx, func.count(S.id), _count_if(trial_over), _count_if(and_(trial_over,
                                                                                      paid.c.subscription_id.is_not(None))))
        .join(S, and_(S.plan.is_not(None), S.trial_start >= table.c.low, S.trial_start < table.c.high))
        .outerjoin(paid, paid.c.subscription_id == S.stripe_subscription_id).group_by(table.c.idx))
    result.trials_started.extend([0] * n)
    result.trials_ended.extend([0] * n)
    result.trials_converted.extend([0] * n)
    for index, started, ended, converted in rows:
        result.trials_started[index], result.trials_ended[index] = int(started), int(ended or 0)
        result.trials_converted[index] = int(converted or 0)
    result.trial_conversion.extend(_ratio(c, e) for c, e in zip(result.trials_converted, result.trials_ended,
                                                                 strict=True))

    # Churn: paying at the month's start, and paying subscriptions that ended during it.
    paying_at_start: dict[int, int] = dict(db.session.execute(select(table.c.idx, func.count(S.id))
                                              .join(S, _paying_at(table.c.low)).group_by(table.c.idx)).all())
    ended_paying = and_(S.plan.is_not(None), S.ended_at >= table.c.low, S.ended_at < table.c.high,
                        or_(S.trial_end.is_(None), S.trial_end < S.ended_at))
    cancelled: dict[int, int] = dict(db.session.execute(select(table.c.idx, func.count(S.id)).join(S, ended_paying)
                                        .group_by(table.c.idx)).all())
    result.paying_at_start.extend(int(paying_at_start.get(i, 0)) for i in range(n))
    result.cancellations.extend(int(cancelled.get(i, 0)) for i in range(n))
    result.churn.extend(_ratio(c, p) for c, p in zip(result.cancellations, result.paying_at_start, strict=True))

    # Failed payments by the month of their first failure, and how many were paid since.
    rows = db.session.execute(select(table.c.idx, func.count(Invoice.id), _count_if(Invoice.status == "paid"))
                              .join(Invoice, and_(Invoice.first_failed_at >= table.c.low,
                                                  Invoice.first_failed_at < table.c.high))
                              .group_by(table.c.idx))
    failed, recovered = defaultdict(int), defaultdict(int)
    for index, count, paid_since in rows:
        failed[index], recovered[index] = int(count), int(paid_since or 0)
    result.failed_payments.extend(failed[i] for i in range(n))
    result.recovered_payments.extend(recovered[i] for i in range(n))
    return result


def _paying_at(moment: Any) -> ColumnElement[bool]:
    S = Subscription
    return and_(_subscribed_at(moment), or_(S.trial_end.is_(None), S.trial_end <= moment),
                or_(S.access_revoked_at.is_(None), S.access_revoked_at > moment))


def _subscribed_at(moment: Any) -> ColumnElement[bool]:
    S = Subscription
    return and_(S.plan.is_not(None), S.started_at <= moment, or_(S.ended_at.is_(None), S.ended_at > moment))


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
