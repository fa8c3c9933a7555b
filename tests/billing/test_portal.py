"""Stripe's customer portal, opened for the learner's own customer, and the "Your plan" part of the account
page: the plan, when it renews or ends, the way to manage it and to the plans."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from babel.dates import format_date

from tests.billing.checkout_steps import deliver_outgoing, subscribe
from tests.conftest import post_form


def _open_portal(client):
    return post_form(client, "/account", {}, action="/billing/portal")


def test_the_portal_opens_for_the_learners_own_customer_and_comes_back_to_the_account(stripe_api, logged_in):
    client, _ = logged_in()
    subscribe(client, stripe_api)
    [customer_id] = stripe_api.customers

    response = _open_portal(client)

    assert response.status_code == 303
    [portal] = stripe_api.asked("POST", "/v1/billing_portal/sessions")
    assert portal.params == {"customer": customer_id, "return_url": "http://localhost/account"}
    assert portal.headers["idempotency-key"].startswith(f"puchi-portal-{customer_id}-")
    [session] = stripe_api.portal_sessions.values()
    assert response.headers["Location"] == session["url"]


def test_a_learner_who_never_subscribed_is_told_there_is_nothing_to_manage(stripe_api, logged_in):
    client, _ = logged_in()
    response = _open_portal(client)
    assert response.status_code == 409
    assert "You have no subscription to manage yet: choose a plan first." in response.text
    assert stripe_api.asked("POST", "/v1/billing_portal/sessions") == []


def test_with_stripe_down_the_portal_says_so_and_nothing_changes(stripe_api, logged_in):
    client, _ = logged_in()
    subscribe(client, stripe_api)
    stripe_api.fail_with = 503
    response = _open_portal(client)
    assert response.status_code == 503 and "Payments are not available right now" in response.text


class TestASlowStripe:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "STRIPE_TIMEOUT": 0.5}

    def test_a_portal_that_does_not_open_in_time_is_stripe_down(self, stripe_api, logged_in):
        client, _ = logged_in()
        subscribe(client, stripe_api)
        stripe_api.hold = threading.Event()
        try:
            response = _open_portal(client)
        finally:
            stripe_api.hold.set()
        assert response.status_code == 503


def test_the_portal_needs_a_good_csrf_token(stripe_api, logged_in):
    client, _ = logged_in()
    subscribe(client, stripe_api)
    assert client.post("/billing/portal", data={"csrf_token": "forged"}).status_code == 400
    assert stripe_api.asked("POST", "/v1/billing_portal/sessions") == []


def _your_plan(client) -> str:
    page = client.get("/account").text
    assert 'id="your-plan"' in page
    return page.split('id="your-plan"')[1].split("</section>")[0]


def _date(timestamp: int) -> str:
    return format_date(datetime.fromtimestamp(timestamp, UTC), "long", locale="en")


def test_the_account_page_shows_a_free_learner_the_plans(stripe_api, logged_in):
    client, _ = logged_in()
    section = _your_plan(client)
    assert "Free" in section and 'href="/plans"' in section
    assert "Manage your plan" not in section


def test_the_account_page_shows_the_plan_its_renewal_and_after_cancelling_its_end(stripe_api, logged_in):
    client, _ = logged_in()
    subscription_id = subscribe(client, stripe_api, "super_yearly")
    period_end = stripe_api.subscriptions[subscription_id]["items"]["data"][0]["current_period_end"]

    section = _your_plan(client)
    assert "Super, yearly" in section and "free trial" in section
    assert f"Renews on {_date(period_end)}." in section and "Manage your plan" in section

    stripe_api.cancel_at_period_end(subscription_id)  # done in Stripe's portal
    deliver_outgoing(client, stripe_api)
    section = _your_plan(client)
    assert f"Cancelled: you keep your plan until {_date(period_end)}" in section
    assert "Renews on" not in section

    stripe_api.end(subscription_id)  # the period is over
    deliver_outgoing(client, stripe_api)
    section = _your_plan(client)
    assert "<strong>Free</strong>" in section and "Super, yearly" not in section
    assert "Manage your plan" in section  # the invoices stay in the portal


class TestWithBillingOff:
    @pytest.fixture
    def app_settings(self):
        return {}

    def test_without_stripe_there_is_no_plan_section_and_the_pages_are_not_there(self, logged_in):
        client, _ = logged_in()
        account = client.get("/account")
        assert 'id="your-plan"' not in account.text
        assert "form-action 'self';" in account.headers["Content-Security-Policy"]  # no payment pages to go to
        for url in ("/plans", "/billing/success?session_id=cs_test_x", "/billing/status"):
            response = client.get(url, headers={"Accept": "application/json"})
            assert response.status_code == 404 and response.json["code"] == "billing_off", url
        for action in ("/billing/checkout", "/billing/portal"):
            response = post_form(client, "/account", {"plan": "super_monthly"}, action=action,
                                 headers={"Accept": "application/json"})
            assert response.status_code == 404 and response.json["code"] == "billing_off", action


def test_stripes_own_pages_are_the_form_targets_when_no_stand_in_is_configured(app):
    from puchi.billing.stripe_client import hosted_page_origins

    assert hosted_page_origins({"STRIPE_API_BASE": None}) == ("https://checkout.stripe.com",
                                                              "https://billing.stripe.com")
    assert hosted_page_origins({"STRIPE_API_BASE": "http://127.0.0.1:8111"}) == ("http://127.0.0.1:8111",)
