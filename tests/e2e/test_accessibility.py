"""Every page a learner can reach passes axe-core with zero violations, in light and in dark."""

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import got_it, log_in_on_page
from tests.learning.conftest import first_skill_id

pytestmark = pytest.mark.e2e

AXE = next((Path(__file__).parent / "vendor").glob("axe-core-*.min.js")).read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    """Run the vendored axe-core in the page (evaluated by the driver, so the page's CSP allows it)."""
    page.evaluate(AXE)
    result = page.evaluate("""async () => {
        // Colours are judged as they settle: a card fading in is half transparent for a moment, and axe would
        // measure that. Finite animations only (an endless one never finishes).
        await Promise.all(document.getAnimations()
            .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
            .map(a => a.finished.catch(() => null)));
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => v.id + ": " + v.help + " — " + v.nodes.map(n => n.target.join(" ")).join(", "));
    }""")
    return list(result)


@pytest.fixture
def app_settings(tmp_path):
    return {"SMS_DIR": str(tmp_path / "sms")}  # the phone page texts a code (console gateway): not into instance/


def _friend_with_news(app, make_user, user_id: int) -> None:
    """A friend with feed items whose streak is at risk: /feed shows the strip, the items and their buttons."""
    from datetime import timedelta

    from puchi.core.db import now
    from puchi.progress.events import AchievementUnlocked, StreakMilestone
    from puchi.progress.streaks import local_day
    from tests.social.conftest import befriend, happened, promotion, set_streak

    ben = make_user("ben@example.com", display_name="Ben Okafor", timezone="America/Los_Angeles")
    befriend(app, user_id, ben.id)
    happened(app, StreakMilestone(days=30), ben.id)
    happened(app, AchievementUnlocked(code="streak", tier=2), ben.id)
    happened(app, promotion(to_tier=3), ben.id)
    set_streak(app, ben.id, 30, local_day(now(), "America/Los_Angeles") - timedelta(days=1))


def _refill_hearts(app, user_id: int) -> None:
    from puchi.core.db import db
    from puchi.progress.models import ProgressProfile

    with app.app_context():
        db.session.execute(ProgressProfile.__table__.update().where(ProgressProfile.user_id == user_id)
                           .values(hearts=5))
        db.session.commit()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe(browser, live_server, app, make_user, spanish, scheme):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    failures: dict[str, list[str]] = {}

    def check(name):
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        if violations:
            failures[name] = violations

    for url in ("/", "/signup", "/login", "/forgot-password", "/no-such-page", "/offline", "/offline/lesson"):
        page.goto(url)
        check(url)

    ana = make_user("ana@example.com", display_name="Ana")
    _friend_with_news(app, make_user, ana.id)
    log_in_on_page(page, "ana@example.com")
    check("/home (new learner)")
    page.goto("/courses")
    check("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    check("course map")
    skill = first_skill_id(app)
    page.goto(f"/skills/{skill}")
    check("skill page")
    page.get_by_role("button", name="Start the first lesson").click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    page.wait_for_selector("#exercise[data-ready]", state="attached")
    if page.locator("[data-got-it]").is_visible():  # a new word is taught before it is asked
        check("lesson: teach card")
        page.get_by_role("button", name="Got it").click()
    check("lesson: exercise")
    page.locator("form[data-exercise] input[type=radio]").first.check()
    page.get_by_role("button", name="Check").click()
    page.locator(".feedback").wait_for()
    check("lesson: feedback")
    page.locator("[data-continue]").click()
    for _ in range(40):  # finish the lesson (choose the first option; the summary screen is what we check)
        page.locator("form[data-exercise]:not([data-locked]), .lesson-complete, [data-out-of-hearts]").first.wait_for()
        if page.locator(".lesson-complete").count():
            break
        if page.locator("[data-out-of-hearts]").count():  # wrong picks used up the hearts: the sheet, then a refill
            check("lesson: out of hearts")
            _refill_hearts(app, ana.id)
            page.reload()
            continue
        form = page.locator("form[data-exercise]")
        got_it(page)
        if form.locator("input[type=radio]").count():
            form.locator("input[type=radio]").first.check()
        elif form.locator("[data-match-board]").count():  # tap each word, then partners until one fits
            for left in form.locator('[data-match="left"]').all():
                for right in form.locator('[data-match="right"]:not([disabled])').all():
                    left.click()
                    right.click()
                    if left.is_disabled():
                        break
        else:
            form.locator("input.answer-input").fill("x")
        form.get_by_role("button", name="Check").click()
        page.locator(".feedback").wait_for()
        page.locator("[data-continue]").click()
    page.locator(".lesson-reward").wait_for()
    check("lesson: complete")
    page.goto("/courses")  # "Jump here?": the test-out of a later unit, played to its end (the result screen)
    page.get_by_role("link", name="Continue").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    page.get_by_role("button", name="Jump here?").last.click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    page.wait_for_selector("#exercise[data-ready]", state="attached")
    check("test-out: exercise")
    for _ in range(20):
        page.locator("form[data-exercise]:not([data-locked]), .test-out-result").first.wait_for()
        if page.locator(".test-out-result").count():
            break
        form = page.locator("form[data-exercise]")
        if form.locator("input[type=radio]").count():
            form.locator("input[type=radio]").first.check()
        elif form.locator("[data-tile-line]").count() and form.locator("[data-tile-line]").is_visible():
            form.locator("[data-tile]").first.click()
        else:
            form.locator("input.answer-input").fill("x")
        form.get_by_role("button", name="Check").click()
        page.locator(".feedback").wait_for()
        page.locator("[data-continue]").click()
    check("test-out: result")
    for url in ("/home", "/account", "/account/preferences", "/dictionary?q=hola", "/leagues", "/progress", "/shop",
                "/achievements", "/practice",
                "/people?q=an", "/u/ana", "/u/ana/followers", "/notifications", "/account/social",
                "/account/notifications", "/account/phone", "/messages", "/unsubscribe/not-a-token", "/feed",
                "/billing/receipts", "/account/security", "/account/privacy",
                "/welcome/goal", "/welcome/level", f"/courses/{spanish}/placement"):
        page.goto(url)
        check(url)
    page.goto("/feed")
    page.get_by_role("button", name="Cheer Ben Okafor").first.click()
    page.locator(".feed-item .feed-done").wait_for()
    page.get_by_role("button", name="Nudge Ben Okafor").click()
    page.locator(".person .feed-done").wait_for()
    check("/feed after a cheer and a nudge")
    page.goto("/account/phone")
    page.get_by_role("textbox", name="Mobile number").fill("12")
    page.get_by_role("button", name="Send me a code").click()
    page.locator("#number-errors").wait_for()
    check("phone: a number refused")
    page.get_by_role("textbox", name="Mobile number").fill("+34 612 34 56 78")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_role("textbox", name="Code").wait_for()
    check("phone: waiting for the code")
    page.goto("/account/notifications")
    check("/account/notifications (a number waiting for its code)")
    context.close()
    assert failures == {}, "\n".join(f"{name}: {v}" for name, vs in failures.items() for v in vs)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_pages_pass_axe(browser, live_server, app, make_user, scheme):
    from puchi.core.db import db
    from puchi.notifications.models import Delivery
    from tests.accounts.mfa_support import enrol_totp

    admin = make_user("root@example.com", display_name="Root", is_admin=True)
    with app.app_context():  # one failed send, so the list and its retry button are on the page
        db.session.add(Delivery(key="promoted:test:email", user_id=admin.id, channel="email", kind="promoted",
                                status="failed", attempts=3, last_error="ConnectionRefusedError: refused"))
        db.session.commit()
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    log_in_on_page(page, "root@example.com")
    failures = {}
    page.goto("/admin/deliveries")  # admins must use MFA: a page to set it up comes first
    page.wait_for_url(re.compile(r"/account/security/required$"))
    page.wait_for_load_state("networkidle")
    if violations := axe_violations(page):
        failures["/account/security/required"] = violations
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.wait_for_url(re.compile(r"/account/security/totp$"))
    page.wait_for_load_state("networkidle")
    if violations := axe_violations(page):
        failures["/account/security/totp"] = violations
    enrol_totp(app, admin.id)
    for url in ("/admin/deliveries", "/admin/deliveries?status=sent"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            failures[url] = violations
    context.close()
    assert failures == {}, failures
