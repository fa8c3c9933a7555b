"""File storage for uploaded media: the local disk by default, an S3-compatible bucket (MinIO, AWS) when
configured. Core knows no domain: callers choose the keys (``"items/42/image-ab12cd.webp"``) and keep them.

Settings: ``MEDIA_DIR`` (``PUCHI_MEDIA_DIR``, default ``instance/media``) for the disk; ``S3_ENDPOINT``,
``S3_BUCKET``, ``S3_ACCESS_KEY``, ``S3_SECRET_KEY`` (and optionally ``S3_REGION``, ``S3_PUBLIC_URL``) switch to S3.
"""

from __future__ import annotations

import mimetypes
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)*$")
CACHE_CONTROL = "public, max-age=31536000, immutable"  # keys are never reused for other bytes
PRESIGNED_SECONDS = 3600


class StorageError(Exception):
    """The storage refused or failed (a bad key, an unreachable bucket)."""


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    content_type: str


def check_key(key: str) -> str:
    """A key is lower-case letters, digits, ``.``, ``_``, ``-`` and ``/`` between parts: never ``..`` or a
    leading ``/``, so it can be a path under the media folder and an object name alike."""
    if len(key) > 300 or not _KEY.match(key) or any(part in {".", ".."} for part in key.split("/")):
        raise StorageError(f"unusable storage key {key!r}")
    return key


def content_type_of(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def open(self, key: str) -> StoredFile | None: ...

    def url(self, key: str) -> str | None:
        """A URL browsers can fetch the file from directly, or None: serve it through the app (:meth:`open`)."""
        ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under a folder; the content type follows the key's extension."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)  # readers see the whole file or none of it
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> StoredFile | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return StoredFile(path.read_bytes(), content_type_of(key))

    def url(self, key: str) -> str | None:
        return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects in an S3-compatible bucket (path-style addressing, as MinIO wants)."""

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str = "us-east-1",
                 public_url: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.public_url = public_url.rstrip("/") if public_url else None
        self.client: Any = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            region_name=region, config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                              connect_timeout=5, read_timeout=20, retries={"max_attempts": 3}))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type,
                                   CacheControl=CACHE_CONTROL)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not store {key!r}: {error}") from error

    def open(self, key: str) -> StoredFile | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise StorageError(f"could not read {key!r}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"could not read {key!r}: {error}") from error
        return StoredFile(answer["Body"].read(), answer.get("ContentType") or content_type_of(key))

    def url(self, key: str) -> str | None:
        if self.public_url:
            return f"{self.public_url}/{check_key(key)}"
        return str(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=PRESIGNED_SECONDS))

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not delete {key!r}: {error}") from error


def storage_from_config(config: Any) -> Storage:
    """S3 when an endpoint and a bucket are configured, else the local media folder."""
    if config.get("S3_ENDPOINT") and config.get("S3_BUCKET"):
        return S3Storage(config["S3_ENDPOINT"], config["S3_BUCKET"], config.get("S3_ACCESS_KEY") or "",
                         config.get("S3_SECRET_KEY") or "", config.get("S3_REGION") or "us-east-1",
                         config.get("S3_PUBLIC_URL") or None)
    return LocalStorage(config["MEDIA_DIR"])


def init_app(app: Flask) -> None:
    """Make the app's storage; with S3, let pages load media from the bucket's origin (CSP)."""
    from urllib.parse import urlsplit

    from puchi.core.security import allow_media_origin

    app.extensions["puchi_storage"] = storage_from_config(app.config)
    for base in (app.config.get("S3_PUBLIC_URL"), app.config.get("S3_ENDPOINT")):
        if base:
            parts = urlsplit(base)
            allow_media_origin(app, f"{parts.scheme}://{parts.netloc}")
            break


def storage() -> Storage:
    """The app's storage (made on first use when init_app was not called)."""
    found = current_app.extensions.get("puchi_storage")
    if found is None:
        found = current_app.extensions["puchi_storage"] = storage_from_config(current_app.config)
    return found
