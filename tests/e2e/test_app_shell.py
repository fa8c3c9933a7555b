"""The app shell in a real browser: a one-row top bar and a bottom tab bar on a phone, a side rail on a
wide screen; language and theme changes that apply at once; no WebSocket errors on boosted navigation."""

import re

import pytest

from tests.e2e.conftest import got_it, log_in_on_page

pytestmark = pytest.mark.e2e

TABS = ["Learn", "Practice", "Leagues", "Friends", "Profile"]


def _context(browser, live_server, width, height, **options):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: console.append(str(error)))
    return context, page, console


def _mark_document(page):
    """A flag on the window: still there after a navigation means htmx swapped the page (no reload)."""
    page.evaluate("() => { window.__sameDocument = true; }")


def _same_document(page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def test_the_phone_shell_is_one_row_on_top_and_tabs_at_the_bottom(browser, live_server, make_user, spanish):
    make_user("ana@example.com", display_name="Ana")
    context, page, console = _context(browser, live_server, 390, 844)
    try:
        log_in_on_page(page, "ana@example.com")
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 64, f"the top bar takes {header['height']} px"
        assert page.locator("#stats_bar").is_visible() and page.locator(".bell").is_visible()
        # Each fact of the Today card is one line, its icon beside its text (the league's too, a block of its own).
        trophy = page.locator(".progress-facts .icon--trophy").bounding_box()
        league = page.locator(".progress-facts .league-position a").bounding_box()
        assert league["y"] <= trophy["y"] + trophy["height"] / 2 <= league["y"] + league["height"], (trophy, league)

        nav = page.get_by_role("navigation", name="Main")
        box = nav.bounding_box()
        assert box["y"] + box["height"] == pytest.approx(844, abs=1), "the tab bar sits at the bottom"
        assert box["height"] <= 80
        links = nav.get_by_role("link")
        visible = [name for name in (links.nth(i).inner_text().strip() for i in range(links.count()))
                   if name and nav.get_by_role("link", name=name, exact=True).is_visible()]
        assert visible == TABS
        for tab in TABS:
            tab_box = nav.get_by_role("link", name=tab, exact=True).bounding_box()
            assert tab_box["height"] >= 48 and tab_box["width"] >= 48
        assert nav.get_by_role("link", name="Learn", exact=True).get_attribute("aria-current") == "page"

        nav.get_by_role("link", name="Leagues", exact=True).click()
        page.wait_for_url(re.compile(r"/leagues$"))
        assert nav.get_by_role("link", name="Leagues", exact=True).get_attribute("aria-current") == "page"
        assert nav.get_by_role("link", name="Learn", exact=True).get_attribute("aria-current") is None

        nav.get_by_role("link", name="Friends", exact=True).click()
        page.wait_for_url(re.compile(r"/feed$"))
        assert nav.get_by_role("link", name="Friends", exact=True).get_attribute("aria-current") == "page"

        # Keyboard: the tabs are links in order, reachable with Tab.
        nav.get_by_role("link", name="Profile", exact=True).focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/account$"))
        assert nav.get_by_role("link", name="Profile", exact=True).get_attribute("aria-current") == "page"
        # Log out lives on the profile page now, not in every header.
        assert page.locator(".site-header").get_by_role("button", name="Log out").count() == 0
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/$"))
        assert page.get_by_role("link", name="Log in").is_visible()
        assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Leagues").count() == 0
        assert [text for text in console if "Invalid frame header" in text] == []
    finally:
        context.close()


def test_a_wide_screen_has_a_side_rail(browser, live_server, make_user, spanish):
    make_user("ana@example.com", display_name="Ana")
    context, page, _ = _context(browser, live_server, 1280, 800)
    try:
        log_in_on_page(page, "ana@example.com")
        nav = page.get_by_role("navigation", name="Main")
        box = nav.bounding_box()
        assert box["x"] == 0 and box["width"] <= 260 and box["height"] > 600, box
        for name in [*TABS, "Statistics", "Shop", "Courses"]:
            assert nav.get_by_role("link", name=name, exact=True).is_visible(), name
        main = page.locator("main").bounding_box()
        assert main["x"] >= box["width"], "the content sits beside the rail, not under it"
        nav.get_by_role("link", name="Statistics", exact=True).click()
        page.wait_for_url(re.compile(r"/progress$"))
        assert nav.get_by_role("link", name="Statistics", exact=True).get_attribute("aria-current") == "page"
    finally:
        context.close()


def test_the_rail_mirrors_in_arabic(browser, live_server, make_user, spanish):
    make_user("layla@example.com", display_name="ليلى", locale="ar")
    context, page, _ = _context(browser, live_server, 1280, 800, locale="ar",
                                extra_http_headers={"Accept-Language": "ar"})
    try:
        page.goto("/login")
        page.locator("#email").fill("layla@example.com")
        page.locator("#password").fill("correct-horse-battery")
        page.locator("#log_in_form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/home$"))
        box = page.locator(".app-nav").bounding_box()
        assert box["x"] + box["width"] == pytest.approx(1280, abs=1), "the rail sits on the right in Arabic"
    finally:
        context.close()


def test_language_and_theme_apply_without_a_reload(browser, live_server, make_user):
    make_user("ana@example.com", display_name="Ana")
    context, page, _ = _context(browser, live_server, 390, 844, color_scheme="light")
    try:
        log_in_on_page(page, "ana@example.com")
        page.goto("/account/preferences")
        _mark_document(page)
        page.get_by_label("Theme").select_option("dark")
        page.get_by_role("button", name="Save preferences").click()
        page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
        assert _same_document(page)
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(11, 22, 20)"

        page.get_by_label("Puchi's language").select_option("ar")
        page.get_by_role("button", name="Save preferences").click()
        page.wait_for_function("() => document.documentElement.dir === 'rtl'")
        assert page.evaluate("() => document.documentElement.lang") == "ar"
        assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
        assert _same_document(page)

        # And back through the footer's switcher, on another page.
        page.goto("/feed")
        _mark_document(page)
        page.locator("#footer-locale").select_option("en")
        page.locator(".language-switcher button[type=submit]").click()
        page.wait_for_function("() => document.documentElement.dir === 'ltr'")
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert _same_document(page)
    finally:
        context.close()


def test_boosted_navigation_raises_no_websocket_errors(browser, live_server, make_user, spanish):
    make_user("ana@example.com", display_name="Ana")
    context, page, console = _context(browser, live_server, 390, 844)
    try:
        log_in_on_page(page, "ana@example.com")
        nav = page.get_by_role("navigation", name="Main")
        for tab, url in [("Leagues", r"/leagues$"), ("Friends", r"/feed$"), ("Profile", r"/account$"),
                         ("Learn", r"/home$"), ("Leagues", r"/leagues$"), ("Friends", r"/feed$")]:
            page.locator("#realtime[data-live=open]").wait_for(state="attached")
            nav.get_by_role("link", name=tab, exact=True).click()
            page.wait_for_url(re.compile(url))
        page.locator("#realtime[data-live=open]").wait_for(state="attached")
        assert [text for text in console if "WebSocket" in text or "frame" in text] == []
    finally:
        context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_the_course_map_is_a_winding_path_of_round_nodes(browser, live_server, app, make_user, spanish, width, height):
    make_user("ana@example.com", display_name="Ana")
    context, page, _ = _context(browser, live_server, width, height)
    try:
        log_in_on_page(page, "ana@example.com")
        page.goto("/courses")
        page.get_by_role("button", name="Start this course").first.click()
        page.wait_for_url(re.compile(r"/courses/"))
        assert page.get_by_text("Unit 1", exact=True).is_visible()
        current = page.locator("a[aria-current=step]")
        assert current.count() == 1
        assert "Start" in current.text_content()
        disc = current.locator(".node-disc").bounding_box()
        assert disc["width"] == pytest.approx(disc["height"], abs=1), "the node is round"
        locked = page.locator(".skill-node--locked .node-disc").first.bounding_box()
        assert disc["width"] > locked["width"], "the current node stands out"
        assert page.locator(".skill-node--locked a").count() == 0, "a locked skill is not a link"
        centres = {round(box["x"] + box["width"] / 2) for box in
                   (page.locator(".skill-node .node-disc").nth(i).bounding_box() for i in range(4))}
        assert len(centres) >= 3, "the path winds"
        page.screenshot(path=f"test-artifacts/course-path-{width}.png")
        current.click()
        page.wait_for_url(re.compile(r"/skills/\d+$"))
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_shell_pages_fit_a_phone_and_pass_axe_in_arabic(browser, live_server, app, make_user, spanish, scheme):
    from tests.e2e.test_accessibility import axe_violations
    from tests.progress.conftest import finish_lesson

    layla = make_user("layla@example.com", display_name="ليلى", locale="ar")
    context, page, _ = _context(browser, live_server, 390, 844, color_scheme=scheme, locale="ar",
                                extra_http_headers={"Accept-Language": "ar"})
    try:
        page.goto("/login")
        page.locator("#email").fill("layla@example.com")
        page.locator("#password").fill("correct-horse-battery")
        page.locator("#log_in_form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/home$"))
        page.goto("/courses")
        page.locator("form[action$='/enroll'] button").first.click()
        page.wait_for_url(re.compile(r"/courses/"))
        finish_lesson(app, layla.id)
        failures = {}
        for url in ("/courses/spanish-for-english-speakers", "/home", "/achievements", "/leagues", "/progress",
                    "/shop", "/account", "/account/preferences"):
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, f"{url} is wider than a phone"
            if violations := axe_violations(page):
                failures[url] = violations
            if url.startswith("/courses/"):
                # Course text keeps its own direction inside the Arabic page.
                assert page.locator(".skill-title").first.evaluate("e => getComputedStyle(e).direction") == "ltr"
                assert page.locator("h1").evaluate("e => getComputedStyle(e).direction") == "ltr"
                assert page.locator(".map-actions button bdi").count() == 1
            if url == "/progress":
                # The year opens on its latest weeks, with month names above it.
                assert page.evaluate("() => document.querySelector('[data-scroll-end]').scrollLeft") > 0
                assert page.locator(".heatmap text.chart-label").count() >= 12
        assert failures == {}, failures
    finally:
        context.close()


def test_a_word_hint_opens_below_the_word_never_over_the_instruction(browser, live_server, app, make_user, spanish):
    from tests.learning.conftest import first_skill_id

    make_user("ana@example.com", display_name="Ana")
    context, page, _ = _context(browser, live_server, 390, 844)
    try:
        log_in_on_page(page, "ana@example.com")
        page.goto("/courses")
        page.get_by_role("button", name="Start this course").first.click()
        page.wait_for_url(re.compile(r"/courses/"))
        page.goto(f"/skills/{first_skill_id(app)}")
        page.get_by_role("button", name="Start the first lesson").click()
        page.wait_for_url(re.compile(r"/lessons/\d+$"))
        got_it(page)  # a new word's card comes before its first question
        hint = page.locator(".word-hint").first
        if not hint.count():
            pytest.skip("this lesson's first exercise has no word hints")
        hint.focus()
        box = hint.locator(".word-hint-text").bounding_box()
        word = hint.bounding_box()
        heading = page.locator("h1:visible, h2:visible").filter(has_text=re.compile(".")).first.bounding_box()
        assert box["y"] >= word["y"] + word["height"] - 1, "the hint opens below the word"
        assert box["y"] >= heading["y"] + heading["height"], "the hint leaves the instruction readable"
    finally:
        context.close()
