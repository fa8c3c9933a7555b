"""Dictionary search over the words and phrases of a learner's courses, accent- and case-insensitive.

One service API over two engines: SQLite's FTS5 (``items_fts``) and PostgreSQL's full-text search on
``items.search_text`` (a GIN index); both tables are built by migration 0003. Scripts written without
spaces (kana, hanzi) are matched as substrings, since a full-text tokenizer sees a sentence as one word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select, text

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.learning.models import Course, Enrollment, Item, Skill
from puchi.learning.text_folding import fold

MAX_RESULTS = 30
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchResult:
    item: Item
    skill_title: str
    course_title: str
    course_slug: str
    target_language: str


def _spaceless(query: str) -> bool:
    return any(unicodedata.name(char, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "THAI")) for char in query)


def search_items(user: User, query: str) -> list[SearchResult]:
    """Words and phrases of the learner's courses matching every word of ``query`` (as prefixes)."""
    folded = fold(query.strip())[:100]
    words = _WORD.findall(folded)
    if not words:
        return []
    courses = select(Enrollment.course_id).where(Enrollment.user_id == user.id)
    statement = (select(Item, Skill.title, Course.title, Course.slug, Course.target_language)
                 .join(Skill, Skill.id == Item.skill_id).join(Course, Course.id == Item.course_id)
                 .where(Item.course_id.in_(courses)))
    dialect = db.engine.dialect.name
    if _spaceless(folded):
        like = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(Item.search_text.like(like, escape="\\"))
    elif dialect == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        statement = statement.where(func.to_tsvector(text("'simple'"), Item.search_text)
                                    .op("@@")(func.to_tsquery(text("'simple'"), tsquery)))
    else:
        fts_query = " ".join(f'"{w}"*' for w in words)
        matching = text("SELECT rowid FROM items_fts WHERE items_fts MATCH :q").bindparams(q=fts_query)
        statement = statement.where(Item.id.in_(matching))
    statement = statement.order_by(func.length(Item.text), Item.id).limit(MAX_RESULTS)
    return [SearchResult(item=row[0], skill_title=row[1], course_title=row[2], course_slug=row[3],
                         target_language=row[4]) for row in db.session.execute(statement)]
