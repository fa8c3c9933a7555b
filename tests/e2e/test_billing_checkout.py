"""A learner buys Super through (a local stand-in for) Stripe's Checkout, sees it confirmed live, plays with
unlimited hearts, cancels in the portal, keeps the perks to the period's end, and is then on the free plan."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from babel.dates import format_date

from tests import stripe_fake
from tests.billing.checkout_steps import stripe_prices
from tests.billing.conftest import PRICE_FAMILY_YEARLY, PRICE_SUPER_MONTHLY, PRICE_SUPER_YEARLY
from tests.conftest import wait_until
from tests.e2e.conftest import log_in_on_page
from tests.e2e.test_accessibility import axe_violations
from tests.learning.conftest import first_skill_id

pytestmark = pytest.mark.e2e


@pytest.fixture
def stripe_api() -> Iterator[stripe_fake.StripeFake]:
    with stripe_fake.running() as fake:
        yield fake


@pytest.fixture
def app_settings(stripe_api):
    return {
        "STRIPE_SECRET_KEY": stripe_fake.SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": stripe_fake.WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.url,
        "STRIPE_PRICE_SUPER_MONTHLY": PRICE_SUPER_MONTHLY,
        "STRIPE_PRICE_SUPER_YEARLY": PRICE_SUPER_YEARLY,
        "STRIPE_PRICE_FAMILY_YEARLY": PRICE_FAMILY_YEARLY,
    }


def _no_axe_violations(page) -> None:
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []


def test_super_from_checkout_to_unlimited_hearts_then_cancelled_to_free(page, app, live_server, stripe_api,
                                                                         make_user, spanish):
    stripe_api.webhook_url = f"{live_server}/billing/stripe/webhook"
    stripe_prices(stripe_api)
    make_user("ana@example.com", display_name="Ana")
    log_in_on_page(page, "ana@example.com")

    # The account page leads to the plans.
    page.goto("/account")
    page.locator("#your-plan").get_by_role("link", name="See the plans").click()
    page.wait_for_url(re.compile(r"/plans$"))
    assert page.get_by_text("€6.99 a month").is_visible()
    _no_axe_violations(page)

    # Choose Super: Stripe's checkout page. Stripe's webhooks will be a moment late.
    stripe_api.webhooks_held = True
    page.locator(".plan-card", has=page.get_by_role("heading", name="Super, monthly")).get_by_role(
        "button", name="Start my free trial").click()
    page.wait_for_url(re.compile(re.escape(stripe_api.url) + r"/checkout/cs_test_"))
    page.get_by_role("button", name="Pay").click()

    # Back on Puchi: nothing granted yet, the page says it is confirming…
    page.wait_for_url(re.compile(r"/billing/success\?session_id=cs_test_"))
    confirming = page.get_by_text("Confirming your payment…")
    assert confirming.is_visible()
    assert page.locator("[aria-live=polite] #plan_status").count() == 1
    _no_axe_violations(page)

    # …until Stripe's webhooks land: the perks appear without a reload.
    page.evaluate("window.__same_document = true")
    stripe_api.flush()
    page.get_by_text("Your plan is confirmed: Super, monthly.").wait_for(timeout=15_000)
    assert page.get_by_text("Unlimited hearts: mistakes never stop a lesson").is_visible()
    assert page.evaluate("window.__same_document") is True  # no reload happened
    assert [kind for kind, status in stripe_api.delivered if status == 200] == [
        "checkout.session.completed", "customer.subscription.created"]
    _no_axe_violations(page)

    # In a lesson, the hearts in its top bar are unlimited.
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    page.goto(f"/skills/{first_skill_id(app)}")
    page.get_by_role("button", name="Start the first lesson").click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    assert page.locator(".lesson-hearts").get_attribute("data-hearts") == "∞"  # the lesson's own top bar

    # Cancel in Stripe's portal: the plan lasts until the period's end.
    page.goto("/account")
    section = page.locator("#your-plan")
    assert "Super, monthly" in section.inner_text()
    _no_axe_violations(page)
    stripe_api.webhooks_held = False
    section.get_by_role("button", name="Manage your plan").click()
    page.wait_for_url(re.compile(re.escape(stripe_api.url) + r"/portal/bps_"))
    page.get_by_role("button", name="Cancel plan").click()
    page.wait_for_url(re.compile(r"/account$"))
    [subscription] = stripe_api.subscriptions.values()
    period_end = datetime.fromtimestamp(subscription["items"]["data"][0]["current_period_end"], UTC)
    section = page.locator("#your-plan")
    assert f"Cancelled: you keep your plan until {format_date(period_end, 'long', locale='en')}" in \
        section.inner_text()
    assert page.locator('[data-stat="hearts"]').inner_text() == "∞"

    # The period is over: Stripe ends the subscription and the learner is on the free plan.
    stripe_api.end(subscription["id"])
    assert ("customer.subscription.deleted", 200) in stripe_api.delivered
    page.reload()
    section = page.locator("#your-plan")
    assert wait_until(lambda: "Free" in section.locator("strong").first.inner_text())
    assert "Super, monthly" not in section.inner_text()
    assert page.locator('[data-stat="hearts"]').inner_text() != "∞"
