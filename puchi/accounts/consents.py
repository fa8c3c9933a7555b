"""Consents: what the learner agreed to receive, with the version of the text they saw and when.

Recorded at sign-up (nothing optional is pre-ticked: marketing starts refused) and each time the learner
changes a choice. The newest row of a kind is the current choice. Puchi sets no cookie that needs consent
(docs/privacy.md), so there is no cookie banner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from puchi.accounts.privacy_models import Consent
from puchi.core.db import action, db, now

MARKETING_EMAIL, NOTIFICATIONS = "marketing_email", "notifications"


@dataclass(frozen=True)
class ConsentText:
    version: str  # changes whenever the wording does: a consent is to the words the learner saw
    text: Any  # a lazy string


TEXTS: dict[str, ConsentText] = {
    MARKETING_EMAIL: ConsentText("2026-12-06", _l("Email me news and offers from Puchi (at most once a month).")),
    NOTIFICATIONS: ConsentText("2026-12-06", _l("Send me the reminders and news about my learning I choose in "
                                                 "the notification settings.")),
}


def record(user_id: int, kind: str, granted: bool, *, source: str, choices: list[Any] | None = None) -> None:
    """Note a consent given or withdrawn, with the current version of its text. Call inside an action.

    The ``consents`` table is the record (no event: it would only repeat it)."""
    text = TEXTS[kind]
    db.session.add(Consent(user_id=user_id, kind=kind, granted=granted, text_version=text.version,
                           choices=choices or [], source=source, recorded_at=now()))


def current(user_id: int) -> dict[str, Consent]:
    """The newest consent row of each kind the learner has one of."""
    latest: dict[str, Consent] = {}
    for row in db.session.scalars(select(Consent).where(Consent.user_id == user_id).order_by(Consent.id)):
        latest[row.kind] = row
    return latest


def marketing_granted(user_id: int) -> bool:
    row = current(user_id).get(MARKETING_EMAIL)
    return bool(row and row.granted)


@action
def set_marketing(user_id: int, granted: bool) -> bool:
    """Give or withdraw marketing consent from the privacy page. Commits; returns whether anything changed."""
    if marketing_granted(user_id) == granted:
        return False
    record(user_id, MARKETING_EMAIL, granted, source="privacy_page")
    return True


def history(user_id: int) -> list[Consent]:
    return list(db.session.scalars(select(Consent).where(Consent.user_id == user_id)
                                   .order_by(Consent.recorded_at.desc(), Consent.id.desc())))


def at_sign_up(user_id: int) -> None:
    """What a new account starts with: marketing refused (never pre-ticked). Inside the sign-up's action."""
    record(user_id, MARKETING_EMAIL, False, source="sign_up")
