"""Text to speech behind one small interface, so a lesson can play a recording of any text.

:class:`SpeechEngine` is what an engine provides; two exist here: :class:`EspeakNg` (Debian's ``espeak-ng``
program, offline and fast: a sentence renders in well under 100 ms) and :class:`NoSpeech` (nothing is
rendered: lessons fall back to the browser's voice, then to the text). A cloud engine is one more class with
the same three methods, named by the ``PUCHI_TTS`` setting as ``package.module:ClassName`` (its constructor
takes the app's config). ``PUCHI_TTS`` is ``espeak-ng`` by default (which becomes "none" when the program is
not installed) or ``none``.

Core knows no domain: callers decide what is spoken, where the result is kept and when (learning caches each
item's recording in the file storage, see ``puchi/learning/speech.py``).
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

ESPEAK = "espeak-ng"
NONE = "none"
RENDER_TIMEOUT_SECONDS = 10


class SpeechError(Exception):
    """The engine could not render this text (a crash, a timeout, an unreachable service)."""


@dataclass(frozen=True)
class Speech:
    data: bytes
    content_type: str


class SpeechEngine(Protocol):
    name: str  # part of every cached file's key: another engine's recordings are other files
    extension: str  # the files' ending ("wav", "ogg", "mp3"), so a stored rendering is found again

    def voice_for(self, language: str) -> str | None:
        """The engine's voice for a language code ("es", "pt-BR"), or None when it cannot speak it."""
        ...

    def render(self, text: str, voice: str) -> Speech:
        """The text spoken by the voice. :raises SpeechError: it could not be rendered."""
        ...


class NoSpeech:
    """No engine: nothing is ever rendered."""

    name = NONE
    extension = "wav"

    def voice_for(self, language: str) -> str | None:
        return None

    def render(self, text: str, voice: str) -> Speech:
        raise SpeechError("no text-to-speech engine is configured")


@cache
def _espeak_voices(program: str) -> tuple[str, ...]:
    """The language codes espeak-ng has voices for, as it lists them (``es``, ``es-419``, ``fr-fr``, ...)."""
    try:
        listing = subprocess.run([program, "--voices"], capture_output=True, text=True, check=True,
                                 timeout=RENDER_TIMEOUT_SECONDS).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    codes = []
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            codes.append(parts[1].lower())
    return tuple(codes)


class EspeakNg:
    """espeak-ng, run once per text; WAV (mono, 22 kHz) on its standard output."""

    name = ESPEAK
    extension = "wav"

    def __init__(self, program: str) -> None:
        self.program = program

    def voice_for(self, language: str) -> str | None:
        wanted = language.lower().replace("_", "-")
        voices = _espeak_voices(self.program)
        if wanted in voices:
            return wanted
        base = wanted.split("-")[0]
        if base in voices:
            return base
        return next((code for code in voices if code.split("-")[0] == base), None)

    def render(self, text: str, voice: str) -> Speech:
        if voice not in _espeak_voices(self.program):
            raise SpeechError(f"espeak-ng has no voice {voice!r}")
        # Into a file, not to standard output, where the WAV header cannot say how long the recording is. The
        # text goes on standard input, never as an argument: nothing in it can look like an option.
        with tempfile.TemporaryDirectory(prefix="puchi-speech-") as folder:
            target = Path(folder) / "speech.wav"
            try:
                subprocess.run([self.program, "-v", voice, "-w", str(target), "--stdin"], input=text.encode(),
                               capture_output=True, check=True, timeout=RENDER_TIMEOUT_SECONDS)
                data = target.read_bytes()
            except (OSError, subprocess.SubprocessError) as error:
                raise SpeechError(f"espeak-ng failed: {error}") from error
        if not data.startswith(b"RIFF"):
            raise SpeechError("espeak-ng gave no WAV")
        return Speech(data, "audio/wav")


def engine_from_config(config: Any) -> SpeechEngine:
    """The engine ``TTS_ENGINE`` names: ``espeak-ng`` (when installed), ``none``, or ``module:Class``."""
    wanted = str(config.get("TTS_ENGINE") or ESPEAK).strip()
    if wanted == NONE:
        return NoSpeech()
    if wanted == ESPEAK:
        program = shutil.which(ESPEAK)
        return EspeakNg(program) if program else NoSpeech()
    module_name, _, class_name = wanted.partition(":")
    engine: SpeechEngine = getattr(importlib.import_module(module_name), class_name)(config)
    return engine


def engine() -> SpeechEngine:
    """The app's engine, made on first use."""
    found = current_app.extensions.get("puchi_speech")
    if found is None:
        found = current_app.extensions["puchi_speech"] = engine_from_config(current_app.config)
    return found
