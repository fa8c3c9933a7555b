"""Finding accounts by email or name for the staff — the one learner search, used by the Learners section and
the staff's search box alike: accent- and case-insensitive, through a full-text index: PostgreSQL's GIN index
over ``puchi_search_fold`` (unaccent + lower) of the email's words and the name, SQLite's FTS5 table
``users_fts`` (unicode61, diacritics removed). Both are built by migration 0027.

Every word of the query must begin a word of the email or the name ("zoe mar" finds zoe.martin@…); anything
that is not a letter or a digit only separates words, so no input is query syntax."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text

from puchi.accounts.models import User
from puchi.accounts.permissions import require_capability
from puchi.accounts.roles import Capability
from puchi.core.db import db

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 100  # characters of the query that are read
MAX_WORDS = 8
# Letters and digits: anything else (the underscore too, which \w matches) separates words, as in both indexes.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class LearnerPage:
    users: list[User]
    next_before: int | None  # the ``before`` of the next page, or None on the last one


def query_words(query: str) -> list[str]:
    """The words of a query (at most ``MAX_WORDS``), as typed: each index folds them as it folds what it holds
    (PostgreSQL with ``puchi_search_fold``, FTS5 with its tokenizer), so "Straße" and "Løvé" match alike."""
    return _WORD.findall(unicodedata.normalize("NFC", query[:MAX_QUERY_LENGTH]))[:MAX_WORDS]


def _pg_document() -> ColumnElement[str]:
    # The very expression of ix_users_search (migration 0027), so PostgreSQL uses the index.
    return literal_column("to_tsvector('simple'::regconfig, puchi_search_fold("
                          "replace(replace(users.email, '@', ' '), '.', ' ') || ' ' || users.display_name))")


def _matching(statement: Select[User], words: list[str]) -> Select[User]:
    if db.session.get_bind().dialect.name == "postgresql":
        # Each word folded like the document, quoted as one lexeme (never tsquery syntax), as a prefix; ANDed.
        queries = [func.to_tsquery(literal_column("'simple'::regconfig"),
                                   func.quote_literal(func.puchi_search_fold(word)).concat(":*")) for word in words]
        tsquery: ColumnElement[Any] = queries[0]
        for query in queries[1:]:
            tsquery = tsquery.op("&&")(query)
        return statement.where(_pg_document().op("@@")(tsquery))
    fts_query = " ".join(f'"{w}"*' for w in words)  # words hold no quote: each is one FTS5 string
    matching = text("SELECT rowid FROM users_fts WHERE users_fts MATCH :q").bindparams(q=fts_query)
    return statement.where(User.id.in_(matching))


def search_learners(viewer: User, query: str, *, before: int | None = None,
                    per_page: int = PAGE_SIZE) -> LearnerPage:
    """A page of the accounts (not deleted) whose email or name holds every word of ``query`` as a word's
    beginning, newest first (keyset: ids below ``before``); a blank query lists every account, and one with
    no letter or digit finds none. One query. :raises Forbidden: the viewer may not look after learners."""
    require_capability(viewer, Capability.LEARNERS)
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    statement = select(User).where(User.deleted_at.is_(None))
    if query.strip():
        words = query_words(query)
        if not words:
            return LearnerPage([], None)
        statement = _matching(statement, words)
    if before is not None:
        statement = statement.where(User.id < before)
    users = list(db.session.scalars(statement.order_by(User.id.desc()).limit(per_page + 1)))
    more = len(users) > per_page
    users = users[:per_page]
    return LearnerPage(users, users[-1].id if more and users else None)
