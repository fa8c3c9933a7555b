"""The lesson player in Chromium on a phone and a desktop: focused screen, Check disabled until there is an
answer, feedback sheet, quit dialog, hearts running out and coming back; axe in light, dark and RTL."""

import re
from datetime import UTC, datetime

import pytest

from puchi.core.db import db
from puchi.progress import services as progress
from puchi.progress.models import ProgressProfile
from tests.conftest import wait_until
from tests.e2e.conftest import got_it, log_in_on_page
from tests.e2e.test_accessibility import axe_violations
from tests.learning.conftest import first_skill_id, lesson_state, right_answer, wrong_answer

pytestmark = pytest.mark.e2e

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}


def _set_profile(app, user_id, **values):
    with app.app_context():
        progress.profile_for(user_id)
        db.session.execute(ProgressProfile.__table__.update().where(ProgressProfile.user_id == user_id)
                           .values(**values))
        db.session.commit()


def _start(page, app, make_user, email="lea@example.com", **user):
    learner = make_user(email, display_name="Lea", **user)
    log_in_on_page(page, email)
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    page.goto(f"/skills/{first_skill_id(app)}")
    page.get_by_role("button", name="Start the first lesson").click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    return learner, int(page.url.rsplit("/", 1)[1])


def _settled(page):
    return wait_until(lambda: page.evaluate(
        "() => document.getAnimations().every(a => a.playState !== 'running')"), timeout=5)


def _in_view(page, locator):
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_step_by_touch_with_the_feedback_sheet(browser, live_server, app, make_user, spanish, viewport):
    context = browser.new_context(base_url=live_server, viewport=viewport, has_touch=viewport is PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _learner, session_id = _start(page, app, make_user)
    got_it(page)  # the first new word is taught before it is asked

    assert page.locator(".site-header").count() == 0 and page.locator(".site-footer").count() == 0
    check = page.get_by_role("button", name="Check")
    assert wait_until(check.is_disabled, timeout=5), "Check waits for an answer"
    assert _in_view(page, check)
    if viewport is PHONE:  # full width on phones
        assert check.bounding_box()["width"] >= 390 - 2 * 16 - 2
    step = lesson_state(app, session_id).steps[0]
    wrong = wrong_answer(app, step)["answer"]
    label = page.locator("label.choice", has=page.locator(f'input[value="{wrong}"]'))
    if viewport is PHONE:
        label.tap()
    else:
        label.click()
    assert wait_until(check.is_enabled, timeout=5)
    check.click()
    sheet = page.locator(".feedback--wrong")
    sheet.wait_for()
    assert _settled(page)
    assert _in_view(page, page.locator("[data-continue]"))
    assert page.locator("label.choice--wrong").count() == 1 and page.locator("label.choice--right").count() == 1
    assert page.locator("[data-hearts]").get_attribute("data-hearts") == "4"
    assert wait_until(lambda: "lesson-hearts--lost" in page.locator("[data-hearts]").get_attribute("class"),
                      timeout=5), "the heart shakes when lost"
    page.screenshot(path=f"test-artifacts/lesson-feedback-{'phone' if viewport is PHONE else 'desktop'}.png")
    page.locator("[data-continue]").click()
    page.wait_for_selector('input[name="step"][value="1"]', state="attached")

    # ✕ asks before quitting; keeping goes on with the lesson, quitting goes to the course.
    page.get_by_role("link", name="Quit the lesson").click()
    dialog = page.get_by_role("dialog", name="Quit this lesson?")
    dialog.wait_for()
    dialog.get_by_role("button", name="Keep learning").click()
    assert wait_until(lambda: not dialog.is_visible(), timeout=5)
    page.get_by_role("link", name="Quit the lesson").click()
    dialog.get_by_role("link", name="Quit").click()
    page.wait_for_url(re.compile(r"/courses/"))
    assert page.locator(".site-header").count() == 1  # the site's navigation is back
    context.close()
    assert errors == []


def test_out_of_hearts_by_keyboard_and_refill(page, app, make_user, spanish):
    learner, session_id = _start(page, app, make_user)
    _set_profile(app, learner.id, hearts=1, hearts_updated_at=datetime.now(UTC), gems=35)
    page.reload()
    step = lesson_state(app, session_id).steps[0]
    wrong = wrong_answer(app, step)["answer"]
    page.wait_for_selector("[data-lesson][data-ready]", state="attached")
    page.get_by_role("heading", name="New word").wait_for()  # taught first; Enter says "Got it"
    page.keyboard.press("Enter")
    page.keyboard.press(str(step.choices.index(wrong) + 1))
    page.keyboard.press("Enter")
    page.get_by_text("That was your last heart.").wait_for()
    page.keyboard.press("Enter")  # Continue
    heading = page.get_by_role("heading", name="You're out of hearts")
    heading.wait_for()
    assert page.locator('input[name="step"]').count() == 0
    assert re.fullmatch(r"\d:\d\d:\d\d", page.locator("[data-countdown]").inner_text())
    assert axe_violations(page) == []
    page.screenshot(path="test-artifacts/lesson-out-of-hearts-phone.png")
    page.get_by_role("button", name="Refill for 30 gems").click()
    page.wait_for_selector('input[name="step"][value="1"]', state="attached")
    assert page.locator("[data-hearts]").get_attribute("data-hearts") == "5"


@pytest.mark.parametrize("scheme,locale", [("light", "en"), ("dark", "en"), ("light", "ar")])
def test_the_lesson_passes_axe(browser, live_server, app, make_user, spanish, scheme, locale):
    context = browser.new_context(base_url=live_server, viewport=PHONE, color_scheme=scheme)
    page = context.new_page()
    learner, session_id = _start(page, app, make_user)
    if locale != "en":
        with app.app_context():
            from puchi.accounts.models import User
            db.session.get(User, learner.id).locale = locale
            db.session.commit()
        page.reload()
    page.wait_for_selector("[data-lesson][data-ready]", state="attached")
    assert axe_violations(page) == [], "the teach card"
    got_it(page)
    assert axe_violations(page) == [], "the exercise"
    step = lesson_state(app, session_id).steps[0]
    page.locator(f'input[value="{right_answer(app, step)["answer"]}"]').check(force=True)
    page.locator("[data-check]").click()
    page.locator(".feedback").wait_for()
    assert _settled(page)
    assert axe_violations(page) == [], "the feedback"
    page.locator("[data-continue]").click()
    page.wait_for_selector('input[name="step"][value="1"]', state="attached")
    page.locator("[data-quit]").click()
    page.locator("dialog[open]").wait_for()
    assert axe_violations(page) == [], "the quit dialog"
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_tap_to_match_pairs(browser, live_server, app, make_user, spanish, viewport):
    from tests.e2e.conftest import answer_right_with_the_mouse

    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    _learner, session_id = _start(page, app, make_user)
    for _ in range(40):
        session = lesson_state(app, session_id)
        step = session.steps[session.position]
        if step.type == "match_pairs":
            break
        answer_right_with_the_mouse(page, app, session.position, step)
        page.locator("[data-continue]").click()
    else:
        pytest.skip("no match step in this lesson")
    page.wait_for_selector(f'input[name="step"][value="{session.position}"]', state="attached")
    board = page.locator("[data-match-board]")
    board.wait_for()  # shown by lesson.js, which hides the menus
    assert not page.locator("[data-pair-menus]").is_visible()
    data = right_answer(app, step)
    wrong = next(v for v in step.right if v != data["pair_0"])
    board.locator('[data-match="left"][data-pair="0"]').click()
    board.locator(f'[data-match="right"][data-value="{wrong}"]').click()
    assert "shake" in board.locator(f'[data-match="right"][data-value="{wrong}"]').get_attribute("class")
    assert board.locator("[data-match-status]").text_content() == f"{step.left[0]} and {wrong} are not a pair."
    assert page.locator("#pair_0").input_value() == ""
    check = page.get_by_role("button", name="Check")
    for n in range(len(step.left)):
        assert check.is_disabled()
        board.locator(f'[data-match="left"][data-pair="{n}"]').click()
        board.locator(f'[data-match="right"][data-value="{data[f"pair_{n}"]}"]').click()
        assert board.locator(f'[data-match="left"][data-pair="{n}"]').is_disabled()
    assert check.is_enabled()
    page.screenshot(path=f"test-artifacts/lesson-match-{'phone' if viewport is PHONE else 'desktop'}.png")
    check.click()
    page.locator(".feedback--correct").wait_for()
    context.close()


def _put_tiles_first(app, session_id, direction):
    """Make the lesson's current step a tiles step over a phrase of the course (the first skills teach words)."""
    import random

    from sqlalchemy import select

    from puchi.learning import exercises
    from puchi.learning.models import WORD, Course, Item, LessonSession

    with app.app_context():
        session = db.session.get(LessonSession, session_id)
        course = db.session.get(Course, session.course_id)
        pool = list(db.session.scalars(select(Item).where(Item.course_id == course.id).limit(60)))
        phrase = next(i for i in pool
                      if i.kind != WORD and len(i.text.split()) >= 2 and len(i.translation.split()) >= 2)
        step = exercises.tiles_step(phrase, pool, direction, course, [], random.Random(1))
        session.steps = [step, *session.steps[1:]]
        db.session.commit()
        return step


@pytest.mark.parametrize("viewport,direction", [(PHONE, "to_target"), (DESKTOP, "to_source")],
                         ids=["phone-into-the-course-language", "desktop-into-english"])
def test_word_tiles_tap_to_place_and_take_back(browser, live_server, app, make_user, spanish, viewport, direction):
    from puchi.learning.exercises import split_words
    from puchi.learning.steps import Direction
    from tests.e2e.conftest import place_tiles, tile_words

    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    _learner, session_id = _start(page, app, make_user)
    step = _put_tiles_first(app, session_id, Direction(direction))
    page.reload()
    got_it(page)  # a phrase met for the first time is taught first
    line = page.locator("[data-tile-line]")
    assert line.is_visible() and not page.locator("input.answer-input").is_visible()
    check = page.get_by_role("button", name="Check")
    assert check.is_disabled()
    right = right_answer(app, step)["answer"]
    words = {w.strip(".,!?¿¡").casefold() for w in right.split()}
    spare = next(i for i, t in enumerate(step.tiles) if t.casefold() not in words)
    page.locator(f'[data-tile][data-key="{spare + 1}"]').click()  # a distractor, then taken back
    assert line.locator("[data-placed]").count() == 1 and check.is_enabled()
    line.locator("[data-placed]").first.click()
    assert line.locator("[data-placed]").count() == 0 and check.is_disabled()
    assert page.locator(f'[data-tile][data-key="{spare + 1}"]').is_enabled()
    spelled = " ".join(split_words(right, "es"))  # without its punctuation, as the tiles are
    place_tiles(page, step, spelled)
    assert line.locator("[data-placed]").count() == len(tile_words(step, spelled))
    page.screenshot(path=f"test-artifacts/lesson-tiles-{'phone' if viewport is PHONE else 'desktop'}.png")
    check.click()
    page.locator(".feedback--correct, .feedback--almost").first.wait_for()
    context.close()


def test_word_tiles_by_keyboard_keep_focus_in_the_bank_and_run_the_answers_way_in_arabic(page, app, make_user,
                                                                                          spanish):
    from puchi.accounts.models import User
    from puchi.learning.steps import Direction

    learner, session_id = _start(page, app, make_user)
    step = _put_tiles_first(app, session_id, Direction.TO_TARGET)
    with app.app_context():
        db.session.get(User, learner.id).locale = "ar"  # a right-to-left interface over a Spanish answer
        db.session.commit()
    page.reload()
    got_it(page)
    assert page.locator("html").get_attribute("dir") == "rtl"
    line = page.locator("[data-tile-line]")
    assert line.get_attribute("dir") == "ltr" and page.locator(".tiles").get_attribute("dir") == "ltr"
    page.locator('[data-tile][data-key="1"]').focus()
    page.keyboard.press("Enter")  # places the tile; the keyboard stays among the tiles left
    assert line.locator("[data-placed]").count() == 1
    assert page.evaluate("document.activeElement.matches('[data-tile]:not([disabled])')")
    page.keyboard.press("Enter")  # another tile, not a check of a one-word answer
    assert line.locator("[data-placed]").count() == 2 and page.locator(".feedback").count() == 0
    assert lesson_state(app, session_id).position == 0
    first, second = (line.locator("[data-placed]").nth(n).bounding_box() for n in (0, 1))
    assert first["x"] < second["x"]  # Spanish reads left to right, even in an Arabic page
    page.keyboard.press("Shift+Tab")
    page.locator("[data-check]").focus()  # after keys, so focus is visible: a ring the button's shadow can't hide
    assert page.evaluate("getComputedStyle(document.querySelector('[data-check]')).outlineStyle") == "solid"
    assert len(step.tiles) >= 2


# The browser's speech recognition talks to a service that cannot exist here: it is replaced at its API, as a
# browser with no microphone (nothing heard) or one that heard the learner would answer.
FAKE_RECOGNITION = """
window.__speech = [];
window.SpeechRecognition = window.webkitSpeechRecognition = class {
  start() {
    const heard = window.__speech.shift();
    setTimeout(() => {
      if (heard) this.onresult({results: [[{transcript: heard}]]});
      else if (this.onerror) this.onerror({error: "no-speech"});
      this.onend();
    }, 200);
  }
};
"""


def test_speaking_says_it_listens_and_when_it_heard_nothing(page, app, make_user, spanish):
    from sqlalchemy import select

    from puchi.learning import exercises
    from puchi.learning.models import Item, LessonSession

    page.add_init_script(FAKE_RECOGNITION)
    _learner, session_id = _start(page, app, make_user)
    with app.app_context():
        session = db.session.get(LessonSession, session_id)
        item = db.session.scalar(select(Item).where(Item.text == "Soy de Londres."))
        session.steps = [exercises.speak_step(item), *session.steps[1:]]
        db.session.commit()
    page.reload()
    got_it(page)
    speak = page.locator("[data-listen-for-speech]")
    speak.click()
    assert speak.is_disabled() and speak.text_content() == "Listening…"
    status = page.locator("[data-speech-status]")
    status.filter(has_text="Puchi could not hear you.").wait_for()
    assert speak.is_enabled() and speak.text_content() == "Start speaking"
    assert page.evaluate("document.activeElement.id") == "answer"  # the keyboard is the other way
    page.evaluate("window.__speech.push('Soy de Londres')")
    speak.click()
    assert wait_until(lambda: page.input_value("#answer") == "Soy de Londres", timeout=5)
    assert page.locator("[data-check]").is_enabled()


def test_the_special_characters_are_one_tab_stop_walked_with_the_arrow_keys(page, app, make_user, spanish):
    from sqlalchemy import select

    from puchi.learning import exercises
    from puchi.learning.models import Item, LessonSession
    from puchi.learning.steps import Direction

    _learner, session_id = _start(page, app, make_user)
    with app.app_context():
        session = db.session.get(LessonSession, session_id)
        item = db.session.scalar(select(Item).where(Item.text == "Soy de Londres."))
        session.steps = [exercises.translate_step(item, Direction.TO_TARGET), *session.steps[1:]]
        db.session.commit()
    page.reload()
    got_it(page)
    answer = page.locator("#answer")
    answer.focus()
    page.keyboard.press("Tab")  # from the answer to the first character, not past them all
    chars = page.locator(".char-button")
    first, second = chars.nth(0).text_content(), chars.nth(1).text_content()
    assert page.evaluate("document.activeElement.textContent") == first
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == second
    page.keyboard.press("Enter")  # typed into the answer, which takes the keyboard back
    assert answer.input_value() == second and page.evaluate("document.activeElement.id") == "answer"
    page.keyboard.press("Tab")  # the stop is now the character last used
    assert page.evaluate("document.activeElement.textContent") == second


def test_a_wrong_answer_sounds_and_vibrates_when_sound_effects_are_on(page, app, make_user, spanish):
    page.add_init_script("window.__buzz = []; navigator.vibrate = (ms) => { window.__buzz.push(ms); return true; };")
    _learner, session_id = _start(page, app, make_user)
    got_it(page)
    step = lesson_state(app, session_id).steps[0]
    page.locator(f'input[value="{wrong_answer(app, step)["answer"]}"]').check(force=True)
    with page.expect_request(re.compile(r"/static/sounds/wrong\.wav$")):
        page.locator("[data-check]").click()
    assert wait_until(lambda: page.evaluate("window.__buzz.length") == 1, timeout=5)


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_the_celebration_counts_up_and_names_achievements_once(browser, live_server, app, make_user, spanish,
                                                                motion):
    from tests.e2e.conftest import answer_right_with_the_mouse

    context = browser.new_context(base_url=live_server, viewport=PHONE, reduced_motion=motion)
    page = context.new_page()
    _learner, session_id = _start(page, app, make_user)
    for _ in range(40):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            break
        answer_right_with_the_mouse(page, app, session.position, session.steps[session.position])
        page.locator("[data-continue]").click()
    page.get_by_role("heading", name="Lesson complete!").wait_for()
    xp = page.locator(".reward-xp")
    xp.wait_for()
    total = xp.get_attribute("data-count-up")
    assert wait_until(lambda: xp.inner_text() == f"+{total} XP", timeout=5)
    assert page.locator(".reward-achievements").count() <= 1
    assert page.locator("#toasts").is_hidden()  # live toasts wait in the bell during a lesson
    mascot_animation = page.locator(".lesson-mascot").evaluate("el => getComputedStyle(el).animationName")
    assert (mascot_animation == "none") == (motion == "reduce")
    assert _in_view(page, page.get_by_role("link", name="Continue"))
    page.screenshot(path=f"test-artifacts/lesson-complete-{motion}.png", full_page=True)
    assert axe_violations(page) == []
    context.close()
