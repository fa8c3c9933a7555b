"""Finding learners by email or name for the staff, accent- and case-insensitively, through a full-text
index: PostgreSQL's GIN index over ``puchi_search_fold`` (unaccent + lower) of the email's words and the name,
SQLite's FTS5 table ``users_fts`` (unicode61, diacritics removed). Both are built by migration 0021."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, literal_column, select, text

from puchi.accounts.models import User
from puchi.accounts.permissions import require_capability
from puchi.accounts.roles import Capability
from puchi.core.db import db

MAX_RESULTS = 30
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class LearnerHit:
    id: int
    email: str
    display_name: str
    role: str


def fold(value: str) -> str:
    """Lower-case, NFKC, without diacritics: what the indexes hold ("Zoë" → "zoe")."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", value).casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def _pg_document() -> ColumnElement[str]:
    # The very expression of ix_users_search (migration 0021), so PostgreSQL uses the index.
    return literal_column("to_tsvector('simple'::regconfig, puchi_search_fold("
                          "replace(replace(users.email, '@', ' '), '.', ' ') || ' ' || users.display_name))")


def search_learners(viewer: User, query: str, limit: int = MAX_RESULTS) -> list[LearnerHit]:
    """Accounts whose email or name holds every word of ``query`` (as word prefixes, accents ignored), by
    name. :raises Forbidden: the viewer may not look after learners."""
    require_capability(viewer, Capability.LEARNERS)
    words = _WORD.findall(fold(query.strip())[:254])[:8]
    if not words:
        return []
    statement = select(User.id, User.email, User.display_name, User.role)
    if db.session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        statement = statement.where(_pg_document().op("@@")(func.to_tsquery(text("'simple'"), tsquery)))
    else:
        fts_query = " ".join(f'"{w}"*' for w in words)
        matching = text("SELECT rowid FROM users_fts WHERE users_fts MATCH :q").bindparams(q=fts_query)
        statement = statement.where(User.id.in_(matching))
    rows = db.session.execute(statement.order_by(User.display_name, User.id).limit(max(1, min(limit, 100))))
    return [LearnerHit(*row) for row in rows]
