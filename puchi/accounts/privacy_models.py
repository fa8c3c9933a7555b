"""Accounts' records for GDPR: consents given or withdrawn, and data exports waiting to be downloaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from puchi.core.db import JSONType, Model, UTCDateTime, now


class Consent(Model):
    """One consent given or withdrawn: what it was for, the version of the text the learner saw, and when.

    Append-only: the newest row of a kind is the learner's current choice; the older ones are its history.
    """

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # marketing_email, notifications
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    choices: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # details (the channels chosen)
    source: Mapped[str] = mapped_column(String(32))  # sign_up, privacy_page, notification_settings
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DataExport(Model):
    """A learner's "download your data": built by a job, fetched once by an emailed link, then deleted."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending ready downloaded expired
    # The link's key is emailed and never stored: only its SHA-256.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_name: Mapped[str | None] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
