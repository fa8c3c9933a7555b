"""What a subscription grants: premium while paid or on trial, through a failed renewal's grace period, and
unlimited hearts in real lessons through progress's seam."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from puchi.accounts.models import User
from puchi.billing import services
from puchi.core.db import db, now
from tests.billing.conftest import PRICE_FAMILY_YEARLY, PRICE_SUPER_MONTHLY, deliver, now_s
from tests.learning.conftest import spanish  # noqa: F401 - fixture
from tests.progress.conftest import enrolled, finish_lesson, profile  # noqa: F401 - fixtures


def _entitlements(app, user_id: int) -> services.Entitlements:
    with app.app_context():
        return services.entitlements(db.session.get(User, user_id))


def _subscribe(client, stripe_api, user_id: int, *, price: str = PRICE_SUPER_MONTHLY, status: str = "active",
               created: int | None = None) -> dict:
    customer = stripe_api.customer(metadata={"puchi_user_id": str(user_id)})
    subscription = stripe_api.subscription(customer["id"], price, status=status, period_end=now_s() + 30 * 86400)
    response = deliver(client, stripe_api.event("customer.subscription.created", subscription,
                                                created=created or now_s() - 5))
    assert response.status_code == 200
    return subscription


def test_a_premium_learner_keeps_every_heart_in_a_real_lesson_until_the_subscription_ends(
        app, client, stripe_api, enrolled):  # noqa: F811 - the fixture
    learner = enrolled()
    subscription = _subscribe(client, stripe_api, learner.id)
    assert _entitlements(app, learner.id).unlimited_hearts

    finish_lesson(app, learner.id, mistakes=3)
    assert profile(app, learner.id).hearts == 5

    subscription["status"] = "canceled"
    deliver(client, stripe_api.event("customer.subscription.deleted", subscription, created=now_s()))
    assert not _entitlements(app, learner.id).premium
    finish_lesson(app, learner.id, mistakes=1)
    assert profile(app, learner.id).hearts == 4


def test_premium_while_paid_or_on_trial_and_only_for_puchis_own_prices(app, client, stripe_api, make_user):
    paying, trying, stranger, free = make_user(), make_user(), make_user(), make_user()
    _subscribe(client, stripe_api, paying.id, price=PRICE_FAMILY_YEARLY)
    _subscribe(client, stripe_api, trying.id, status="trialing")
    _subscribe(client, stripe_api, stranger.id, price="price_of_another_product")

    paid = _entitlements(app, paying.id)
    assert paid.premium and paid.plan is services.Plan.FAMILY_YEARLY and paid.until > now()
    assert _entitlements(app, trying.id).premium
    assert _entitlements(app, stranger.id) == services.FREE
    assert _entitlements(app, free.id) == services.FREE


def test_a_failed_renewal_keeps_premium_for_the_grace_period_then_ends_it(app, client, stripe_api, make_user):
    learner = make_user()
    _subscribe(client, stripe_api, learner.id, status="past_due")
    grace = timedelta(days=app.config["BILLING_GRACE_DAYS"])
    assert grace == timedelta(days=7)

    during = _entitlements(app, learner.id)
    assert during.premium and during.until is not None
    with time_machine.travel(during.until - timedelta(minutes=1)):
        assert _entitlements(app, learner.id).premium
    with time_machine.travel(during.until + timedelta(minutes=1)):
        assert not _entitlements(app, learner.id).premium


def test_with_stripe_down_a_premium_learner_still_plays_and_keeps_every_heart(
        app, client, stripe_api, spanish, logged_in):  # noqa: F811 - the fixture
    from tests.conftest import post_form
    from tests.learning.conftest import answer, first_skill_id, lesson_state, start_lesson, wrong_answer

    learner_client, learner = logged_in()
    assert post_form(learner_client, "/courses", {}, action=f"/courses/{spanish}/enroll").status_code == 302
    _subscribe(client, stripe_api, learner.id)
    stripe_api.fail_with = 500  # Stripe answers nothing but errors from here on: no lesson page asks it
    asked_before = len(stripe_api.requests)

    for page in ("/home", f"/courses/{spanish}", "/account"):
        assert learner_client.get(page).status_code == 200, page
    session_id = start_lesson(learner_client, first_skill_id(app))
    assert learner_client.get(f"/lessons/{session_id}").status_code == 200
    for index in range(3):
        step = lesson_state(app, session_id).steps[index]
        assert answer(learner_client, session_id, index, wrong_answer(app, step)).status_code in (200, 302)
    assert profile(app, learner.id).hearts == 5  # three mistakes, and unlimited hearts hold
    assert len(stripe_api.requests) == asked_before  # nothing on the way waited on Stripe
