"""Listening steps in Chromium: the server's recording plays in an <audio> element; with no recording and no
voice for the language (headless Chromium has no voices at all), the page says so and offers the text."""

import re
import shutil

import pytest

from puchi.core.db import db
from tests.conftest import wait_until
from tests.e2e.conftest import download_lessons, got_it, log_in_on_page
from tests.learning.conftest import first_skill_id

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_settings(request):
    return {"TTS_ENGINE": getattr(request, "param", "none")}


def _listening_lesson(page, app, make_user):
    """Start a lesson whose first step is a listening step over its first new word."""
    from puchi.learning.models import Item, LessonSession
    from puchi.learning.steps import Direction, ExerciseType, Step

    make_user("noa@example.com", display_name="Noa")
    log_in_on_page(page, "noa@example.com")
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    page.goto(f"/skills/{first_skill_id(app)}")
    page.get_by_role("button", name="Start the first lesson").click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    session_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        session = db.session.get(LessonSession, session_id)
        item = db.session.get(Item, session.steps[0].item_id)
        step = Step(ExerciseType.LISTEN, item_id=item.id, direction=Direction.TO_TARGET, say=item.text)
        session.steps = [step, *session.steps[1:]]
        db.session.commit()
        text = item.text
        db.session.remove()
    page.reload()
    got_it(page)
    return text


def test_with_no_voice_and_no_recording_the_text_is_offered(page, app, live_server, make_user, spanish):
    text = _listening_lesson(page, app, make_user)
    assert page.evaluate("() => speechSynthesis.getVoices().length") == 0  # headless Chromium speaks nothing
    page.get_by_text("Your device has no Spanish voice, so here is the text to copy instead.").wait_for()
    fallback = page.locator("[data-listen-fallback]")
    assert fallback.get_attribute("open") is not None
    assert fallback.locator("p").inner_text() == text and fallback.locator("p").is_visible()
    assert not page.get_by_role("button", name="Play again").is_visible()  # no silent button
    assert page.locator("audio").count() == 0
    page.locator("input.answer-input").fill(text)
    page.get_by_role("button", name="Check").click()
    page.locator(".feedback--correct").wait_for()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng (scripts/test installs it)")
@pytest.mark.parametrize("app_settings", ["espeak-ng"], indirect=True)
def test_the_servers_recording_plays_in_an_audio_element(page, app, live_server, make_user, spanish):
    _listening_lesson(page, app, make_user)  # "Got it" on the teach card: the question speaks as it appears
    audio = page.locator("[data-say]:not(.teach-listen) + audio[data-item-audio]")
    audio.wait_for(state="attached")
    assert re.search(r"/items/\d+/speech/[0-9a-f]{24}$", audio.get_attribute("src"))
    served = page.request.get(audio.get_attribute("src"))
    assert served.status == 200 and served.headers["content-type"] == "audio/wav"
    page.get_by_role("button", name="Play again").click()
    assert wait_until(lambda: page.evaluate(
        "() => { const a = document.querySelector('[data-say]:not(.teach-listen) + audio[data-item-audio]');"
        " return a.played.length > 0 && a.duration > 0.2 && !a.error; }"), timeout=10)
    assert page.get_by_role("button", name="Play again").is_visible()
    assert not page.get_by_text("Your device has no Spanish voice").is_visible()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng (scripts/test installs it)")
@pytest.mark.parametrize("app_settings", ["espeak-ng"], indirect=True)
def test_downloaded_lessons_bring_their_recordings_for_offline_play(page, app, live_server, make_user, spanish):
    download_lessons(page, make_user, "ivo@example.com", "Ivo")
    kept = page.evaluate("async () => (await (await caches.open('puchi-audio')).keys()).map((r) => r.url)")
    assert kept and all(re.search(r"/items/\d+/speech/[0-9a-f]{24}$", url) for url in kept)

    page.context.set_offline(True)
    try:
        page.goto("/offline/lesson")
        page.wait_for_selector("form[data-exercise]", state="attached")
        # Each new word's card has its recording; offline, the service worker answers from the download.
        played = page.evaluate("""async (url) => {
            const audio = new Audio(url);
            await new Promise((resolve, reject) => { audio.oncanplaythrough = resolve; audio.onerror = reject; });
            return audio.duration; }""", kept[0])
        assert played > 0.2
    finally:
        page.context.set_offline(False)
