"""Items spoken aloud: the course's own recording first, else the text-to-speech engine's (puchi/core/speech.py),
rendered once per item text and voice and kept in the file storage.

When to render: on the first request for the recording, under a lock, rather than in a queued job. espeak-ng
renders a sentence in tens of milliseconds, so the first learner waits no longer than for any page, and a
queued job would need a database write (the outbox) from a GET page and a page that polls until the file
exists, for no gain. The lock (Redis when configured, so it holds across processes; a per-process lock
otherwise) makes concurrent first requests render once: the others wait for it and read the stored file.
A slow cloud engine stays bounded by its own timeout (``RENDER_TIMEOUT_SECONDS`` for espeak-ng).

The recording's address names a digest of the engine, the voice and the text, so it never changes meaning and
is served with a year's cache; a changed text gets another address (the old one is gone: 404).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select

from puchi.core.db import db
from puchi.core.errors import NotFound
from puchi.core.speech import SpeechError, engine
from puchi.core.storage import StorageError, StoredFile, storage
from puchi.learning.media import media_url
from puchi.learning.models import Course, Item

LOCK_SECONDS = 60  # longer than any render: a crashed holder frees the lock by then
_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def _digest(engine_name: str, voice: str, text: str) -> str:
    return hashlib.sha256(f"{engine_name}\0{voice}\0{text}".encode()).hexdigest()[:24]


def _key(engine_name: str, voice: str, digest: str, extension: str) -> str:
    return f"speech/{engine_name}/{voice.lower()}/{digest}.{extension}"


def item_audio_url(item: Any, language: str | None) -> str | None:
    """Where a lesson fetches an item's recording: the course's own file, else the engine's rendering (made
    on first request), else None (no engine speaks this language: the browser's voice, then the text)."""
    if item is None:
        return None
    if getattr(item, "audio_key", None):
        return media_url(item.audio_key)
    if not language:
        return None
    speaker = engine()
    voice = speaker.voice_for(language)
    if voice is None:
        return None
    return url_for("learning.item_speech", item_id=item.id, digest=_digest(speaker.name, voice, item.text))


@contextmanager
def _render_lock(key: str) -> Iterator[None]:
    """Held by one renderer of ``key`` at a time (across processes when Redis is configured)."""
    if current_app.config.get("REDIS_URL"):
        from puchi.core.jobs import redis_connection

        lock = redis_connection(current_app.config["REDIS_URL"]).lock(
            f"puchi:speech:{key}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
        if not lock.acquire():
            raise SpeechError(f"another process is still rendering {key}")
        try:
            yield
        finally:
            lock.release()
        return
    with _local_locks_guard:
        local = _local_locks.setdefault(key, threading.Lock())
    with local:
        yield


_TYPES = {"wav": "audio/wav", "ogg": "audio/ogg", "mp3": "audio/mpeg", "webm": "audio/webm"}


def _stored(key: str) -> StoredFile | None:
    try:
        found = storage().open(key)
    except StorageError:
        return None
    if found is None:
        return None
    # The same type whether just rendered or read back (the disk guesses "audio/x-wav" from the name).
    return StoredFile(found.data, _TYPES.get(key.rsplit(".", 1)[-1], found.content_type))


def item_speech(item_id: int, digest: str) -> StoredFile | str:
    """An item's recording: the course's own file (its URL, to redirect to), else the engine's, rendered now
    if it was not yet. Never writes the database.

    :raises NotFound: no such item, no engine for its language, or the digest names another text."""
    row = _item_and_language(item_id)
    if row is None:
        raise NotFound
    item, language = row
    if item.audio_key:
        url = media_url(item.audio_key)
        assert url is not None
        return url
    speaker = engine()
    voice = speaker.voice_for(language)
    if voice is None or digest != _digest(speaker.name, voice, item.text):
        raise NotFound
    key = _key(speaker.name, voice, digest, speaker.extension)
    cached = _stored(key)
    if cached is not None:
        return cached
    with _render_lock(key):
        cached = _stored(key)  # rendered by whoever held the lock before us
        if cached is not None:
            return cached
        try:
            spoken = speaker.render(item.text, voice)
        except SpeechError as error:
            current_app.logger.warning("speech for item %s not rendered: %s", item_id, error)
            raise NotFound from error
        try:
            storage().put(key, spoken.data, spoken.content_type)
        except StorageError as error:  # served all the same; rendered again next time
            current_app.logger.warning("speech for item %s not stored: %s", item_id, error)
        return StoredFile(spoken.data, spoken.content_type)


def _item_and_language(item_id: int) -> tuple[Item, str] | None:
    row = db.session.execute(select(Item, Course.target_language).join(Course, Course.id == Item.course_id)
                             .where(Item.id == item_id)).first()
    return (row[0], row[1]) if row else None
