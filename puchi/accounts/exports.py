""""Download your data": a job builds a zip of the learner's rows (one JSON file per table, from the
personal-data registry) and a readable HTML summary, and emails a single-use link valid ``EXPORT_LINK_DAYS``.
The file is deleted once downloaded or when the link expires (a chore), and only its owner can fetch it.

The link's key is never stored (only its SHA-256), nor put in the outbox: the job makes it when the file is
ready and emails it at once; a retried email makes a new key, retiring the one that never arrived.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from puchi.accounts.events import DataExportDownloaded, DataExportRequested
from puchi.accounts.models import User
from puchi.accounts.privacy_models import DataExport
from puchi.core import events, mail, outbox, personal_data
from puchi.core.db import action, db, now, rowcount
from puchi.core.errors import Gone, NotFound

PENDING, READY, DOWNLOADED, EXPIRED = "pending", "ready", "downloaded", "expired"


def _folder() -> Path:
    folder = Path(current_app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@action
def request_export(user: User) -> DataExport:
    """Ask for a copy of everything Puchi holds about the learner; a job builds it and emails a link. Commits.
    While one is being built, asking again returns that one."""
    return queue_export(user, actor_id=user.id)


def queue_export(user: User, *, actor_id: int) -> DataExport:
    """Inside an action: as :func:`request_export`, asked by ``actor_id`` (the learner, or support for them)."""
    waiting = db.session.scalar(select(DataExport).where(DataExport.user_id == user.id,
                                                         DataExport.status == PENDING))
    if waiting is not None:
        return waiting
    export = DataExport(user_id=user.id, status=PENDING, requested_at=now())
    db.session.add(export)
    db.session.flush()
    events.record(DataExportRequested(export_id=export.id), actor_id=actor_id, subject=("user", user.id))
    outbox.add("accounts.build_export", {"export_id": export.id, "user_id": user.id})
    return export


def latest(user: User, limit: int = 3) -> list[DataExport]:
    return list(db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)
                                   .order_by(DataExport.id.desc()).limit(limit)))


# --- The job ---------------------------------------------------------------------------------------------

def build_and_send(payload: dict[str, Any]) -> None:
    """Outbox job: build the zip (once), then email a fresh single-use link to it."""
    export = db.session.get(DataExport, int(payload["export_id"]))
    if export is None or export.status not in {PENDING, READY}:
        return  # erased with the account, downloaded or expired meanwhile: nothing to send
    user = db.session.get(User, export.user_id)
    if user is None or user.deleted_at is not None:
        return
    file_name = export.file_name
    if export.status == PENDING or not file_name or not (_folder() / file_name).exists():
        file_name = f"puchi-data-{export.id}-{secrets.token_hex(8)}.zip"
        (_folder() / file_name).write_bytes(build_zip(user))
    token = secrets.token_urlsafe(32)
    expires_at = _mark_ready(export.id, file_name, _hash(token))
    if expires_at is None:
        return
    with force_locale(user.locale):
        link = mail.absolute_url("privacy.export_download", token=token)
    mail.send(mail.render_message("data_export_ready", to=user.email, locale=user.locale, user=user, link=link,
                                  expires_at=expires_at))


@action
def _mark_ready(export_id: int, file_name: str, token_hash: str) -> datetime | None:
    export = db.session.get(DataExport, export_id)
    if export is None or export.status not in {PENDING, READY}:
        return None
    current = now()
    export.status, export.file_name, export.token_hash = READY, file_name, token_hash
    export.ready_at = export.ready_at or current
    export.expires_at = export.expires_at or current + timedelta(days=current_app.config["EXPORT_LINK_DAYS"])
    return export.expires_at


def build_zip(user: User) -> bytes:
    """One JSON file per registered table (the learner's rows) and ``summary.html``, in their language."""
    tables = personal_data.export_all(user.id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, rows in tables.items():
            archive.writestr(f"{table}.json", json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        with force_locale(user.locale):
            # A template ending in .html: Jinja escapes everything the learner (or a friend) wrote.
            summary = render_template("accounts/export_summary.html", user=user, tables=tables,
                                      made_at=now(), locale=user.locale)
        archive.writestr("summary.html", summary)
    return buffer.getvalue()


# --- The download ----------------------------------------------------------------------------------------

def export_for(user: User, token: str) -> DataExport:
    """The learner's export a link names, if it can still be downloaded.

    :raises NotFound: no such link, or it is another learner's (indistinguishable on purpose).
    :raises Gone: ``link_used`` already downloaded; ``link_expired`` past its date.
    """
    export = db.session.scalar(select(DataExport).where(DataExport.token_hash == _hash(token)))
    if export is None or export.user_id != user.id:
        raise NotFound(_l("There is no download here."), code="export_not_found")
    if export.status == DOWNLOADED:
        raise Gone(_l("This link does not work"), code="link_used")
    if export.status != READY or (export.expires_at is not None and export.expires_at <= now()):
        raise Gone(_l("This link has expired"), code="link_expired")
    return export


def download(user: User, token: str) -> tuple[bytes, str]:
    """The zip's bytes and a file name; the link is spent and the file deleted. Commits.

    :raises NotFound, Gone: as :func:`export_for`.
    """
    export = export_for(user, token)
    path = _folder() / (export.file_name or "")
    if not export.file_name or not path.is_file():
        raise Gone(_l("This link has expired"), code="link_expired")
    data = path.read_bytes()
    _spend(export.id)
    path.unlink(missing_ok=True)
    return data, f"puchi-data-{export.requested_at:%Y-%m-%d}.zip"


@action
def _spend(export_id: int) -> None:
    result = db.session.execute(update(DataExport).where(DataExport.id == export_id, DataExport.status == READY)
                                .values(status=DOWNLOADED, downloaded_at=now()))
    if rowcount(result) != 1:  # two clicks at once: the first one wins
        raise Gone(_l("This link does not work"), code="link_used")
    export = db.session.get(DataExport, export_id)
    assert export is not None
    events.record(DataExportDownloaded(export_id=export_id), actor_id=export.user_id,
                  subject=("user", export.user_id))


# --- Clean-up --------------------------------------------------------------------------------------------

def expire_exports(at: datetime) -> int:
    """Chore: exports past their date are marked expired and their files deleted; returns how many."""
    due = list(db.session.scalars(select(DataExport.id).where(DataExport.status.in_([PENDING, READY]),
                                                               DataExport.expires_at <= at)))
    for export_id in due:
        _expire(export_id)
    return len(due)


@action
def _expire(export_id: int) -> None:
    export = db.session.get(DataExport, export_id)
    if export is None or export.status not in {PENDING, READY}:
        return
    export.status = EXPIRED  # the hash stays, so the link says "expired" rather than "not found"
    delete_file(export.file_name)


def delete_file(file_name: str | None) -> None:
    if file_name:
        (_folder() / file_name).unlink(missing_ok=True)
