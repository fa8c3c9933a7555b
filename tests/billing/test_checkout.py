"""Checkout: a Stripe Checkout Session made on the server for the learner's one Stripe customer, with our own
idempotency keys; a clear, translated refusal when Stripe is down, and nothing half-stored."""

from __future__ import annotations

import threading

import pytest
import stripe
from sqlalchemy import select

from puchi.billing.models import Customer
from puchi.core.db import db
from tests import stripe_fake
from tests.billing.checkout_steps import choose, deliver_outgoing, session_id_of, subscribe
from tests.billing.conftest import PRICE_FAMILY_YEARLY, PRICE_SUPER_MONTHLY, PRICE_SUPER_YEARLY
from tests.conftest import post_form


def _customers(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(select(Customer.user_id, Customer.stripe_customer_id))]


def test_choosing_super_sends_the_learner_to_stripes_checkout_for_their_own_customer(app, stripe_api, logged_in):
    client, learner = logged_in(email="ana@example.com")

    response = choose(client, "super_monthly")

    assert response.status_code == 303
    session_id = session_id_of(response)
    assert response.headers["Location"] == f"{stripe_api.url}/checkout/{session_id}"
    [made_customer] = stripe_api.asked("POST", "/v1/customers")
    assert made_customer.params == {"email": "ana@example.com", "metadata": {"puchi_user_id": str(learner.id)}}
    [customer_id] = stripe_api.customers
    [made_session] = stripe_api.asked("POST", "/v1/checkout/sessions")
    assert made_session.params == {
        "mode": "subscription", "customer": customer_id, "client_reference_id": str(learner.id),
        "line_items": [{"price": PRICE_SUPER_MONTHLY, "quantity": "1"}],
        "metadata": {"puchi_user_id": str(learner.id), "puchi_plan": "super_monthly"},
        "subscription_data": {"metadata": {"puchi_user_id": str(learner.id), "puchi_plan": "super_monthly"},
                              "trial_period_days": "7"},
        "allow_promotion_codes": "true",
        "success_url": "http://localhost/billing/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://localhost/plans",
    }
    # Our own keys, not the library's random ones.
    assert made_customer.headers["idempotency-key"] == f"puchi-customer-{learner.id}"
    assert made_session.headers["idempotency-key"].startswith(f"puchi-checkout-{learner.id}-")
    assert _customers(app) == [(learner.id, customer_id)]


def test_the_customer_is_made_once_and_reused_for_every_checkout(app, stripe_api, logged_in):
    client, learner = logged_in()
    first = choose(client, "super_monthly")
    second = choose(client, "super_yearly")
    third = choose(client, "family_yearly")

    assert len(stripe_api.asked("POST", "/v1/customers")) == 1
    [customer_id] = stripe_api.customers
    sessions = stripe_api.asked("POST", "/v1/checkout/sessions")
    assert [s.params["customer"] for s in sessions] == [customer_id] * 3
    assert [s.params["line_items"][0]["price"] for s in sessions] == [PRICE_SUPER_MONTHLY, PRICE_SUPER_YEARLY,
                                                                       PRICE_FAMILY_YEARLY]
    assert len({session_id_of(r) for r in (first, second, third)}) == 3  # another plan: another session
    assert _customers(app) == [(learner.id, customer_id)]


def test_a_double_click_gets_the_same_session_not_a_second_one(app, stripe_api, logged_in):
    client, _ = logged_in()
    first = choose(client, "super_yearly")
    second = choose(client, "super_yearly")

    assert first.headers["Location"] == second.headers["Location"]
    assert len(stripe_api.checkout_sessions) == 1 and len(stripe_api.customers) == 1
    keys = [r.headers["idempotency-key"] for r in stripe_api.asked("POST", "/v1/checkout/sessions")]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_two_learners_never_share_a_key_a_customer_or_a_session(app, stripe_api, logged_in):
    ana, _ = logged_in()
    ben, _ = logged_in()
    assert choose(ana, "super_monthly").headers["Location"] != choose(ben, "super_monthly").headers["Location"]
    assert len(stripe_api.customers) == 2 and len(_customers(app)) == 2


def test_the_fake_holds_stripe_to_its_idempotency_rules(stripe_api):
    """Same key and same parameters: the first answer again; same key, other parameters: refused."""
    client = stripe.StripeClient(stripe_fake.SECRET_KEY, base_addresses={"api": stripe_api.url},
                                 max_network_retries=0)
    first = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "k1"})
    again = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "k1"})
    assert first.id == again.id and len(stripe_api.customers) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"email": "b@example.com"}, {"idempotency_key": "k1"})


def test_super_starts_with_the_free_trial_but_family_and_a_second_subscription_do_not(app, stripe_api, logged_in):
    client, _ = logged_in()
    choose(client, "family_yearly")
    assert "trial_period_days" not in stripe_api.asked("POST", "/v1/checkout/sessions")[-1].params["subscription_data"]

    subscription_id = subscribe(client, stripe_api, "super_monthly")
    stripe_api.end(subscription_id)
    deliver_outgoing(client, stripe_api)  # the trial ran out unpaid: the learner is on the free plan again
    for plan in ("super_yearly", "super_monthly"):  # the same plan again, minutes later: a new session, no trial
        assert choose(client, plan).status_code == 303
        assert "trial_period_days" not in stripe_api.asked("POST", "/v1/checkout/sessions")[-1].params[
            "subscription_data"]


@pytest.mark.parametrize("locale", ["en", "es"])
def test_stripe_down_shows_a_clear_translated_error_and_stores_nothing(app, stripe_api, logged_in, locale):
    client, _ = logged_in(locale=locale)
    stripe_api.fail_with = 500

    response = choose(client, "super_monthly")

    assert response.status_code == 503
    expected = {"en": "Payments are not available right now. Nothing was charged",
                "es": "Los pagos no están disponibles en este momento. No se ha cobrado nada"}[locale]
    assert expected in response.text
    assert 'role="alert"' in response.text and 'name="plan" value="super_monthly"' in response.text  # the form again
    assert _customers(app) == []


class TestASlowStripe:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "STRIPE_TIMEOUT": 0.5}

    def test_a_stripe_that_does_not_answer_in_time_is_stripe_down(self, app, stripe_api, logged_in):
        client, _ = logged_in()
        stripe_api.hold = threading.Event()
        try:
            response = choose(client, "super_monthly")
        finally:
            stripe_api.hold.set()
        assert response.status_code == 503 and "Payments are not available right now" in response.text
        assert _customers(app) == []


def test_a_checkout_after_stripe_comes_back_works_and_makes_one_customer(app, stripe_api, logged_in):
    client, learner = logged_in()
    stripe_api.fail_with = 500
    assert choose(client, "super_monthly").status_code == 503
    stripe_api.fail_with = None
    assert choose(client, "super_monthly").status_code == 303
    assert len(stripe_api.customers) == 1 and len(_customers(app)) == 1


def test_a_learner_who_already_pays_is_refused_and_pointed_to_the_portal(app, stripe_api, logged_in):
    client, _ = logged_in()
    subscribe(client, stripe_api, "super_monthly")
    posts_before = [r for r in stripe_api.requests if r.method == "POST"]

    response = post_form(client, "/account", {"plan": "super_yearly"}, action="/billing/checkout")

    assert response.status_code == 409
    assert "You already have a paid plan" in response.text and "Manage your plan" in response.text
    assert [r for r in stripe_api.requests if r.method == "POST"] == posts_before  # Stripe was not asked


@pytest.mark.parametrize("plan", ["", "platinum", "SUPER_MONTHLY", "0"])
def test_a_plan_that_does_not_exist_is_refused_with_the_plans_shown_again(stripe_api, logged_in, plan):
    client, _ = logged_in()
    response = choose(client, plan)
    assert response.status_code == 422 and "Choose one of the plans." in response.text
    assert stripe_api.requests == [] or all(r.path.startswith("/v1/prices/") for r in stripe_api.requests)


def test_checkout_without_a_good_csrf_token_is_refused_and_stripe_is_not_asked(stripe_api, logged_in):
    client, _ = logged_in()
    for data in ({"plan": "super_monthly"}, {"plan": "super_monthly", "csrf_token": "forged"}):
        assert client.post("/billing/checkout", data=data).status_code == 400
    assert stripe_api.asked("POST", "/v1/customers") == stripe_api.asked("POST", "/v1/checkout/sessions") == []


def test_the_checkout_form_may_lead_to_stripes_page_and_nowhere_else(stripe_api, logged_in):
    """Browsers apply the CSP's form-action to the redirect after a form too: Stripe's pages are allowed."""
    client, _ = logged_in()
    policy = client.get("/plans").headers["Content-Security-Policy"]
    assert f"form-action 'self' {stripe_api.url};" in policy  # the fake stands where Stripe's pages are
