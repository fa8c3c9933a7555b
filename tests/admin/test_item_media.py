"""Pictures and recordings for items: uploaded by an editor (checked by content), served with their type and
for good caching (from the media folder, or from an S3 bucket), shown in lessons, and removed."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from sqlalchemy import select

from puchi.core.db import db
from puchi.core.events import Event
from puchi.core.storage import LocalStorage, S3Storage, storage
from puchi.learning.models import Course, Item
from tests.conftest import post_form
from tests.learning.conftest import SPANISH, _seeded
from tests.services import S3_BUCKET as BUCKET
from tests.services import s3_server


@pytest.fixture
def spanish(app) -> str:
    return _seeded(app, SPANISH)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 400


def _item(app, text: str = "hola") -> tuple[int, str]:
    with app.app_context():
        item = db.session.scalar(select(Item).join(Course, Course.id == Item.course_id)
                                 .where(Course.slug == SPANISH, Item.text == text))
        assert item is not None
        return item.id, SPANISH


def _upload(client, item_id: int, kind: str, payload: bytes, name: str = "f.bin"):
    return post_form(client, f"/admin/courses/{SPANISH}/media",
                     {"kind": kind, "file": (io.BytesIO(payload), name)},
                     action=f"/admin/courses/{SPANISH}/items/{item_id}/media", content_type="multipart/form-data")


def _keys(app, item_id: int) -> tuple[str | None, str | None]:
    with app.app_context():
        item = db.session.get(Item, item_id)
        return item.image_key, item.audio_key


def test_an_editor_uploads_a_picture_and_a_recording_and_learners_get_them(app, spanish, staff_client, client):
    editor, user = staff_client("editor")
    item_id, _ = _item(app)
    page = editor.get(f"/admin/courses/{SPANISH}/media")
    assert page.status_code == 200 and f'id="item-{item_id}"' in page.text

    response = _upload(editor, item_id, "image", _png(), "sol.png")
    assert response.status_code == 302
    assert _upload(editor, item_id, "audio", MP3, "hola.mp3").status_code == 302
    image_key, audio_key = _keys(app, item_id)
    assert image_key and image_key.startswith(f"items/{item_id}/image-") and image_key.endswith(".png")
    assert audio_key and audio_key.endswith(".mp3")
    with app.app_context():
        assert isinstance(storage(), LocalStorage)
        names = db.session.scalars(select(Event.name).where(Event.actor_id == user.id,
                                                            Event.name == "item.media_changed")).all()
    assert len(names) == 2

    picture = client.get(f"/media/{image_key}")  # anyone: course content is public
    assert picture.status_code == 200 and picture.mimetype == "image/png" and picture.data == _png()
    assert "immutable" in picture.headers["Cache-Control"]
    recording = client.get(f"/media/{audio_key}")
    assert recording.status_code == 200 and recording.mimetype == "audio/mpeg"
    assert client.get("/media/items/999/image-0.png").status_code == 404  # no item names it
    assert client.get("/media/../../etc/passwd").status_code == 404

    listed = editor.get(f"/admin/courses/{SPANISH}/media").text
    assert f'src="/media/{image_key}"' in listed and f'src="/media/{audio_key}"' in listed


def test_uploads_are_checked_by_content(app, spanish, staff_client):
    editor, _ = staff_client("editor")
    item_id, _ = _item(app)
    fake = _upload(editor, item_id, "image", b"<svg onload=alert(1)>", "x.png")
    assert fake.status_code == 422 and "This is not a PNG, JPEG, WebP or GIF picture." in fake.text
    not_audio = _upload(editor, item_id, "audio", _png(), "x.mp3")
    assert not_audio.status_code == 422 and "This is not an MP3" in not_audio.text
    truncated = _upload(editor, item_id, "image", _png()[:40], "x.png")
    assert truncated.status_code == 422
    empty = post_form(editor, f"/admin/courses/{SPANISH}/media", {"kind": "image"},
                      action=f"/admin/courses/{SPANISH}/items/{item_id}/media")
    assert empty.status_code == 422 and "Choose a file." in empty.text
    assert _upload(editor, item_id, "video", _png()).status_code == 404
    assert _keys(app, item_id) == (None, None)


def test_removing_a_picture_deletes_its_file(app, spanish, staff_client):
    editor, _ = staff_client("editor")
    item_id, _ = _item(app)
    _upload(editor, item_id, "image", _png())
    image_key, _ = _keys(app, item_id)
    removed = post_form(editor, f"/admin/courses/{SPANISH}/media", {"kind": "image", "remove": "1"},
                        action=f"/admin/courses/{SPANISH}/items/{item_id}/media")
    assert removed.status_code == 302
    assert _keys(app, item_id) == (None, None)
    with app.app_context():
        assert storage().open(image_key) is None


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server(BUCKET) as endpoint:
        yield endpoint


class TestInAnS3Bucket:
    @pytest.fixture
    def app_settings(self, s3_endpoint):
        return {"S3_ENDPOINT": s3_endpoint, "S3_BUCKET": BUCKET, "S3_ACCESS_KEY": "test", "S3_SECRET_KEY": "test"}

    def test_uploads_go_to_the_bucket_and_pages_may_load_from_it(self, app, spanish, staff_client, client,
                                                                 s3_endpoint):
        editor, _ = staff_client("editor")
        item_id, _ = _item(app)
        assert _upload(editor, item_id, "image", _png()).status_code == 302
        image_key, _ = _keys(app, item_id)
        with app.app_context():
            assert isinstance(storage(), S3Storage)
            stored = storage().open(image_key)
        assert stored is not None and stored.data == _png() and stored.content_type == "image/png"
        served = client.get(f"/media/{image_key}")
        assert served.status_code == 302 and served.headers["Location"].startswith(f"{s3_endpoint}/{BUCKET}/")
        page = editor.get(f"/admin/courses/{SPANISH}/media")
        assert s3_endpoint in page.headers["Content-Security-Policy"]
