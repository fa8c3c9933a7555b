"""Pictures and recordings for items: checked by their content (Pillow decodes pictures; recordings are known
by their first bytes), stored under a key naming the item and the bytes' hash, and shown in lessons."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.core.errors import Invalid, NotFound
from puchi.core.storage import StorageError, StoredFile, storage
from puchi.learning.events import ItemMediaChanged
from puchi.learning.models import Course, Item

IMAGE, AUDIO = "image", "audio"
KINDS = (IMAGE, AUDIO)
MAX_IMAGE_BYTES = 1024 * 1024
MAX_AUDIO_BYTES = 2 * 1024 * 1024 - 64 * 1024  # within one request (MAX_CONTENT_LENGTH), with room for the form
MAX_IMAGE_PIXELS = 4096 * 4096
IMAGE_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp"),
                 "GIF": ("gif", "image/gif")}
MEDIA_FIELD = "file"


@dataclass(frozen=True)
class Checked:
    extension: str
    content_type: str


def check_image(data: bytes) -> Checked | None:
    """PNG, JPEG, WebP or GIF that Pillow decodes whole, not too many pixels; None otherwise."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in IMAGE_FORMATS or image.width * image.height > MAX_IMAGE_PIXELS:
                return None
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() checks structure; load() decodes the pixels
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    extension, content_type = IMAGE_FORMATS[str(image.format)]
    return Checked(extension, content_type)


def check_audio(data: bytes) -> Checked | None:
    """MP3, Ogg (Vorbis or Opus), WAV, M4A or WebM, known by their first bytes; None otherwise."""
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return Checked("mp3", "audio/mpeg")
    if data[:4] == b"OggS":
        return Checked("ogg", "audio/ogg")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return Checked("wav", "audio/wav")
    if data[4:8] == b"ftyp" and data[8:11] in {b"M4A", b"mp4", b"iso", b"das", b"M4B"}:
        return Checked("m4a", "audio/mp4")
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return Checked("webm", "audio/webm")
    return None


def media_key(item_id: int, kind: str, data: bytes, extension: str) -> str:
    return f"items/{item_id}/{kind}-{hashlib.sha256(data).hexdigest()[:20]}.{extension}"


def _item(slug: str, item_id: int) -> Item:
    item = db.session.scalar(select(Item).join(Course, Course.id == Item.course_id)
                             .where(Course.slug == slug, Item.id == item_id))
    if item is None:
        raise NotFound
    return item


def set_item_media(viewer: User, slug: str, item_id: int, kind: str, data: bytes | None) -> Item:
    """Give the item a picture or a recording (replacing the one it had).

    :raises Forbidden: the viewer may not edit content. :raises NotFound: no such item in the course.
    :raises Invalid: on ``file``: no file, too large, or not a picture / recording Puchi can use.
    """
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    if kind not in KINDS:
        raise NotFound
    if not data:
        raise Invalid(fields={MEDIA_FIELD: [_("Choose a file.")]}, code="no_file")
    limit = MAX_IMAGE_BYTES if kind == IMAGE else MAX_AUDIO_BYTES
    if len(data) > limit:
        raise Invalid(fields={MEDIA_FIELD: [_("The file is too large (at most %(kb)s KB).", kb=limit // 1024)]},
                      code="file_too_large")
    checked = check_image(data) if kind == IMAGE else check_audio(data)
    if checked is None:
        message = (_("This is not a PNG, JPEG, WebP or GIF picture.") if kind == IMAGE
                   else _("This is not an MP3, Ogg, WAV, M4A or WebM recording."))
        raise Invalid(fields={MEDIA_FIELD: [message]}, code="unsupported_media")
    with action():
        item = _item(slug, item_id)
        key = media_key(item.id, kind, data, checked.extension)
        try:
            storage().put(key, data, checked.content_type)
        except StorageError:
            raise Invalid(fields={MEDIA_FIELD: [_("The file could not be stored. Try again later.")]},
                          code="storage_failed") from None
        old = item.image_key if kind == IMAGE else item.audio_key
        setattr(item, f"{kind}_key", key)
        events.record(ItemMediaChanged(item_id=item.id, kind=kind, key=key), actor_id=viewer.id,
                      subject=("item", item.id))
    if old and old != key:
        _forget(old)
    return item


def remove_item_media(viewer: User, slug: str, item_id: int, kind: str) -> Item:
    """Take the item's picture or recording away. :raises Forbidden, NotFound: as :func:`set_item_media`."""
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    if kind not in KINDS:
        raise NotFound
    with action():
        item = _item(slug, item_id)
        old = item.image_key if kind == IMAGE else item.audio_key
        setattr(item, f"{kind}_key", None)
        if old:
            events.record(ItemMediaChanged(item_id=item.id, kind=kind, key=None), actor_id=viewer.id,
                          subject=("item", item.id))
    if old:
        _forget(old)
    return item


def _forget(key: str) -> None:
    """Delete a file no item names any more (an export or another item may share the same bytes' key)."""
    still_used = db.session.scalar(select(Item.id).where((Item.image_key == key) | (Item.audio_key == key)))
    if still_used is None:
        try:
            storage().delete(key)
        except StorageError:
            pass  # an orphan file costs a few bytes, never a broken page


def items_with_media(viewer: User, slug: str) -> tuple[Course, list[Item]]:
    """The course's items in path order, for the media page. :raises Forbidden, NotFound."""
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound
    from puchi.learning.models import Skill

    items = list(db.session.scalars(select(Item).join(Skill, Skill.id == Item.skill_id)
                                    .where(Item.course_id == course.id)
                                    .order_by(Skill.path_position, Item.position)))
    return course, items


def media_url(key: str | None) -> str | None:
    """Where a browser fetches a stored file: the bucket's own URL, or this app's media route."""
    if not key:
        return None
    direct = storage().url(key)
    return direct or url_for("learning.media", key=key)


def _named_by_an_item(key: str) -> None:
    used = db.session.scalar(select(Item.id).where((Item.image_key == key) | (Item.audio_key == key)).limit(1))
    if used is None:
        raise NotFound


def media_location(key: str) -> str | None:
    """The bucket's URL of a stored file an item names, or None when this app serves it (:func:`open_media`).

    :raises NotFound: no item names it."""
    _named_by_an_item(key)
    return storage().url(key)


def open_media(key: str) -> StoredFile:
    """A stored file that an item names. :raises NotFound: no item names it, or the storage lost it."""
    _named_by_an_item(key)
    try:
        found = storage().open(key)
    except StorageError:
        found = None
    if found is None:
        raise NotFound
    return found
