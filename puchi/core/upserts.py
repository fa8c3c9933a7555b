"""Insert-or-add for counters, atomic on PostgreSQL and SQLite alike (no read-modify-write races)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from puchi.core.db import db


def insert_or_add(model: Any, keys: dict[str, Any], increments: dict[str, int], **values: Any) -> None:
    """Insert a row with ``keys`` and ``increments`` (and ``values``), or add the increments to the existing row."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, **increments, **values)
    table = model.__table__
    updates = {name: table.c[name] + statement.excluded[name] for name in increments}
    updates.update({name: statement.excluded[name] for name in values})
    db.session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates))


def insert_if_missing(model: Any, keys: dict[str, Any], *, where: Any = None, **values: Any) -> bool:
    """Insert the row unless one with ``keys`` exists; True when this call inserted it.

    ``where`` names a partial unique index on ``keys`` by its condition (the same text the index has).
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells reliably whether a row was written (psycopg reports rowcount -1 for ON CONFLICT).
    key_column = next(iter(model.__table__.primary_key.columns))
    result = db.session.execute(insert(model).values(**keys, **values).on_conflict_do_nothing(
        index_elements=list(keys), index_where=where).returning(key_column))
    return result.first() is not None
