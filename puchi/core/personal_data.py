"""The personal-data registry: for every table, whether it holds personal data, how to export a learner's
rows and what deleting their account does to them.

Each domain registers its own tables from its ``wiring.init_app`` (core names no domain), and a test walks
every table of the metadata and fails for one nobody registered, so a new table cannot be forgotten. The
account's data export reads every registered exporter; the account's erasure runs every registered eraser,
in ``order``, inside one action.

The rule of a table is one of:

- ``NONE``: holds nothing about a person (course content, league cohorts);
- ``ERASE``: the learner's rows are deleted;
- ``ANONYMISE``: rows stay (another learner's copy matters, or the numbers do) with nothing left that points
  to the person;
- ``KEEP``: rows stay as they are, with the person cut off, for a reason the law gives (``why`` says which).

For the common case, a table whose rows each belong to one learner by a ``user_id`` column, use
:func:`register_owned`; for content tables, :func:`register_no_personal_data`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import InstrumentedAttribute

from puchi.core.db import Model, db

_KEY = "puchi.personal_data"
_EVENT_FIELDS = "puchi.personal_data.event_fields"

Row = dict[str, Any]
Exporter = Callable[[int], list[Row]]  # user id → the learner's rows, as JSON-ready dicts
Eraser = Callable[[int], None]  # user id → erase/anonymise the learner's rows (inside the erasure's action)


class Rule(enum.StrEnum):
    NONE = "none"
    ERASE = "erase"
    ANONYMISE = "anonymise"
    KEEP = "keep"


@dataclass(frozen=True)
class TableEntry:
    table: str
    rule: Rule
    why: str  # what the rows hold and why the rule fits (shown in docs/privacy.md's spirit; required but for ERASE)
    export: Exporter | None = None
    erase: Eraser | None = None
    order: int = 50  # erasers run lowest first; the account row itself goes last


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = {}
    app.extensions[_EVENT_FIELDS] = {}
    _register_core_tables(app)


def _entries(app: Flask | None = None) -> dict[str, TableEntry]:
    entries: dict[str, TableEntry] = (app or current_app).extensions[_KEY]
    return entries


def register(app: Flask, table: str, *, rule: Rule, why: str = "", export: Exporter | None = None,
             erase: Eraser | None = None, order: int = 50) -> None:
    """Say what ``table`` holds about people and what export and erasure do with it.

    :raises ValueError: a table registered twice, a personal table without an exporter or eraser, or a rule
        other than ERASE without its reason.
    """
    entries = _entries(app)
    if table in entries:
        raise ValueError(f"table {table!r} is registered twice")
    if rule is not Rule.NONE and (export is None or erase is None):
        raise ValueError(f"table {table!r} holds personal data: it needs an exporter and an eraser")
    if rule is not Rule.ERASE and not why:
        raise ValueError(f"table {table!r}: say why its rows are {rule.value}")
    entries[table] = TableEntry(table=table, rule=rule, why=why, export=export, erase=erase, order=order)


def register_no_personal_data(app: Flask, *tables: str, why: str) -> None:
    for table in tables:
        register(app, table, rule=Rule.NONE, why=why)


def register_owned(app: Flask, model: type[Model], *, column: str = "user_id", exclude: Sequence[str] = (),
                   why: str = "", order: int = 50) -> None:
    """A table whose rows each belong to one learner by ``column``: exported whole (but ``exclude``, e.g.
    secrets' hashes) and deleted with the account."""
    owner = getattr(model, column)
    register(app, model.__tablename__, rule=Rule.ERASE, why=why, export=rows_where(model, owner, exclude=exclude),
             erase=delete_where(model, owner), order=order)


def rows_where(model: type[Model], *columns: InstrumentedAttribute[Any], exclude: Sequence[str] = ()) -> Exporter:
    """An exporter of the rows of ``model`` in which any of ``columns`` is the learner."""

    def export(user_id: int) -> list[Row]:
        condition = columns[0] == user_id
        for column in columns[1:]:
            condition = condition | (column == user_id)
        primary = list(inspect(model).primary_key)
        rows = db.session.scalars(select(model).where(condition).order_by(*primary))
        return [serialize(row, exclude=exclude) for row in rows]

    return export


def delete_where(model: type[Model], *columns: InstrumentedAttribute[Any]) -> Eraser:
    """An eraser deleting the rows of ``model`` in which any of ``columns`` is the learner."""

    def erase(user_id: int) -> None:
        condition = columns[0] == user_id
        for column in columns[1:]:
            condition = condition | (column == user_id)
        db.session.execute(delete(model).where(condition).execution_options(synchronize_session=False))

    return erase


def serialize(row: Model, *, exclude: Iterable[str] = ()) -> Row:
    """A model row as a JSON-ready dict of its columns (dates as ISO 8601), without ``exclude``."""
    skipped = set(exclude)
    return {column.key: to_json(getattr(row, column.key)) for column in row.__table__.columns
            if column.key not in skipped}


def to_json(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if hasattr(value, "to_dict"):  # e.g. a lesson's steps
        return to_json(value.to_dict())
    return value


def entries() -> list[TableEntry]:
    """Every registered table, by name."""
    return sorted(_entries().values(), key=lambda entry: entry.table)


def export_all(user_id: int) -> dict[str, list[Row]]:
    """Every personal table's rows of the learner, by table name (tables with none included, empty)."""
    return {entry.table: entry.export(user_id) for entry in entries() if entry.export is not None}


def erase_all(user_id: int) -> None:
    """Run every eraser, lowest ``order`` first. Call inside the action that deletes the account."""
    for entry in sorted(entries(), key=lambda entry: (entry.order, entry.table)):
        if entry.erase is not None:
            entry.erase(user_id)


# --- Core's own tables: the event log and the outbox ------------------------------------------------------

def add_event_fields(app: Flask, event_name: str, *fields: str) -> None:
    """Fields of an event's payload that name a person (an email address): erasure removes them from the
    log's rows, which otherwise stay (anonymised) for the numbers."""
    known: dict[str, set[str]] = app.extensions[_EVENT_FIELDS]
    known.setdefault(event_name, set()).update(fields)


def _register_core_tables(app: Flask) -> None:
    from puchi.core.events import Event
    from puchi.core.outbox import OutboxMessage

    def is_theirs(user_id: int) -> Any:
        return (Event.actor_id == user_id) | ((Event.subject_type == "user") & (Event.subject_id == user_id))

    def export_events(user_id: int) -> list[Row]:
        rows = db.session.scalars(select(Event).where(is_theirs(user_id)).order_by(Event.id))
        return [serialize(row) for row in rows]

    def anonymise_events(user_id: int) -> None:
        personal: dict[str, set[str]] = current_app.extensions[_EVENT_FIELDS]
        for row in db.session.scalars(select(Event).where(is_theirs(user_id))):
            if row.actor_id == user_id:
                row.actor_id = None
            if row.subject_type == "user" and row.subject_id == user_id:
                row.subject_id = None
            fields = personal.get(row.name)
            if fields and fields & row.payload.keys():
                row.payload = {key: value for key, value in row.payload.items() if key not in fields}

    register(app, Event.__tablename__, rule=Rule.ANONYMISE, order=90,
             why="the event log (audit trail, analytics): the learner's events stay for the numbers with the "
                 "actor and subject cut off and every field that named them (an email address) removed",
             export=export_events, erase=anonymise_events)

    def names_them(user_id: int) -> Any:
        return OutboxMessage.payload["user_id"].as_integer() == user_id

    def erase_messages(user_id: int) -> None:
        db.session.execute(delete(OutboxMessage).where(names_them(user_id))
                           .execution_options(synchronize_session=False))

    register(app, OutboxMessage.__tablename__, rule=Rule.ERASE, order=90,
             why="jobs about the learner (emails, pushes), sent or waiting: deleted, so nothing more is sent; "
                 "nothing to export that other tables do not already hold",
             export=lambda _user_id: [], erase=erase_messages)
