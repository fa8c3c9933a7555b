"""Receipts: every paid invoice is listed with its PDF (rendered by Puchi in the learner's language) and
Stripe's hosted invoice; a learner never sees another's."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.billing.conftest import PRICE_SUPER_YEARLY, deliver, now_s
from tests.billing.test_invoices import invoices
from tests.conftest import AuthActions


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def paying(app, client, stripe_api, make_user):
    """A learner (in ``locale``) with one paid yearly invoice of €8.39 (€1.40 of it tax): returns their
    logged-in client, the learner, and the invoice's ledger row."""
    def make(locale: str = "en", name: str = "Ana Lima", status: str = "paid"):
        learner = make_user(display_name=name, locale=locale)
        customer = stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})
        subscription = stripe_api.subscription(customer["id"], PRICE_SUPER_YEARLY, period_end=now_s() + 86400)
        deliver(client, stripe_api.event("customer.subscription.created", subscription, created=now_s() - 500))
        start = 1_767_225_600  # 1 January 2026
        invoice = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_YEARLY, amount=699,
                                     tax=140, currency="eur", period_start=start, period_end=start + 365 * 86400,
                                     status=status, paid_at=start + 60)
        kind = "invoice.paid" if status == "paid" else "invoice.payment_failed"
        assert deliver(client, stripe_api.event(kind, invoice, created=now_s())).status_code == 200
        [row] = [row for row in invoices(app) if row.stripe_invoice_id == invoice["id"]]
        learner_client = app.test_client()
        assert AuthActions(learner_client).log_in(learner.email).status_code == 302
        return learner_client, learner, row
    return make


def test_the_receipts_page_lists_the_payment_with_its_pdf_and_stripes_invoice(paying):
    learner_client, _, invoice = paying()
    page = learner_client.get("/billing/receipts")
    assert page.status_code == 200
    assert "€8.39" in page.text and "Puchi Super, yearly" in page.text
    assert f'href="/billing/receipts/{invoice.id}.pdf"' in page.text
    assert f'href="{invoice.hosted_invoice_url}"' in page.text
    account = learner_client.get("/account")
    assert "/billing/receipts" in account.text and "1 payment so far." in account.text


def test_the_receipt_pdf_holds_the_payment_in_the_learners_language(paying):
    learner_client, learner, invoice = paying()
    response = learner_client.get(f"/billing/receipts/{invoice.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    for expected in ("Receipt", invoice.number, "Ana Lima", learner.email, "Puchi Super, yearly", "€8.39",
                     "€1.40", "€6.99", "January 1, 2026", "EUR"):
        assert expected in text, (expected, text)


def test_a_spanish_learner_gets_a_spanish_receipt(paying):
    learner_client, _, invoice = paying(locale="es", name="Lucía")
    text = pdf_text(learner_client.get(f"/billing/receipts/{invoice.id}.pdf").data)
    assert "Recibo" in text and "8,39" in text and "€" in text and "Lucía" in text
    assert "8,39" in learner_client.get("/billing/receipts").text


def test_a_learner_never_sees_another_learners_receipt(paying):
    _, _, invoice = paying()
    other_client, _, _ = paying(name="Ben")
    assert other_client.get(f"/billing/receipts/{invoice.id}.pdf").status_code == 404
    assert invoice.number not in other_client.get("/billing/receipts").text


def test_an_unpaid_invoice_has_no_receipt(paying):
    learner_client, _, invoice = paying(status="open")
    assert learner_client.get(f"/billing/receipts/{invoice.id}.pdf").status_code == 404
    assert "No payments yet." in learner_client.get("/billing/receipts").text


def test_a_hostile_name_is_text_on_the_receipt(paying):
    learner_client, _, invoice = paying(name="<b>Eve</b> & <i>co")
    text = pdf_text(learner_client.get(f"/billing/receipts/{invoice.id}.pdf").data)
    assert "<b>Eve</b> & <i>co" in text


@pytest.mark.parametrize(("locale", "name", "expected"), [("ja", "さくら", "領収書"), ("ar", "ليلى", "ليلى")])
def test_a_receipt_in_japanese_or_arabic_is_written_in_real_glyphs(paying, locale, name, expected):
    learner_client, _, invoice = paying(locale=locale, name=name)
    data = learner_client.get(f"/billing/receipts/{invoice.id}.pdf").data
    assert name in pdf_text(data) and (expected in pdf_text(data))
    fonts = {str(font.get("/BaseFont", "")) for page in PdfReader(io.BytesIO(data)).pages
             for font in page["/Resources"]["/Font"].values() for font in [font.get_object()]}
    if locale == "ja":  # kana and kanji come from a font that has them, not from boxes in DejaVu
        assert any("IPA" in font for font in fonts), fonts
