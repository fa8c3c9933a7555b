"""The database handle, the declarative base and the column types every model shares."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from puchi.core.csrf import refuse_writes_if_forged

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def now() -> datetime:
    """The current time, timezone-aware UTC: the only kind of timestamp Puchi stores."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Every model subclasses ``Model``. At run time it is Flask-SQLAlchemy's ``db.Model`` (made from ``Base`` with
# the app's session); type checkers cannot follow that dynamic class, so they are shown ``Base`` itself,
# which declares everything a model has (columns, ``__tablename__``, ``__table_args__``).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def rowcount(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE run by ``db.session.execute`` touched.

    SQLAlchemy types that call's result as a plain ``Result``; for those statements it is a ``CursorResult``,
    which carries the count.
    """
    return int(cast("CursorResult[Any]", result).rowcount)


# How long a SQLite writer waits for the write lock before giving up: well past any burst of short writes,
# still under gunicorn's 30 s worker timeout.
SQLITE_BUSY_TIMEOUT_MS = 20_000
_acting: ContextVar[bool] = ContextVar("puchi_acting", default=False)


def in_action() -> bool:
    """Whether this thread is inside an action now (its body or its commit): the only time Puchi writes."""
    return _acting.get()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite enforces foreign keys only when asked, WAL lets readers and one writer overlap, and a writer
    # waits its turn for the lock instead of failing with "database is locked".
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays durable across crashes of the process
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_write_lock_up_front(connection: Any) -> None:
    # Inside an action a SQLite transaction takes the write lock at once (BEGIN IMMEDIATE): a transaction
    # that read first and wrote later would fail at once with SQLITE_BUSY when another writer committed in
    # between, whatever the busy timeout. Outside actions the driver keeps its own deferred BEGIN.
    if _acting.get() and connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# What the migrations create outside the models: SQLite's FTS5 table (and its shadow tables) and
# PostgreSQL's full-text expression index, both for dictionary search and the staff's search of learners.
UNMODELLED_TABLE_PREFIXES = ("items_fts", "users_fts")
UNMODELLED_INDEXES = {"ix_items_search", "ix_users_search"}


def include_in_schema_comparison(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's include_object hook: leave alone the tables that no model describes on purpose."""
    if type_ == "table" and name is not None and name.startswith(UNMODELLED_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and name in UNMODELLED_INDEXES)


_IN_ACTION = "puchi_in_action"
P = ParamSpec("P")
R = TypeVar("R")


class NestedAction(RuntimeError):
    """An action was started inside another: the outer one owns the transaction."""


@contextmanager
def _action_scope() -> Iterator[None]:
    from puchi.core import outbox

    session = db.session()  # the request's (thread's) own Session, not the scoped proxy
    if session.info.get(_IN_ACTION):
        raise NestedAction("an action cannot run inside another action")
    refuse_writes_if_forged()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes before an action: make every change inside it")
    # What the request read so far (the logged-in user) ends here, so the action's own transaction starts
    # fresh and, on SQLite, with the write lock. Rolled back, not committed: nothing is committed outside an
    # action, so a stray write made before one would be lost here rather than slipped into its commit
    # (tests/conftest.py fails any test whose code writes outside an action).
    if session.in_transaction():
        session.rollback()
    token = _acting.set(True)
    session.info[_IN_ACTION] = True
    try:
        session.connection()  # begin now, while the write intent is set
        yield
        pending = outbox.take_new_message_ids(session)
        session.commit()
    except BaseException:
        session.info.pop("outbox_new", None)
        session.rollback()
        raise
    finally:
        session.info.pop(_IN_ACTION, None)
        _acting.reset(token)
    # Only what committed leaves the process; the jobs it queues (run here when there is no Redis) are outside
    # this action, free to run actions of their own.
    if pending:
        outbox.dispatch(pending)


@overload
def action(fn: Callable[P, R]) -> Callable[P, R]: ...
@overload
def action(fn: None = None) -> Any: ...
def action(fn: Callable[P, R] | None = None) -> Any:
    """The one way to change state: ``@action`` on a service function or ``with action():``.

    It opens the transaction (on SQLite taking the write lock up front), refuses to nest inside another
    action, commits once at the end and then hands the outbox over; an exception rolls everything back.
    Nothing else commits, except the outbox relay's own bookkeeping (``core.outbox``). A function that must
    keep a change and still refuse (a wrong code's spent try) runs the change as an action and raises after it.
    """
    if fn is None:
        return _action_scope()

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _action_scope():
            return fn(*args, **kwargs)

    return wrapper
