"""Receipts: a learner's paid invoices, listed and rendered by Puchi as a PDF in the learner's language.

A receipt is Puchi's own document (WeasyPrint from ``templates/billing/receipt_pdf.html``), so it reads in
the learner's language and currency format whatever Stripe's hosted invoice says. It is made from the
ledger's row alone: no request and no email waits on Stripe. A learner sees only their own receipts; another
learner's invoice is "not found", never "forbidden", so its existence is not revealed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from puchi.billing import services
from puchi.billing.models import Invoice
from puchi.core.db import db
from puchi.core.errors import NotFound

if TYPE_CHECKING:
    from puchi.accounts.models import User

PAID = "paid"
PLAN_NAMES = {services.Plan.SUPER_MONTHLY: _l("Puchi Super, monthly"),
              services.Plan.SUPER_YEARLY: _l("Puchi Super, yearly"),
              services.Plan.FAMILY_YEARLY: _l("Puchi Family, yearly")}


def receipts_of(user: User) -> list[Invoice]:
    """The learner's paid invoices, newest first (one query). A trial's invoice of nothing is no payment."""
    return list(db.session.scalars(select(Invoice).where(Invoice.user_id == user.id, Invoice.status == PAID,
                                                         Invoice.amount_paid > 0)
                                   .order_by(Invoice.paid_at.desc(), Invoice.id.desc())))


def receipt_for(user: User, invoice_id: int) -> Invoice:
    """One of the learner's paid invoices. :raises NotFound: none of theirs has that id."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id, Invoice.user_id == user.id,
                                                      Invoice.status == PAID, Invoice.amount_paid > 0))
    if invoice is None:
        raise NotFound(code="receipt_not_found")
    return invoice


def plan_name(invoice: Invoice) -> str:
    plan = services.plan_for_price(invoice.price_id)
    return str(PLAN_NAMES[plan]) if plan else "Puchi"


def filename(invoice: Invoice) -> str:
    """A safe file name: the invoice number keeps only letters, digits and dashes."""
    number = "".join(c for c in (invoice.number or str(invoice.id)) if c.isascii() and (c.isalnum() or c == "-"))
    return f"puchi-receipt-{number or invoice.id}.pdf"


def render_pdf(invoice: Invoice, user: User, locale: str) -> bytes:
    """The receipt as PDF bytes, in ``locale``."""
    from weasyprint import HTML  # imported when a receipt is made: it loads pango, which pages never need

    with force_locale(locale):
        html = render_template("billing/receipt_pdf.html", invoice=invoice, user=user, locale=locale,
                               plan=plan_name(invoice), seller=current_app.config["BILLING_SELLER"],
                               rtl=locale.split("_")[0] in {"ar", "he", "fa", "ur"})
    # Nothing is fetched while rendering: the receipt holds no image or stylesheet from anywhere.
    pdf: bytes = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"receipts fetch nothing ({url[:60]})")


def attachment(user_id: int, invoice_id: int, locale: str) -> tuple[str, bytes] | None:
    """For the receipt email: (file name, PDF bytes), or None when the invoice is not theirs or not paid."""
    from puchi.accounts import services as accounts

    try:
        user = accounts.get_user(user_id)
        invoice = receipt_for(user, invoice_id)
    except NotFound:
        return None
    return filename(invoice), render_pdf(invoice, user, locale)
