"""Following a friend, cheering, and seeing the toast arrive live in the friend's open page."""

import re

import pytest

from tests.e2e.conftest import log_in_on_page

pytestmark = pytest.mark.e2e


def _log_in(browser, live_server, email):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    context.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                            "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "CSP" in m.text else None)
    log_in_on_page(page, email)
    return context, page, errors


def test_a_cheer_reaches_the_friends_open_page_live(browser, live_server, make_user):
    make_user("ana@example.com", display_name="Ana Silva")
    make_user("ben@example.com", display_name="Ben Okafor")
    ana_context, ana, ana_errors = _log_in(browser, live_server, "ana@example.com")
    ben_context, ben, ben_errors = _log_in(browser, live_server, "ben@example.com")
    try:
        # They follow each other: friends.
        ana.goto("/u/ben_okafor")
        ana.get_by_role("button", name="Follow").click()
        ana.get_by_role("button", name="Unfollow").wait_for()  # the follow is saved (the URL never changes)
        ben.goto("/u/ana_silva")
        ben.get_by_role("button", name="Follow").click()
        ben.get_by_role("button", name="Unfollow").wait_for()  # the follow is saved (the URL never changes)

        ben.goto("/home")  # Ben's page is open, connected over /ws (greeted by the server: it is listening)
        ben.locator("#realtime[data-live=open]").wait_for(state="attached")
        count_before = ben.locator("#bell_count").text_content()

        ana.goto("/u/ben_okafor")
        ana.get_by_role("button", name="Cheer them on").click()
        ana.get_by_text("Cheer sent!").wait_for()

        toast = ben.locator("#toasts .toast")
        toast.wait_for(timeout=5000)
        assert "Ana Silva" in toast.inner_text() and "cheered you on!" in toast.inner_text()
        assert ben.locator("#bell_count").text_content() != count_before

        # A direct message appears in the friend's open conversation without a reload.
        ben.goto("/messages/ana_silva")
        ben.locator("#realtime[data-live=open]").wait_for(state="attached")
        ana.goto("/messages/ben_okafor")
        ana.get_by_label("Your message").fill("¿Practicamos juntos?")
        ana.get_by_role("button", name="Send").click()
        ana.wait_for_url(re.compile(r"/messages/ben_okafor$"))
        ben.locator("ol.thread li", has_text="¿Practicamos juntos?").wait_for(timeout=5000)
        # The thread shows it: no toast repeats it over the open conversation.
        assert ben.locator("#toasts .toast", has_text="¿Practicamos juntos?").count() == 0
        assert ben_errors == [] and ana_errors == []
    finally:
        ana_context.close()
        ben_context.close()
