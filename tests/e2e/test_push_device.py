"""The push card on the notification settings page, in a real browser: turning push on and off for the device.

Headless Chromium has no push service to talk to, so the page's PushManager hands out a subscription made
here (the keys of a test "browser" and the endpoint of the local push service). Everything else is real:
push.js, the service worker being ready, the permission, the POSTs with the CSRF token, the server's send.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.notifications.models import PushSubscription
from tests.e2e.conftest import log_in_on_page
from tests.e2e.test_accessibility import axe_violations
from tests.notifications.test_push import (
    SUBJECT,
    VAPID_PRIVATE,
    VAPID_PUBLIC,
    Browser,
    PushService,
    promote,
    running_push_service,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_settings() -> dict[str, Any]:
    return {"VAPID_PUBLIC_KEY": VAPID_PUBLIC, "VAPID_PRIVATE_KEY": VAPID_PRIVATE, "VAPID_SUBJECT": SUBJECT}


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with running_push_service() as service:
        yield service


def fake_push_manager(subscription: dict[str, Any], renewed: dict[str, Any] | None = None) -> str:
    """PushManager as a browser with a push service would behave; the subscription survives reloads. After
    an unsubscribe, the push service hands a new subscription ``renewed`` (another endpoint), if given."""
    return """
      (() => {
        const first = __SUBSCRIPTION__, renewed = __RENEWED__ || first;
        const json = () => (localStorage.getItem("test-push-renewed") ? renewed : first);
        const stored = () => localStorage.getItem("test-push") && JSON.parse(localStorage.getItem("test-push"));
        const make = (key) => {
          const current = json();
          return {
            endpoint: current.endpoint,
            options: { applicationServerKey: Uint8Array.from(atob(key), (c) => c.charCodeAt(0)).buffer },
            toJSON: () => current,
            unsubscribe: async () => {
              localStorage.removeItem("test-push");
              localStorage.setItem("test-push-renewed", "1");
              return true;
            },
          };
        };
        PushManager.prototype.getSubscription = async function () {
          const saved = stored();
          return saved ? make(saved.key) : null;
        };
        PushManager.prototype.subscribe = async function (options) {
          const key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)));
          localStorage.setItem("test-push", JSON.stringify({ key, userVisibleOnly: options.userVisibleOnly }));
          return make(key);
        };
      })();
    """.replace("__SUBSCRIPTION__", json.dumps(subscription)).replace("__RENEWED__", json.dumps(renewed))


def subscriptions(app: Any) -> list[tuple[int, str]]:
    with app.app_context():
        return [(s.user_id, s.endpoint) for s in db.session.scalars(select(PushSubscription))]


def test_a_learner_turns_push_on_and_off_for_this_device(page, app, make_user, push_service):
    browser = Browser(push_service.endpoint("chromium"))
    page.context.add_init_script(fake_push_manager(browser.to_json()))
    page.context.grant_permissions(["notifications"])
    learner = make_user("ana@example.com")
    log_in_on_page(page, "ana@example.com")
    page.goto("/account/notifications")

    card = page.get_by_role("region", name="Push notifications on this device")
    status = card.get_by_role("status")
    status.filter(has_text="Push notifications are off for this device.").wait_for()
    card.get_by_role("button", name="Turn on push notifications").click()
    status.filter(has_text="Push notifications are on for this device.").wait_for()
    card.get_by_text("1 device gets push notifications.").wait_for()
    assert subscriptions(app) == [(learner.id, browser.endpoint)]
    assert page.evaluate("JSON.parse(localStorage.getItem('test-push')).userVisibleOnly") is True
    assert page.evaluate("document.activeElement.textContent") == "Turn off push notifications"

    promote(app, learner.id)
    [request] = push_service.to("chromium")
    assert browser.decrypt(request.body)["url"] == "/leagues"

    page.reload()
    status.filter(has_text="Push notifications are on for this device.").wait_for()
    card.get_by_role("button", name="Turn off push notifications").click()
    status.filter(has_text="Push notifications are off for this device.").wait_for()
    card.get_by_text("0 devices get push notifications.").wait_for()
    assert subscriptions(app) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_push_card_passes_axe(page, make_user, scheme):
    page.emulate_media(color_scheme=scheme)
    make_user("ben@example.com")
    log_in_on_page(page, "ben@example.com")
    page.goto("/account/notifications")
    page.get_by_role("button", name="Turn on push notifications").wait_for()
    assert axe_violations(page) == []


def test_blocked_notifications_are_explained_and_offer_no_button(page, make_user):
    make_user("cho@example.com")
    log_in_on_page(page, "cho@example.com")
    page.context.clear_permissions()
    page.goto("/account/notifications")
    page.get_by_role("button", name="Turn on push notifications").click()  # headless answers "denied"
    page.get_by_text("Notifications are blocked for this site.").wait_for()
    assert page.get_by_role("button", name="Turn on push notifications").is_hidden()


def test_a_browser_whose_subscription_another_account_holds_makes_a_fresh_one(page, app, make_user, logged_in,
                                                                              push_service):
    """The server does not move an endpoint to whoever presents it (409): push.js drops the browser's
    subscription and makes a new one, which is this learner's alone; the other account keeps its own."""
    from tests.notifications.test_push import subscribe, unb64url

    earlier = Browser(push_service.endpoint("earlier-learner"))
    fresh = Browser(push_service.endpoint("fresh"))
    ana_client, ana = logged_in()
    assert subscribe(ana_client, earlier.to_json()).status_code == 201
    page.context.add_init_script(fake_push_manager(earlier.to_json(), renewed=fresh.to_json()))
    page.context.grant_permissions(["notifications"])
    ben = make_user("ben@example.com")
    log_in_on_page(page, "ben@example.com")
    # The browser still holds the subscription the earlier learner made with this server's key.
    saved = {"key": base64.b64encode(unb64url(VAPID_PUBLIC)).decode(), "userVisibleOnly": True}
    page.evaluate("saved => localStorage.setItem('test-push', JSON.stringify(saved))", saved)
    page.goto("/account/notifications")

    card = page.get_by_role("region", name="Push notifications on this device")
    status = card.get_by_role("status")
    status.filter(has_text="Push notifications are off for this device.").wait_for()  # Ana's, not Ben's
    card.get_by_role("button", name="Turn on push notifications").click()
    status.filter(has_text="Push notifications are on for this device.").wait_for()
    assert sorted(subscriptions(app)) == sorted([(ana.id, earlier.endpoint), (ben.id, fresh.endpoint)])
