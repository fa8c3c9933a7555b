"""Billing's emails go through the notification channels, in the learner's language: the welcome to Super,
the trial's end, a failed payment (with where to update the card), a payment to confirm, and the receipt
with its PDF attached. Emails about money cannot be switched off; the welcome can."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.billing.conftest import PRICE_SUPER_MONTHLY, deliver, now_s
from tests.conftest import AuthActions, post_form


def _customer(stripe_api, learner):
    return stripe_api.customer(metadata={"puchi_user_id": str(learner.id)})


def _subscribe(client, stripe_api, customer, *, status="active", trial_end=None, created=None):
    subscription = stripe_api.subscription(customer["id"], PRICE_SUPER_MONTHLY, status=status,
                                           period_end=now_s() + 30 * 86400, trial_end=trial_end)
    assert deliver(client, stripe_api.event("customer.subscription.created", subscription,
                                            created=created or now_s() - 600)).status_code == 200
    return subscription


def _invoice_event(client, stripe_api, customer, subscription, kind, *, status, invoice_id=None):
    invoice = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, amount=1000,
                                 tax=0, currency="eur", period_start=now_s() - 100, period_end=now_s() + 86400,
                                 status=status, invoice_id=invoice_id)
    assert deliver(client, stripe_api.event(kind, invoice, created=now_s())).status_code == 200
    return invoice


def _subjects(mailbox, address) -> list[str]:
    return [str(message["Subject"]) for message in mailbox.to(address)]


def test_a_new_subscriber_is_welcomed_once_in_their_language(client, stripe_api, make_user, mailbox):
    learner = make_user(locale="es")
    customer = _customer(stripe_api, learner)
    _subscribe(client, stripe_api, customer)
    [welcome] = mailbox.wait_for(learner.email)
    assert "¡Te damos la bienvenida a Puchi Super!" in str(welcome["Subject"])
    assert welcome["Content-Language"] == "es" and welcome["List-Unsubscribe"]  # the welcome can be switched off

    _subscribe(client, stripe_api, customer)  # a second subscription later: no second welcome
    assert len(mailbox.to(learner.email)) == 1


def test_a_paid_invoice_sends_the_receipt_with_its_pdf_attached(client, stripe_api, make_user, mailbox):
    learner = make_user(locale="fr", display_name="Élodie")
    customer = _customer(stripe_api, learner)
    subscription = _subscribe(client, stripe_api, customer)
    mailbox.wait_for(learner.email)
    mailbox.clear()
    invoice = _invoice_event(client, stripe_api, customer, subscription, "invoice.paid", status="paid")
    _invoice_event(client, stripe_api, customer, subscription, "invoice.paid", status="paid",
                   invoice_id=invoice["id"])  # the same fact again (another event id): one receipt

    [receipt] = mailbox.wait_for(learner.email)
    assert "10,00" in str(receipt["Subject"]) and receipt["List-Unsubscribe"] is None
    text = receipt.get_body(preferencelist=("plain",)).get_content()
    assert "Élodie" in text and "/billing/receipts" in text
    [pdf] = [part for part in receipt.iter_attachments() if part.get_content_type() == "application/pdf"]
    data = pdf.get_content()
    assert data.startswith(b"%PDF") and pdf.get_filename().endswith(".pdf")
    pages = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "10,00" in pages and "Élodie" in pages


def test_a_failed_payment_says_until_when_super_lasts_and_where_to_update_the_card(client, stripe_api, make_user,
                                                                                  mailbox):
    learner = make_user()
    customer = _customer(stripe_api, learner)
    subscription = _subscribe(client, stripe_api, customer)
    mailbox.wait_for(learner.email)
    mailbox.clear()
    _invoice_event(client, stripe_api, customer, subscription, "invoice.payment_failed", status="open")

    [failed] = mailbox.wait_for(learner.email)
    assert "Your payment failed. You keep Super until" in str(failed["Subject"])
    html = failed.get_body(preferencelist=("html",)).get_content()
    # No customer portal route in this Puchi yet: the link leads to the account page.
    assert 'href="http://localhost/account"' in html and "€10.00" in html
    assert failed["List-Unsubscribe"] is None and "cannot be switched off" in html


def test_a_payment_to_confirm_and_a_trial_ending_are_told(client, stripe_api, make_user, mailbox):
    learner = make_user(locale="ja")
    customer = _customer(stripe_api, learner)
    subscription = _subscribe(client, stripe_api, customer, status="trialing", trial_end=now_s() + 3 * 86400)
    mailbox.wait_for(learner.email)
    mailbox.clear()
    deliver(client, stripe_api.event("customer.subscription.trial_will_end",
                                     stripe_api.subscriptions[subscription["id"]], created=now_s()))
    _invoice_event(client, stripe_api, customer, subscription, "invoice.payment_action_required", status="open")

    messages = mailbox.wait_for(learner.email, count=2)
    subjects = sorted(str(message["Subject"]) for message in messages)
    assert len(subjects) == 2
    assert any("無料トライアル" in subject for subject in subjects), subjects
    assert any("¥" in subject or "€" in subject for subject in subjects), subjects


def test_receipts_and_payment_problems_cannot_be_switched_off_but_the_welcome_can(app, client, stripe_api,
                                                                                   make_user, mailbox):
    learner = make_user()
    learner_client = app.test_client()
    assert AuthActions(learner_client).log_in(learner.email).status_code == 302
    settings = learner_client.get("/account/notifications").text
    assert 'id="on-receipt-email"' in settings and "checked disabled" in settings
    # The learner switches everything off (no box ticked), and even forges the receipt's box off.
    assert post_form(learner_client, "/account/notifications", {}).status_code == 302

    customer = _customer(stripe_api, learner)
    subscription = _subscribe(client, stripe_api, customer)
    _invoice_event(client, stripe_api, customer, subscription, "invoice.payment_failed", status="open")
    _invoice_event(client, stripe_api, customer, subscription, "invoice.paid", status="paid")

    messages = mailbox.wait_for(learner.email, count=2)
    subjects = _subjects(mailbox, learner.email)
    assert len(messages) == 2 and not any("Welcome" in subject for subject in subjects), subjects
    assert any("Payment received" in subject for subject in subjects)
    assert any("Your payment failed" in subject for subject in subjects)


def test_a_trials_invoice_of_nothing_sends_no_receipt(app, client, stripe_api, make_user, mailbox):
    learner = make_user()
    customer = _customer(stripe_api, learner)
    subscription = _subscribe(client, stripe_api, customer, status="trialing", trial_end=now_s() + 86400)
    mailbox.wait_for(learner.email)  # the welcome
    invoice = stripe_api.invoice(customer["id"], subscription["id"], price_id=PRICE_SUPER_MONTHLY, amount=0,
                                 period_start=now_s() - 10, period_end=now_s() + 86400)
    deliver(client, stripe_api.event("invoice.paid", invoice, created=now_s()))
    _invoice_event(client, stripe_api, customer, subscription, "invoice.paid", status="paid")  # the first real one

    messages = mailbox.wait_for(learner.email, count=2)
    assert [str(m["Subject"]) for m in messages][1:] == ["Puchi: Payment received: €10.00. Thank you!"]
    learner_client = app.test_client()
    assert AuthActions(learner_client).log_in(learner.email).status_code == 302
    assert learner_client.get("/billing/receipts").text.count("Receipt (PDF)") == 1
