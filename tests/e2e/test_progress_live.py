"""Finishing a lesson updates XP, the goal ring, the streak and the league without reloading the page."""

import re

import pytest

from tests.conftest import wait_until
from tests.e2e.conftest import answer_right_with_the_mouse, log_in_on_page
from tests.learning.conftest import first_skill_id, lesson_state
from tests.progress.conftest import enrolled  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e


def test_finishing_a_lesson_updates_progress_in_place(page, app, live_server, make_user, spanish):
    make_user("ines@example.com", display_name="Inés")
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    log_in_on_page(page, "ines@example.com")
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    assert page.locator("#stats_bar [data-stat=streak]").inner_text() == "0"

    page.goto(f"/skills/{first_skill_id(app)}")
    page.get_by_role("button", name="Start the first lesson").click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    session_id = int(page.url.rsplit("/", 1)[1])
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads

    for _ in range(40):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            break
        answer_right_with_the_mouse(page, app, session.position, session.steps[session.position])
        page.locator("[data-continue]").click()

    page.get_by_role("heading", name="Lesson complete!").wait_for()
    reward = page.locator(".lesson-reward")
    reward.wait_for()
    assert wait_until(lambda: "+15 XP" in reward.inner_text(), timeout=5)  # the XP counts up to it
    assert "1 day streak!" in reward.inner_text()
    assert reward.locator("#goal_ring").get_attribute("class") == "goal-ring"
    assert reward.locator("#goal_ring .goal-ring-xp").text_content() == "15"
    # Alone in this week's league so far: the page says so rather than "#1 of 1".
    assert "League: you are the first this week" in reward.locator("#league_position").inner_text()
    page.screenshot(path="test-artifacts/lesson-reward-phone.png", full_page=True)
    assert [e for e in console_errors if "htmx" in e] == []  # no swap without its target (htmx:oobErrorNoTarget)
    # A lesson is a focused screen without the site header; back on the course its counters are up to date.
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(re.compile(r"/courses/"))
    assert wait_until(lambda: page.locator("#stats_bar [data-stat=streak]").inner_text() == "1", timeout=5)
    assert int(page.locator("#stats_bar [data-stat=gems]").inner_text()) >= 5
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"

    page.goto("/leagues")
    assert page.locator(".league-row--me").inner_text().strip().endswith("15")


def test_the_league_table_moves_live_when_a_rival_finishes_a_lesson(page, app, live_server, enrolled):  # noqa: F811
    from tests.progress.conftest import finish_lesson

    ana = enrolled(email="ana@example.com", display_name="Ana")
    rival = enrolled(email="rui@example.com", display_name="Rui Rival")
    finish_lesson(app, ana.id)  # Ana is in this week's league
    log_in_on_page(page, "ana@example.com")
    page.goto("/home")
    page.get_by_role("link", name=re.compile(r"League: ")).click()  # boosted: the page swaps, the socket follows
    page.wait_for_url(re.compile(r"/leagues$"))
    # The league page's own socket is open and greeted: the server sends it league tables from now on.
    page.locator("#realtime[ws-connect*='watch=league'][data-live=open]").wait_for(state="attached")
    assert page.locator(".league-row").count() == 1
    page.evaluate("() => { window.__sameDocument = true; }")

    finish_lesson(app, rival.id)  # Rui earns XP in the same cohort: his row appears without a reload

    page.locator(".league-row", has_text="Rui Rival").wait_for(timeout=5000)
    assert page.locator(".league-row").count() == 2
    assert page.locator(".league-row--me").inner_text().strip().startswith(("1", "2"))
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
