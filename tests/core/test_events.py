"""Domain events are typed contracts: frozen dataclasses with a name and a version, stored as JSON payloads that
keep their shape, read back from old rows, and dispatched to the subscribers of one app only."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from puchi import create_app
from puchi.accounts.events import PreferencesChanged
from puchi.core import events
from puchi.core.db import action, db
from puchi.core.events import DomainEvent, Event
from puchi.learning.events import LessonCompleted, SessionKind
from puchi.progress import services as progress
from puchi.progress.events import GoalReached, LeaguePromoted
from tests.conftest import settings_for_tests


@dataclass(frozen=True)
class Happened(DomainEvent):
    """An event no domain knows, so only this module's subscribers hear it."""

    name = "test.happened"
    count: int


def _lesson() -> LessonCompleted:
    return LessonCompleted(kind=SessionKind.PRACTICE, course_id=3, skill_id=None, accuracy=90, correct=8, almost=1,
                           wrong=1, duration_seconds=95, items=(4, 5, 9), new_items=0, perfect=False,
                           due_reviewed=3, started_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
                           completed_at=datetime(2026, 5, 4, 9, 1, 35, tzinfo=UTC))


def test_an_event_round_trips_through_its_payload_in_the_json_shape_readers_know():
    lesson = _lesson()
    payload = json.loads(json.dumps(lesson.to_payload()))  # as the events table stores it
    assert payload == {
        "kind": "practice", "course_id": 3, "skill_id": None, "accuracy": 90, "correct": 8, "almost": 1,
        "wrong": 1, "duration_seconds": 95, "items": [4, 5, 9], "new_items": 0, "perfect": False,
        "due_reviewed": 3, "started_at": "2026-05-04T09:00:00+00:00", "completed_at": "2026-05-04T09:01:35+00:00",
        "version": 1,
    }
    again = LessonCompleted.from_payload(payload)
    assert again == lesson and again.kind is SessionKind.PRACTICE and isinstance(again.completed_at, datetime)
    assert GoalReached.from_payload(GoalReached(date=date(2026, 5, 4), goal=20).to_payload()).date == date(2026, 5, 4)


def test_a_field_that_defaults_to_none_is_left_out_while_none():
    assert PreferencesChanged(daily_goal=30).to_payload() == {"daily_goal": 30, "version": 1}
    assert PreferencesChanged.from_payload({"locale": "fr"}) == PreferencesChanged(locale="fr")


def test_a_row_recorded_before_events_had_versions_still_loads(app):
    old = {"from_tier": 1, "to_tier": 2, "rank": 3, "week_start": "2026-05-04"}  # as league weeks closed before
    with app.app_context():
        with action():
            db.session.add(Event(name=LeaguePromoted.name, actor_id=1, subject_type="league_cohort", subject_id=1,
                                 payload=old, created_at=datetime(2026, 5, 11, tzinfo=UTC)))
        row = db.session.scalar(select(Event).where(Event.name == LeaguePromoted.name))
        assert LeaguePromoted.from_payload(row.payload) == LeaguePromoted(from_tier=1, to_tier=2, rank=3,
                                                                          week_start=date(2026, 5, 4))


def test_a_payload_from_a_newer_version_or_missing_a_field_is_refused_not_misread():
    with pytest.raises(ValueError, match="version 2"):
        Happened.from_payload({"count": 1, "version": 2})
    with pytest.raises(ValueError, match="count"):
        Happened.from_payload({"version": 1})


def test_two_apps_in_one_process_do_not_share_subscribers(app, database_url, smtp_sink):
    other = create_app(settings_for_tests(database_url, smtp_sink.url))
    heard: list[tuple[str, int]] = []
    events.subscribe(other, Happened, lambda row, event: heard.append((row.name, event.count)))

    with app.app_context():
        with action():
            events.record(Happened(count=1))
    assert heard == []
    with other.app_context():
        with action():
            events.record(Happened(count=2))
        db.session.remove()
        db.engine.dispose()
    assert heard == [("test.happened", 2)]

    # Each app has the domains' own subscribers, once, however many apps the process has built.
    for each in (app, other):
        assert each.extensions["puchi.events"][LessonCompleted.name] == [progress.on_lesson_completed]


def test_only_frozen_dataclasses_can_be_subscribed_to(app):
    class Loose(DomainEvent):
        name = "test.loose"

    with pytest.raises(TypeError, match="frozen dataclass"):
        events.subscribe(app, Loose, lambda row, event: None)


def _every_event_class(base: type = DomainEvent) -> list[type]:
    found = []
    for cls in base.__subclasses__():
        found += [cls, *_every_event_class(cls)]
    return found


def test_every_domain_event_is_a_frozen_dataclass_with_its_own_name(app):
    named = [cls for cls in _every_event_class() if "name" in vars(cls) and cls.__module__.startswith("puchi.")]
    assert {cls.__module__ for cls in named} >= {"puchi.accounts.events", "puchi.learning.events",
                                                 "puchi.progress.events", "puchi.social.events"}
    for cls in named:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls
        assert "name" not in {field.name for field in dataclasses.fields(cls)}, cls
    names = [cls.name for cls in named]
    assert len(names) == len(set(names))
