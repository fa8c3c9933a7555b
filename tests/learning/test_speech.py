"""Items spoken aloud: espeak-ng renders a real recording once per item and voice, keeps it in the file storage
and serves it for good; a course's own recording comes first; concurrent first requests render once."""

from __future__ import annotations

import io
import shutil
import threading
import wave
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.core.speech import EspeakNg, NoSpeech, Speech, engine_from_config
from puchi.core.storage import storage
from puchi.learning.models import Item
from puchi.learning.speech import item_audio_url
from puchi.learning.steps import Direction, ExerciseType, Step
from tests.learning.conftest import first_skill_id, start_lesson

ESPEAK_PROGRAM = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK_PROGRAM is None, reason="no espeak-ng (scripts/test installs it)")


class CountingEspeak(EspeakNg):
    """The real espeak-ng, counting its renders (an engine as PUCHI_TTS names one: module:Class(config))."""

    renders = 0
    count_lock = threading.Lock()

    def __init__(self, config: object) -> None:
        super().__init__(ESPEAK_PROGRAM or "espeak-ng")

    def render(self, text: str, voice: str) -> Speech:
        with CountingEspeak.count_lock:
            CountingEspeak.renders += 1
        return super().render(text, voice)


@pytest.fixture
def app_settings(request):
    settings = {"TTS_ENGINE": "tests.learning.test_speech:CountingEspeak"}
    if getattr(request, "param", None) == "redis":  # the lock then holds across processes
        settings["REDIS_URL"] = request.getfixturevalue("redis_server").url
    return settings


@pytest.fixture(autouse=True)
def _count_from_zero():
    CountingEspeak.renders = 0


def _item(app, text: str = "hola") -> Item:
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.text == text))
        db.session.expunge(item)
        return item


def _speech_url(app, item: Item) -> str:
    with app.test_request_context("/"):
        url = item_audio_url(item, "es")
    assert url is not None
    return url


def _not_rendered_yet(app, url: str) -> None:
    """The media folder lives as long as the test session: forget an earlier test's rendering."""
    with app.app_context():
        storage().delete("speech/espeak-ng/es/" + url.rsplit("/", 1)[1] + ".wav")


@needs_espeak
def test_espeak_ng_renders_a_real_wav():
    speaker = EspeakNg(ESPEAK_PROGRAM)
    voice = speaker.voice_for("es")
    assert voice == "es"
    assert speaker.voice_for("pt-BR") == "pt-br" and speaker.voice_for("xx") is None
    spoken = speaker.render("¡Buenas noches y hasta mañana!", voice)
    assert spoken.content_type == "audio/wav"
    with wave.open(io.BytesIO(spoken.data)) as recording:
        assert recording.getnchannels() == 1
        seconds = recording.getnframes() / recording.getframerate()
    assert 0.8 < seconds < 5


def test_without_espeak_ng_or_with_none_there_is_no_engine(app, monkeypatch):
    assert isinstance(engine_from_config({"TTS_ENGINE": "none"}), NoSpeech)
    monkeypatch.setenv("PATH", "/nonexistent")  # a machine without espeak-ng: the lessons' fallbacks play
    assert isinstance(engine_from_config({"TTS_ENGINE": "espeak-ng"}), NoSpeech)
    with app.test_request_context("/"):
        app.extensions["puchi_speech"] = NoSpeech()
        assert item_audio_url(SimpleNamespace(id=1, text="hola", audio_key=None), "es") is None


@needs_espeak
def test_an_item_is_rendered_once_then_served_from_storage_for_good(app, client, spanish):
    url = _speech_url(app, _item(app))
    _not_rendered_yet(app, url)
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    assert first.data.startswith(b"RIFF")
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert CountingEspeak.renders == 1
    key = "speech/espeak-ng/es/" + url.rsplit("/", 1)[1] + ".wav"
    with app.app_context():
        assert storage().open(key).data == first.data
    second = client.get(url)
    assert second.status_code == 200 and second.data == first.data and second.mimetype == "audio/wav"
    assert CountingEspeak.renders == 1  # the second request rendered nothing


@needs_espeak
@pytest.mark.parametrize("app_settings", ["process", "redis"], indirect=True)
def test_concurrent_first_requests_render_once(app, spanish):
    url = _speech_url(app, _item(app, "gracias"))
    _not_rendered_yet(app, url)
    start = threading.Barrier(6)
    answers: list[tuple[int, bytes]] = []

    def fetch() -> None:
        with app.test_client() as client:
            start.wait()
            response = client.get(url)
            answers.append((response.status_code, response.data))

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [200] * 6
    assert len({data for _, data in answers}) == 1
    assert CountingEspeak.renders == 1


@needs_espeak
def test_a_courses_own_recording_comes_first(app, client, spanish):
    item = _item(app)
    stale_url = _speech_url(app, item)
    recording = b"OggS" + b"\0" * 60
    key = f"items/{item.id}/audio-0123abcd.ogg"
    with app.app_context():
        storage().put(key, recording, "audio/ogg")
        db.session.get(Item, item.id).audio_key = key
        db.session.commit()
        item = db.session.get(Item, item.id)
        db.session.expunge(item)
    assert _speech_url(app, item) == f"/media/{key}"
    moved = client.get(stale_url)  # an address handed out before the recording came: it now plays the course's
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/media/{key}")
    assert client.get(f"/media/{key}").data == recording
    assert CountingEspeak.renders == 0


@needs_espeak
def test_a_changed_text_or_an_unknown_item_is_not_found(app, client, spanish):
    item = _item(app)
    url = _speech_url(app, item)
    assert client.get(url.rsplit("/", 1)[0] + "/0123456789abcdef01234567").status_code == 404
    assert client.get("/items/999999/speech/0123456789abcdef01234567").status_code == 404
    assert CountingEspeak.renders == 0


@needs_espeak
def test_a_listening_step_hands_its_recording_to_the_player(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    item = _item(app)
    with app.app_context():
        from puchi.learning.models import LessonSession

        session = db.session.get(LessonSession, session_id)
        step = Step(ExerciseType.LISTEN, item_id=item.id, direction=Direction.TO_TARGET, say=item.text)
        session.steps = [step, *session.steps[1:]]
        db.session.commit()
    page = client.get(f"/lessons/{session_id}").text
    assert f'data-say="hola" data-lang="es" data-audio="{_speech_url(app, item)}"' in page
    assert CountingEspeak.renders == 0  # rendered when the browser asks for it, not with the page
