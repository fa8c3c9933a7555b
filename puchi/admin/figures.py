"""Billing's report turned into charts for the admin page: one bar chart per series, each with its table."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _

from puchi.billing.services import BillingReport
from puchi.core import charts


@dataclass(frozen=True)
class Chart:
    key: str  # the element id's stem (headings and charts are tied by id)
    title: str
    bars: list[charts.Bar]


def billing_charts(report: BillingReport) -> list[Chart]:
    """MRR and paying subscribers per currency, then trials started, cancellations and failed payments."""
    labels = [format_date(month, "MMM yy") for month in report.months]
    found: list[Chart] = []
    for currency, series in sorted(report.mrr.items()):
        found.append(Chart(f"mrr-{currency}", _("Monthly recurring revenue (%(currency)s)",
                                                currency=currency.upper()),
                           charts.bar_chart(list(zip(labels, series, strict=True)))))
    for currency, series in sorted(report.paying.items()):
        found.append(Chart(f"paying-{currency}", _("Paying subscribers (%(currency)s)", currency=currency.upper()),
                           charts.bar_chart(list(zip(labels, series, strict=True)))))
    for key, title, series in (("trials", _("Trials started"), report.trials_started),
                               ("cancellations", _("Cancellations"), report.cancellations),
                               ("failed", _("Failed payments"), report.failed_payments)):
        found.append(Chart(key, title, charts.bar_chart(list(zip(labels, series, strict=True)))))
    return found
