"""Onboarding in a real browser: a visitor tries the first lesson as a guest and keeps its progress by signing
up; the daily goal is chosen by keyboard; the placement test; the course chosen at sign-up is where one lands;
the new pages pass axe in light, dark and right to left."""

import re

import pytest
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.progress.models import XpEntry
from tests.conftest import link_in
from tests.e2e.conftest import answer_right_with_the_mouse, log_in_on_page
from tests.e2e.test_accessibility import axe_violations
from tests.learning.conftest import lesson_state

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _xp(app, user_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(XpEntry.amount), 0)).where(XpEntry.user_id == user_id))


def _guest(app) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.is_guest.is_(True)))


def _play_the_lesson(page, app) -> None:
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    session_id = int(re.search(r"/lessons/(\d+)", page.url).group(1))
    for _ in range(60):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            break
        index = session.position
        answer_right_with_the_mouse(page, app, index, session.steps[index])
        page.locator(".feedback").wait_for()
        page.locator("[data-continue]").click()
        page.wait_for_function(f"() => !document.querySelector('input[name=step][value=\"{index}\"]')"
                               " || document.querySelector('.lesson-complete')")
    page.locator(".lesson-complete").wait_for()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_guest_lesson_becomes_an_account_with_its_progress(browser, live_server, app, spanish, mailbox, viewport):
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("button", name=re.compile(r"^Try a lesson: Spanish")).click()
    page.wait_for_url(re.compile(r"/welcome/goal$"))
    page.get_by_role("radio", name=re.compile("Serious")).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/welcome/level$"))
    page.get_by_role("link", name="Start from the beginning").click()
    page.wait_for_url(re.compile(r"/skills/\d+$"))
    page.get_by_role("button", name="Start the first lesson").click()
    _play_the_lesson(page, app)
    guest = _guest(app)
    xp = _xp(app, guest.id)
    assert xp > 0

    page.get_by_role("link", name="Create a profile").click()
    page.wait_for_url(re.compile(r"/signup$"))
    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("Your name").fill("Nadia")
    page.get_by_label("Password").fill("a lantern by the quiet river")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    [message] = mailbox.wait_for("nadia@example.com")
    page.goto(link_in(message, "/verify-email/"))
    page.get_by_role("button", name=re.compile("Confirm")).click()
    page.wait_for_url(re.compile(r"/home$"))
    assert "Spanish" in page.locator("main").inner_text()
    with app.app_context():
        user = db.session.get(User, guest.id)
        assert not user.is_guest and user.email == "nadia@example.com" and user.daily_goal == 30
    assert _xp(app, guest.id) == xp
    page.goto("/account")
    page.wait_for_url(re.compile(r"/account$"))  # no longer sent to sign up
    context.close()


def test_the_daily_goal_is_chosen_with_the_keyboard_alone(page, app, make_user, spanish):
    make_user("ana@example.com")
    log_in_on_page(page, "ana@example.com")
    page.goto("/welcome/goal")
    page.locator('input[name="daily_goal"][value="20"]').focus()  # the current goal (regular) is checked
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator('input[name="daily_goal"][value="50"]').is_checked()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/(welcome/level|courses)$"))
    with app.app_context():
        assert db.session.scalar(select(User.daily_goal).where(User.email == "ana@example.com")) == 50
    page.goto("/account/preferences")
    assert page.get_by_label("Daily goal").input_value() == "50"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_placement_test_places_a_learner_who_knows_nothing_at_the_start(browser, live_server, app, spanish,
                                                                            viewport):
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("button", name=re.compile(r"^Try a lesson: Spanish")).click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Take the placement test").click()
    page.wait_for_url(re.compile(r"/placement$"))
    for _ in range(16):
        page.get_by_role("heading", name="What does this mean?").wait_for()
        assert page.locator("fieldset.choices input[type=radio]").count() >= 2
        item = page.locator('input[name="item"]').get_attribute("value")
        page.get_by_role("button", name="I don't know").click()
        page.wait_for_function("""item => !location.pathname.endsWith('/placement')
            || (document.querySelector('input[name=item]') || {}).value !== item""", arg=item)
        if not page.url.endswith("/placement"):
            break
    page.wait_for_url(re.compile(r"/courses/[^/]+$"))
    assert "start from the beginning" in page.locator("body").inner_text()
    context.close()


def test_the_course_chosen_at_sign_up_is_where_the_learner_lands(page, app, spanish, mailbox):
    page.goto("/")
    page.get_by_role("link", name="Sign up for this course").first.click()
    page.wait_for_url(re.compile(r"/signup\?learn="))
    assert page.get_by_label("I want to learn").input_value() == spanish
    page.get_by_label("Email").fill("omar@example.com")
    page.get_by_label("Your name").fill("Omar")
    page.get_by_label("Password").fill("a lantern by the quiet river")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    log_in_on_page(page, "omar@example.com", "a lantern by the quiet river")
    page.get_by_role("button", name=re.compile("Continue learning")).click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))


@pytest.mark.parametrize(("scheme", "locale"), [("light", "en"), ("dark", "en"), ("light", "ar")])
def test_the_onboarding_pages_pass_axe(browser, live_server, app, spanish, scheme, locale):
    context = browser.new_context(base_url=live_server, viewport=PHONE, color_scheme=scheme, locale=locale,
                                  extra_http_headers={"Accept-Language": locale})
    page = context.new_page()
    failures = {}

    def check(name):
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            failures[name] = violations

    page.goto("/")
    check("landing")
    page.locator("form[action^='/try/'] button").first.click()
    page.wait_for_url(re.compile(r"/welcome/goal$"))
    if locale == "ar":
        assert page.evaluate("() => document.documentElement.dir") == "rtl"
    check("daily goal")
    page.locator("form[action='/welcome/goal'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/welcome/level$"))
    check("new or know some")
    page.locator("form[action$='/placement'] button").click()
    page.wait_for_url(re.compile(r"/placement$"))
    check("placement question")
    page.goto("/signup")
    check("guest sign-up")
    context.close()
    assert failures == {}, failures
