"""Media storage: the local disk by default, an S3-compatible bucket (moto's server on loopback) when configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from puchi.config import load_config
from puchi.core.storage import LocalStorage, S3Storage, StorageError, storage_from_config
from tests.services import S3_BUCKET as BUCKET
from tests.services import free_port, s3_server


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server(BUCKET) as endpoint:
        yield endpoint


def test_the_default_is_a_media_folder_in_the_instance(tmp_path):
    config = load_config(str(tmp_path), {})
    storage = storage_from_config(config)
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path / "media"
    assert isinstance(storage_from_config(load_config(str(tmp_path), {"PUCHI_MEDIA_DIR": str(tmp_path / "m")})),
                      LocalStorage)


def test_local_storage_puts_opens_and_deletes(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put("items/1/image-ab.png", b"\x89PNG...", "image/png")
    stored = storage.open("items/1/image-ab.png")
    assert stored is not None and (stored.data, stored.content_type) == (b"\x89PNG...", "image/png")
    assert storage.url("items/1/image-ab.png") is None  # served through the app
    storage.delete("items/1/image-ab.png")
    assert storage.open("items/1/image-ab.png") is None
    storage.delete("items/1/image-ab.png")  # deleting what is gone is fine


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../b", "A.png", "a//b", "", "a/./b"])
def test_keys_cannot_leave_the_folder(tmp_path, key):
    with pytest.raises(StorageError):
        LocalStorage(tmp_path).put(key, b"x", "text/plain")


def test_s3_storage_against_a_local_s3_server(s3_endpoint):
    config = load_config("/tmp", {"PUCHI_S3_ENDPOINT": s3_endpoint, "PUCHI_S3_BUCKET": BUCKET,
                                  "PUCHI_S3_ACCESS_KEY": "test", "PUCHI_S3_SECRET_KEY": "test"})
    storage = storage_from_config(config)
    assert isinstance(storage, S3Storage)
    storage.put("items/2/audio-cd.mp3", b"ID3 audio", "audio/mpeg")
    stored = storage.open("items/2/audio-cd.mp3")
    assert stored is not None and (stored.data, stored.content_type) == (b"ID3 audio", "audio/mpeg")
    url = storage.url("items/2/audio-cd.mp3")
    assert url is not None and url.startswith(s3_endpoint) and "X-Amz-Signature" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and fetched.content == b"ID3 audio"
    assert fetched.headers["Content-Type"] == "audio/mpeg"
    storage.delete("items/2/audio-cd.mp3")
    assert storage.open("items/2/audio-cd.mp3") is None


def test_a_public_bucket_gets_plain_urls(s3_endpoint):
    storage = S3Storage(s3_endpoint, BUCKET, "test", "test", public_url="https://media.example.com/")
    assert storage.url("items/3/image-ef.webp") == "https://media.example.com/items/3/image-ef.webp"


def test_an_unreachable_bucket_is_a_storage_error():
    storage = S3Storage(f"http://127.0.0.1:{free_port()}", BUCKET, "test", "test")
    with pytest.raises(StorageError):
        storage.put("items/4/image.png", b"x", "image/png")
