"""The family pages pass axe-core in light and dark on a phone: the owner's (members, invitations, the
invite form with an error), a member's, and the invitation's page for a visitor."""

import pytest

from puchi.accounts.models import User
from puchi.billing import family
from puchi.billing.models import Subscription
from puchi.core.db import action, db, now
from tests.e2e.conftest import log_in_on_page
from tests.e2e.test_accessibility import axe_violations

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_settings():
    # Billing on; no call reaches Stripe here (the owner's subscription is recorded as its webhook would).
    return {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "STRIPE_PRICE_FAMILY_YEARLY": "price_family_yearly"}


def _family(app, make_user) -> str:
    """Ana owns a Family plan with Ben in it and an invitation waiting; returns that invitation's link path."""
    ana = make_user("ana@example.com", display_name="Ana")
    ben = make_user("ben@example.com", display_name="Ben Okafor")
    with app.app_context():
        with action():
            db.session.add(Subscription(stripe_subscription_id="sub_family", stripe_customer_id="cus_ana",
                                        user_id=ana.id, status="active", price_id="price_family_yearly",
                                        plan="family_yearly", state_at=now()))
        owner = db.session.get(User, ana.id)
        joined = family.invite(owner, "ben@example.com")
        family.accept(db.session.get(User, ben.id), family.token_for(joined))
        waiting = family.invite(db.session.get(User, ana.id), "carla@example.com")
        return "/billing/family/join/" + family.token_for(waiting)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_family_pages_pass_axe(browser, live_server, app, make_user, scheme):
    link = _family(app, make_user)
    failures: dict[str, list[str]] = {}

    def check(page, name):
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            failures[name] = violations

    visitor = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = visitor.new_page()
    page.goto(link)
    page.get_by_role("link", name="Log in to join").wait_for()
    check(page, "invitation (visitor)")
    page.goto("/billing/family/join/not-a-real-link")
    check(page, "invitation (a broken link)")
    visitor.close()

    owner = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = owner.new_page()
    log_in_on_page(page, "ana@example.com")
    page.goto("/billing/family")
    page.get_by_role("button", name="Remove Ben Okafor").wait_for()
    check(page, "family (owner)")
    page.get_by_role("textbox", name="Email address of the person to invite").fill("not-an-address")
    page.get_by_role("button", name="Send the invitation").click()
    page.locator("#email-errors").wait_for()
    check(page, "family (owner, an address refused)")
    owner.close()

    member = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = member.new_page()
    log_in_on_page(page, "ben@example.com")
    page.goto("/billing/family")
    page.get_by_role("button", name="Leave Ana's family").wait_for()
    check(page, "family (member)")
    member.close()
    assert failures == {}, "\n".join(f"{name}: {v}" for name, vs in failures.items() for v in vs)
