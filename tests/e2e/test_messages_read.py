"""Opening a conversation in the browser marks the friend's messages read (by the page's own POST)."""

import re

import pytest

from tests.conftest import DEFAULT_PASSWORD, post_form
from tests.e2e.conftest import log_in_on_page

pytestmark = pytest.mark.e2e


def test_opening_the_conversation_clears_its_unread_badge(app, browser, live_server, make_user):
    make_user("ana@example.com", display_name="Ana Silva")
    make_user("ben@example.com", display_name="Ben Okafor")
    ana = app.test_client()
    post_form(ana, "/login", {"email": "ana@example.com", "password": DEFAULT_PASSWORD})
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    ben = context.new_page()
    try:
        log_in_on_page(ben, "ben@example.com")
        post_form(ana, "/people", {}, action="/u/ben_okafor/follow")
        ben.goto("/u/ana_silva")
        ben.get_by_role("button", name="Follow").click()
        ben.get_by_role("button", name="Unfollow").wait_for()  # the follow is saved (the URL never changes)
        assert post_form(ana, "/messages/ben_okafor", {"body": "¿Hablamos?"}).status_code == 302

        ben.goto("/messages")
        assert ben.get_by_text("1 unread").is_visible()
        with ben.expect_response(lambda r: r.url.endswith("/messages/ana_silva/read")) as marked:
            ben.get_by_role("link", name=re.compile("Ana Silva")).click()
        assert marked.value.status == 204
        ben.get_by_text("¿Hablamos?").wait_for()
        ben.goto("/messages")
        assert ben.get_by_text("Ana Silva").first.is_visible()
        assert ben.get_by_text("1 unread").count() == 0
    finally:
        context.close()
