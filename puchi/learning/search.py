"""Dictionary search over the words and phrases of a learner's courses, accent- and case-insensitive.

One service API over two engines: SQLite's FTS5 (``items_fts``) and PostgreSQL's full-text search on
``items.search_text`` (a GIN index); both tables are built by migration 0003. Scripts written without
spaces (kana, hanzi) are matched as substrings, since a full-text tokenizer sees a sentence as one word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, func, select, text

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.learning.models import Course, Enrollment, Item, Skill
from puchi.learning.text_folding import fold

MAX_RESULTS = 30
SelectT = TypeVar("SelectT", bound=Select)
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
    statement = _matching(statement, folded, words).order_by(func.length(Item.text), Item.id).limit(MAX_RESULTS)
    return [SearchResult(item=row[0], skill_title=row[1], course_title=row[2], course_slug=row[3],
                         target_language=row[4]) for row in db.session.execute(statement)]


def _matching(statement: SelectT, folded: str, words: list[str]) -> SelectT:
    """``statement`` narrowed to the items whose folded text holds every word (as prefixes) of the query."""
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
    return statement


@dataclass(frozen=True)
class ContentHit:
    kind: str  # "course", "skill", "item"
    id: int
    title: str  # the course's or skill's title, the item's text
    detail: str  # the course a skill or item is in, an item's translation
    course_id: int


def search_content(query: str, limit: int = MAX_RESULTS) -> list[ContentHit]:
    """Courses, skills and items (words and phrases) of every course, published or not, matching every word
    of ``query`` accent- and case-insensitively: items through the full-text index (migration 0003), titles
    of courses and skills folded here (there are few of them)."""
    folded = fold(query.strip())[:100]
    words = _WORD.findall(folded)
    if not words:
        return []
    hits: list[ContentHit] = []

    def titled(title: str) -> bool:
        text_words = _WORD.findall(fold(title))
        return all(any(w.startswith(q) for w in text_words) for q in words) or (
            _spaceless(folded) and folded in fold(title))

    courses = db.session.execute(select(Course.id, Course.title).order_by(Course.id)).all()
    course_titles = dict(courses)
    hits += [ContentHit("course", cid, title, "", cid) for cid, title in courses if titled(title)]
    for skill_id, title, course_id in db.session.execute(
            select(Skill.id, Skill.title, Skill.course_id).order_by(Skill.course_id, Skill.path_position)):
        if titled(title):
            hits.append(ContentHit("skill", skill_id, title, course_titles.get(course_id, ""), course_id))
    statement = _matching(select(Item.id, Item.text, Item.translation, Item.course_id), folded, words)
    for item_id, item_text, translation, course_id in db.session.execute(
            statement.order_by(func.length(Item.text), Item.id).limit(limit)):
        hits.append(ContentHit("item", item_id, item_text, translation, course_id))
    return hits[:limit]
