"""Browser tests: Playwright driving the system Chromium, headless, against a live server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """A fresh browser context; any CSP violation or page error fails the test."""
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    # Every CSP violation becomes a console error the test sees (some reach the console on their own, not all).
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and ("Content Security Policy" in msg.text or "CSP violation" in msg.text)
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    context.close()
    assert problems == [], f"the page reported errors: {problems}"


from tests.learning.conftest import japanese, spanish  # noqa: E402, F401 - course fixtures for browser tests


def log_in_on_page(page, email: str, password: str = "correct-horse-battery") -> None:
    """Log in through the real form, as a person would, and land on the home page."""
    import re

    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/home$"))


def download_lessons(page, make_user, email: str, name: str) -> None:
    """A new learner starts the Spanish course and downloads its lessons, on a page the service worker controls."""
    import re

    from tests.conftest import wait_until

    make_user(email, display_name=name)
    log_in_on_page(page, email)
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    # The worker takes control of the page it was installed from (clients.claim): no reload needed.
    assert wait_until(lambda: page.evaluate("() => !!navigator.serviceWorker.controller"), timeout=10)
    page.get_by_role("button", name="Download lessons for offline").click()
    page.get_by_text("2 lessons ready to play offline").wait_for()


def answer_right_with_the_mouse(page, app, index: int, step: dict) -> None:
    """Answer step ``index`` of the lesson on the page correctly, as a person with a mouse would, and check."""
    from tests.learning.conftest import right_answer

    page.wait_for_selector(f'input[name="step"][value="{index}"]', state="attached")
    got_it(page)
    data = right_answer(app, step)
    form = page.locator("form[data-exercise]")
    if step.type == "match_pairs":  # tap a word, then its partner
        for key, value in data.items():
            form.locator(f'[data-match="left"][data-pair="{key.removeprefix("pair_")}"]').click()
            form.locator(f'[data-match="right"][data-value="{value}"]').click()
    elif step.choices:
        form.locator(f'input[type=radio][value="{data["answer"]}"]').check()
    elif step.type == "arrange_tiles" and form.locator("[data-tile-line]").count():
        place_tiles(page, step, data["answer"])
    else:
        form.locator("input.answer-input").fill(data["answer"])
    form.get_by_role("button", name="Check").click()


def log_out_on_page(page) -> None:
    """Log out as a person would: from the profile page (the bottom tab bar's last tab)."""
    import re

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile", exact=True).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.get_by_role("button", name="Log out").click()


def tile_words(step, answer: str) -> list[str]:
    """The tiles of ``step`` that spell ``answer``, in order (longest first at each point)."""
    words, rest = [], answer
    while rest:
        if not any(rest.startswith(t) for t in step.tiles):  # punctuation, which no tile carries
            rest = rest[1:].lstrip(" ")
            continue
        word = max((t for t in step.tiles if rest.startswith(t)), key=len)
        words.append(word)
        rest = rest[len(word):].lstrip(" ")
    return words


def place_tiles(page, step, answer: str) -> None:
    """Tap the tiles that spell ``answer`` onto the answer line."""
    used: set[int] = set()
    for word in tile_words(step, answer):
        index = next(i for i, tile in enumerate(step.tiles) if tile == word and i not in used)
        used.add(index)
        page.locator(f'[data-tile][data-key="{index + 1}"]').click()


def got_it(page) -> None:
    """A new word's teach card comes first: read it and press "Got it" (when the step shows one)."""
    page.wait_for_selector("#exercise[data-ready]", state="attached")
    button = page.locator("[data-got-it]")
    if button.count() and button.is_visible():
        button.click()
