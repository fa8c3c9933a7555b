"""A learner's receipts: the list, and each one as a PDF Puchi renders in their language."""

from __future__ import annotations

from flask import Blueprint, make_response
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user, login_required

from puchi.billing import receipts
from puchi.core.htmx import render_page

bp = Blueprint("billing_receipts", __name__)


@bp.get("/billing/receipts", endpoint="receipts")
@login_required
def list_receipts() -> ResponseReturnValue:
    return render_page("billing/receipts.html", invoices=receipts.receipts_of(current_user),
                       plan_name=receipts.plan_name)


@bp.get("/billing/receipts/<int:invoice_id>.pdf")
@login_required
def receipt_pdf(invoice_id: int) -> ResponseReturnValue:
    """The receipt PDF, in the page's language; 404 for an invoice that is not the learner's."""
    invoice = receipts.receipt_for(current_user, invoice_id)
    response = make_response(receipts.render_pdf(invoice, current_user, str(get_locale() or "en")))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{receipts.filename(invoice)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
