"""The plans page: Free, Super and Family, honest about what each gives, with the prices Stripe charges (read
from Stripe, kept an hour, formatted by Babel in the learner's locale); it never fails because Stripe does."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from puchi.billing import prices
from tests.billing.checkout_steps import deliver_outgoing, stripe_prices, subscribe
from tests.billing.conftest import PRICE_FAMILY_YEARLY, PRICE_SUPER_MONTHLY, PRICE_SUPER_YEARLY


def _price_reads(fake) -> int:
    return len([r for r in fake.requests if r.method == "GET" and r.path.startswith("/v1/prices/")])


def test_the_plans_page_puts_free_super_and_family_side_by_side_with_what_each_gives(stripe_api, logged_in):
    stripe_prices(stripe_api)
    client, _ = logged_in()

    page = client.get("/plans").text

    for heading in ("Free", "Super, monthly", "Super, yearly", "Family, yearly"):
        assert f">{heading}" in page
    assert "Unlimited hearts" in page and "Unlimited offline downloads" in page and "Extra practice modes" in page
    assert "Everything in Super for up to 6 people" in page
    assert "€6.99 a month" in page and "€59.99 a year" in page and "€119.99 a year" in page
    assert "Free for 7 days" in page
    assert page.count('action="/billing/checkout"') == 3  # Free needs no checkout
    assert 'hx-boost="false"' in page  # a real navigation to Stripe's page
    assert "Your plan" in page.split("Super, monthly")[0]  # the free plan is the learner's


@pytest.mark.parametrize(("locale", "currency", "amount"), [
    ("fr", "eur", 699), ("es", "eur", 699), ("ja", "jpy", 800), ("ar", "usd", 699), ("en", "jpy", 800)])
def test_prices_are_formatted_in_the_learners_locale_with_the_prices_own_currency(
        stripe_api, logged_in, locale, currency, amount):
    stripe_api.price(PRICE_SUPER_MONTHLY, unit_amount=amount, currency=currency)
    client, _ = logged_in(locale=locale)

    page = client.get("/plans").text

    # Stripe counts in the currency's smallest unit: cents for EUR and USD, yen (no decimals) for JPY.
    main_unit = Decimal(amount) if currency == "jpy" else Decimal(amount) / 100
    assert format_currency(main_unit, currency.upper(), locale=locale) in page


def test_prices_are_read_from_stripe_once_an_hour_not_at_every_view(stripe_api, logged_in):
    stripe_prices(stripe_api)
    client, _ = logged_in()
    for _ in range(3):
        assert "€6.99 a month" in client.get("/plans").text
    assert _price_reads(stripe_api) == 3  # one per plan, for all three views


def test_a_price_changed_at_stripe_shows_once_the_hour_is_over(app, stripe_api, logged_in):
    stripe_prices(stripe_api)
    client, _ = logged_in()
    client.get("/plans")
    stripe_api.price(PRICE_SUPER_MONTHLY, unit_amount=799, currency="eur")
    assert "€6.99 a month" in client.get("/plans").text
    cache = app.extensions[prices._MEMORY_KEY]
    cache.entries = {key: (0.0, fields) for key, (_, fields) in cache.entries.items()}  # an hour later
    assert "€7.99 a month" in client.get("/plans").text


def test_with_stripe_down_the_page_still_renders_and_says_prices_are_unavailable(stripe_api, logged_in):
    client, _ = logged_in()
    stripe_api.fail_with = 500

    response = client.get("/plans")

    assert response.status_code == 200
    assert "Prices are not available right now" in response.text
    assert response.text.count("Price unavailable right now") == 3
    assert response.text.count('action="/billing/checkout"') == 3  # choosing still works: Stripe shows the price
    assert _price_reads(stripe_api) == 1  # after the first failure, the others are not asked for

    stripe_api.fail_with = None  # Stripe is back: a failure was not kept
    stripe_prices(stripe_api)
    assert "€6.99 a month" in client.get("/plans").text


class TestASlowStripe:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "STRIPE_TIMEOUT": 0.5}

    def test_a_stripe_that_does_not_answer_costs_the_page_one_timeout_not_a_500(self, stripe_api, logged_in):
        stripe_prices(stripe_api)
        client, _ = logged_in()
        stripe_api.hold = threading.Event()
        try:
            response = client.get("/plans")
        finally:
            stripe_api.hold.set()
        assert response.status_code == 200 and "Prices are not available right now" in response.text
        assert _price_reads(stripe_api) == 1


class TestWithRedis:
    """With Redis, every web process shares the prices read: kept under one key per price, for an hour."""

    @pytest.fixture
    def app_settings(self, app_settings, redis_server):
        return {**app_settings, "REDIS_URL": redis_server.url}

    def test_prices_are_kept_in_redis_for_an_hour(self, app, stripe_api, logged_in, redis_server):
        from puchi.core.jobs import redis_connection

        stripe_prices(stripe_api)
        client, _ = logged_in()
        assert "€59.99 a year" in client.get("/plans").text
        assert "€59.99 a year" in client.get("/plans").text
        assert _price_reads(stripe_api) == 3
        redis = redis_connection(redis_server.url)
        for price_id in (PRICE_SUPER_MONTHLY, PRICE_SUPER_YEARLY, PRICE_FAMILY_YEARLY):
            assert 3500 < redis.ttl(prices.CACHE_PREFIX + price_id) <= 3600
        assert app.extensions[prices._MEMORY_KEY].entries == {}  # nothing kept in this process alone


def test_a_subscriber_sees_their_plan_and_the_way_to_manage_it_instead_of_buttons(stripe_api, logged_in):
    stripe_prices(stripe_api)
    client, _ = logged_in()
    subscribe(client, stripe_api, "super_yearly")

    page = client.get("/plans").text

    yearly_card = page.split('id="plan-super_yearly"')[1].split('class="card plan-card')[0]
    assert "Your plan" in yearly_card and "Manage your plan" in yearly_card
    assert 'action="/billing/checkout"' not in page
    assert "Free for 7 days" not in page


def test_a_learner_who_had_a_plan_is_not_promised_a_second_free_trial(stripe_api, logged_in):
    stripe_prices(stripe_api)
    client, _ = logged_in()
    stripe_api.end(subscribe(client, stripe_api, "super_monthly"))
    deliver_outgoing(client, stripe_api)

    page = client.get("/plans").text
    assert "Free for 7 days" not in page and "Start my free trial" not in page
    assert page.count('action="/billing/checkout"') == 3
