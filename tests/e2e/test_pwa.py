"""In Chromium: the service worker installs and controls the page, the app shell works offline, and push
messages are shown."""

import json

import pytest

from tests.conftest import wait_until
from tests.e2e.conftest import log_in_on_page

pytestmark = pytest.mark.e2e


def test_the_service_worker_controls_the_page_and_the_shell_works_offline(page, live_server, make_user):
    make_user("olu@example.com", display_name="Olu")
    log_in_on_page(page, "olu@example.com")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert wait_until(lambda: page.evaluate("() => !!navigator.serviceWorker.controller"), timeout=10)

    page.context.set_offline(True)
    try:
        page.goto("/home")
        assert page.get_by_role("heading", name="You are offline").is_visible()
        # The stylesheet came from the cache: the page is styled.
        assert page.evaluate("() => getComputedStyle(document.body).fontFamily").startswith("system-ui")
        page.goto("/offline")
        assert page.get_by_role("heading", name="You are offline").is_visible()
    finally:
        page.context.set_offline(False)
    page.goto("/home")
    assert page.get_by_role("heading", name="Hello, Olu!").is_visible()


def test_the_service_worker_shows_a_push_message_in_the_learners_words(page, live_server):
    """A push service delivers to the worker (Chromium's DevTools protocol stands in for FCM here)."""
    page.context.grant_permissions(["notifications"], origin=live_server)
    page.goto("/")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    # Installed, activated and in control of the page: only then is it surely the worker that gets the push.
    page.reload()
    assert wait_until(lambda: page.evaluate(
        "() => !!navigator.serviceWorker.controller && navigator.serviceWorker.controller.state === 'activated'"),
        timeout=10)
    cdp = page.context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(r["registrationId"] for r in event["registrations"]
                                              if r["scopeURL"].startswith(live_server)))
    cdp.send("ServiceWorker.enable")

    def registration_seen() -> bool:
        # Playwright hands over CDP events only while it talks to the browser: a round trip lets them in.
        page.evaluate("() => navigator.serviceWorker.controller.state")
        return bool(registrations)

    assert wait_until(registration_seen, timeout=10)

    payload = {"title": "Puchi", "body": "Ana te anima a seguir.", "url": "/u/ana", "tag": "puchi-7"}
    shown = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
                 .map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url}))"""
    for _attempt in range(3):  # DevTools' delivery to a worker that is just starting up is sometimes lost
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId": registrations[0],
                                                       "data": json.dumps(payload)})
        if wait_until(lambda: page.evaluate(shown), timeout=5):
            break
    assert page.evaluate(shown) == [payload]

    # The same tag again replaces the notification rather than stacking a second one.
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId": registrations[0],
                                                   "data": json.dumps({**payload, "body": "¡Otra vez!"})})
    assert wait_until(lambda: [n["body"] for n in page.evaluate(shown)] == ["¡Otra vez!"], timeout=10)
