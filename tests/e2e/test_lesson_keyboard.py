"""A whole Spanish lesson played with the keyboard alone, in Chromium: wrong, almost and right answers."""

import re

import pytest

from puchi.learning import exercises
from tests.conftest import wait_until
from tests.learning.conftest import first_skill_id, lesson_state, right_answer, wrong_answer

pytestmark = pytest.mark.e2e


def _answer_with_keys(page, step, data):
    """Answer one step the way a keyboard user does: number keys for choices and tiles, typing, Enter."""
    keyboard = page.keyboard
    if step.type == exercises.MATCH:  # number keys: a word (1-4), then its partner (5-8)
        for n in range(len(step.item_ids)):
            keyboard.press(str(n + 1))
            keyboard.press(str(len(step.left) + step.right.index(data[f"pair_{n}"]) + 1))
        keyboard.press("Enter")
    elif step.choices:
        keyboard.press(str(step.choices.index(data["answer"]) + 1))
        keyboard.press("Enter")
    elif step.type == exercises.TILES and data["answer"] in step.joiner.join(step.tiles) or (
            step.type == exercises.TILES and _can_build(step, data["answer"])):
        used: set[int] = set()
        for word in _tile_words(step, data["answer"]):
            index = next(i for i, tile in enumerate(step.tiles) if tile == word and i not in used)
            used.add(index)
            keyboard.press(str(index + 1))
        keyboard.press("Enter")
    else:
        keyboard.type(data["answer"])
        keyboard.press("Enter")


def _tile_words(step, answer):
    words, rest = [], answer
    while rest:
        word = max((t for t in step.tiles if rest.startswith(t)), key=len)
        words.append(word)
        rest = rest[len(word):].lstrip(" ")
    return words


def _can_build(step, answer):
    try:
        return bool(_tile_words(step, answer))
    except ValueError:
        return False


def test_a_whole_lesson_by_keyboard(page, app, live_server, make_user, spanish):
    make_user("teo@example.com", display_name="Teo")
    page.goto("/login")
    page.get_by_label("Email").fill("teo@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/home$"))

    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/courses/"))
    page.goto(f"/skills/{first_skill_id(app)}")
    start = page.get_by_role("button", name="Start the first lesson")
    assert wait_until(lambda: start.evaluate("el => el === document.activeElement"), timeout=5)
    page.keyboard.press("Enter")  # the start button has the focus
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    session_id = int(page.url.rsplit("/", 1)[1])

    verdicts = []
    for _ in range(40):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            break
        index = session.position
        page.wait_for_selector(f'input[name="step"][value="{index}"]', state="attached")
        # Keys go where the focus is: wait until the new exercise's first control has it, as a person would.
        assert wait_until(lambda: page.evaluate(
            "() => !!(document.activeElement && document.activeElement.closest('form[data-exercise]'))"),
            timeout=5), "the new exercise should take the focus"
        step = session.steps[index]
        if page.locator("[data-got-it]").is_visible():  # a new word's teach card first: Enter says "Got it"
            page.keyboard.press("Enter")
            assert wait_until(lambda: page.evaluate(
                "() => !!(document.activeElement && document.activeElement.closest('form[data-exercise]'))"
                " && !document.querySelector('.lesson--teaching')"), timeout=5)
        data = right_answer(app, step)
        if "wrong" not in verdicts and step.choices:
            data = wrong_answer(app, step)
        elif "almost" not in verdicts and step.type == exercises.TRANSLATE and len(data["answer"]) >= 5:
            data = {"answer": data["answer"] + data["answer"][-1]}
        _answer_with_keys(page, step, data)
        feedback = page.locator(".feedback")
        feedback.wait_for()
        verdicts.append(re.search(r"feedback--(\w+)", feedback.get_attribute("class")).group(1))
        assert wait_until(lambda: page.locator("[data-continue]").evaluate("el => el === document.activeElement"),
                          timeout=5), "the Continue button should have the focus"
        page.keyboard.press("Enter")
    page.get_by_role("heading", name="Lesson complete!").wait_for()

    assert {"wrong", "almost", "correct"} <= set(verdicts), verdicts
    page.screenshot(path="test-artifacts/lesson-complete-phone.png", full_page=True)
    assert page.get_by_text("Words practised").is_visible()
