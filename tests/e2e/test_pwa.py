"""In Chromium: the service worker installs and controls the page, and the app shell works offline."""


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
