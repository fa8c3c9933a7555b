"""Migration 0012 gives social its own cheers and nudges, copied from the notifications that recorded them until
then: a friend cheered or nudged before the upgrade is still "already cheered / nudged" after it."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, inspect, select, text, update
from sqlalchemy.engine import make_url

from puchi import create_app
from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import db
from puchi.notifications.models import Notification
from puchi.progress.events import StreakMilestone
from puchi.progress.models import ProgressProfile
from puchi.social import feed, nudges
from puchi.social import services as social
from puchi.social.models import Cheer, Nudge
from tests.conftest import settings_for_tests

CHEERED_AT = datetime(2026, 5, 5, 10, 20, tzinfo=UTC)  # in the hour 10:00-11:00 UTC of the 5th


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A database of its own, with no tables yet, on the backend the suite runs on."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="puchi-migration-"))
        try:
            yield f"sqlite:///{folder / 'puchi.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"puchi_migration_{uuid.uuid4().hex[:8]}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


@contextmanager
def _todays_columns_meanwhile() -> Iterator[None]:
    """The models are today's, the schema 0011's: columns that later migrations add to tables 0011 has are
    added for the setup (which writes through the models), then dropped so the upgrade adds them itself."""
    inspector = inspect(db.engine)
    added = []
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(db.engine.dialect)
                db.session.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
                added.append((table.name, column.name))
    db.session.commit()
    yield
    db.session.remove()
    for table_name, column_name in added:
        db.session.execute(text(f"ALTER TABLE {table_name} DROP COLUMN {column_name}"))
    db.session.commit()


def _user(email: str, name: str) -> User:
    return accounts.create_verified_user(email=email, display_name=name, password="correct-horse-battery")


def _notified(user_id: int, kind: str, source: str, **data) -> None:
    db.session.add(Notification(user_id=user_id, kind=kind, source=source, data=data,
                                created_at=CHEERED_AT))


def test_cheers_and_nudges_sent_before_the_upgrade_stay_sent(empty_database, smtp_sink):
    app = create_app(settings_for_tests(empty_database, smtp_sink.url))
    with app.app_context():
        upgrade(revision="0011")
        with _todays_columns_meanwhile():  # the setup writes through today's models
            ana, ben = _user("ana@example.com", "Ana Silva"), _user("ben@example.com", "Ben Okafor")
            gone = _user("gone@example.com", "Gone Away")
            for a, b in ((ana, ben), (ben, ana)):
                social.follow(a, social.my_profile(b).username)
            item = events.record(StreakMilestone(days=30), actor_id=ben.id, subject=("user", ben.id))
            db.session.flush()
            # What social wrote up to 0011: a notification per cheer or nudge, its source the cheer's or nudge's key.
            _notified(ben.id, "cheer", f"cheer:item:{ana.id}:{item.id}", name="Ana Silva", username="ana_silva")
            _notified(ben.id, "cheer", f"cheer:{ana.id}:{ben.id}:2026050510", name="Ana Silva", username="ana_silva")
            _notified(ben.id, "nudge", f"nudge:{ana.id}:{ben.id}:20260505", name="Ana Silva", username="ana_silva",
                      days=12)
            _notified(ana.id, "cheer", f"cheer:{gone.id}:{ana.id}:2026050510", name="Gone Away", username="gone_away")
            _notified(ana.id, "followed", f"followed:{ben.id}:{ana.id}:x", name="Ben Okafor", username="ben_okafor")
            db.session.execute(update(ProgressProfile).where(ProgressProfile.user_id == ben.id)
                               .values(current_streak=12, last_active_date=date(2026, 5, 4)))
            db.session.commit()
            ana_id, ben_id, gone_id, item_id = ana.id, ben.id, gone.id, item.id
            db.session.execute(delete(User).where(User.id == gone_id))  # the sender of the last cheer is gone since
            db.session.commit()
            db.session.remove()

        upgrade()

        cheers = {(c.sender_id, c.recipient_id, c.hour, c.event_id) for c in db.session.scalars(select(Cheer))}
        assert cheers == {(ana_id, ben_id, None, item_id),
                          (ana_id, ben_id, datetime(2026, 5, 5, 10, tzinfo=UTC), None)}
        [nudge] = db.session.scalars(select(Nudge)).all()
        assert (nudge.sender_id, nudge.recipient_id, nudge.day, nudge.streak) == (ana_id, ben_id, date(2026, 5, 5),
                                                                                  12)
        assert nudge.created_at == CHEERED_AT

        ana, ben = db.session.get(User, ana_id), db.session.get(User, ben_id)
        ben_name = social.my_profile(ben).username
        assert feed.cheer_item(ana, item_id) is False
        assert social.cheer(ana, ben_name, CHEERED_AT.replace(minute=55)) is False
        assert nudges.nudge(ana, ben_name, CHEERED_AT) is False  # 10:20 UTC on the 5th: Ben's day (UTC) is the 5th
        assert social.cheer(ana, ben_name, CHEERED_AT.replace(hour=11)) is True  # a new hour
        db.session.remove()
        db.engine.dispose()
