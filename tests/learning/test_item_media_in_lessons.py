"""The lesson page's item media: the picture on the steps that show the word, and the item's recording handed to
lesson.js (which plays it before falling back to speech synthesis)."""

from __future__ import annotations

from types import SimpleNamespace

from flask import render_template_string


def _render(app, template: str, *, image_key=None, audio_key=None, step_type="translate", say="hola"):
    item = SimpleNamespace(text="hola", image_key=image_key, audio_key=audio_key)
    with app.test_request_context("/"):
        return render_template_string(template, view=SimpleNamespace(item=item),
                                      step=SimpleNamespace(type=step_type, say=say))


PICTURE = '{% include "learning/_item_picture.html" %}'
AUDIO = '<button data-say="hola"{% include "learning/_item_audio_attr.html" %}>'


def test_the_picture_shows_on_steps_that_show_the_word(app):
    assert '<img src="/media/items/1/image-ab.png" alt=""' in _render(app, PICTURE, image_key="items/1/image-ab.png")
    assert "<img" not in _render(app, PICTURE, image_key="items/1/image-ab.png", step_type="listen_type")
    assert "<img" not in _render(app, PICTURE)


def test_the_recording_goes_to_the_listen_button(app):
    assert 'data-audio="/media/items/1/audio-cd.mp3"' in _render(app, AUDIO, audio_key="items/1/audio-cd.mp3")
    assert "data-audio" not in _render(app, AUDIO)
    assert "data-audio" not in _render(app, AUDIO, audio_key="items/1/audio-cd.mp3", say="adiós")

