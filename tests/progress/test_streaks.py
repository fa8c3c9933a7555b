"""Streaks count the learner's own calendar days: midnight, timezones and DST never break or double them."""

from datetime import UTC, date, datetime, timedelta

import pytest

from puchi.progress.streaks import at_risk, effective_streak, local_day, record_day


def _play(days, freezes=0):
    state = {"current": 0, "longest": 0, "last_active": None, "freezes": freezes}
    for day in days:
        update = record_day(day=day, **state)
        state = {"current": update.current, "longest": update.longest, "last_active": update.last_active,
                 "freezes": update.freezes_left}
    return state


def test_consecutive_days_grow_the_streak_and_the_same_day_counts_once():
    d = date(2026, 3, 1)
    state = _play([d, d, d + timedelta(days=1), d + timedelta(days=1), d + timedelta(days=2)])
    assert (state["current"], state["longest"]) == (3, 3)


def test_a_missed_day_starts_again_but_the_longest_is_kept():
    d = date(2026, 3, 1)
    state = _play([d, d + timedelta(days=1), d + timedelta(days=2), d + timedelta(days=4)])
    assert (state["current"], state["longest"]) == (1, 3)


def test_freezes_cover_missed_days_one_each_and_are_used_up():
    d = date(2026, 3, 1)
    update = record_day(current=5, longest=5, last_active=d, freezes=2, day=d + timedelta(days=3))
    assert (update.current, update.freezes_left) == (6, 0)
    assert update.frozen_days == (d + timedelta(days=1), d + timedelta(days=2))
    too_long = record_day(current=5, longest=5, last_active=d, freezes=2, day=d + timedelta(days=4))
    assert (too_long.current, too_long.freezes_left) == (1, 2)  # not enough to cover: keep the freezes


def test_a_lesson_at_23_59_and_one_at_00_01_are_two_days_in_the_learners_timezone():
    zone = "America/New_York"
    late = datetime(2026, 3, 3, 4, 59, tzinfo=UTC)  # 23:59 on 2 March in New York
    early = late + timedelta(minutes=2)  # 00:01 on 3 March
    assert local_day(late, zone) == date(2026, 3, 2)
    assert local_day(early, zone) == date(2026, 3, 3)
    assert _play([local_day(late, zone), local_day(early, zone)])["current"] == 2


def test_the_same_utc_moment_is_a_different_day_in_tokyo_and_los_angeles():
    moment = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
    assert local_day(moment, "Asia/Tokyo") == date(2026, 6, 11)
    assert local_day(moment, "America/Los_Angeles") == date(2026, 6, 10)


@pytest.mark.parametrize(
    ("zone", "before_change", "after_change"),
    [
        # Spring forward in Europe: 31 March 2024, 01:00 UTC (the night has only 23 hours).
        ("Europe/Madrid", datetime(2024, 3, 30, 22, 30, tzinfo=UTC), datetime(2024, 3, 31, 21, 30, tzinfo=UTC)),
        # Fall back in the US: 3 November 2024 (the night has 25 hours).
        ("America/Chicago", datetime(2024, 11, 3, 4, 30, tzinfo=UTC), datetime(2024, 11, 4, 5, 30, tzinfo=UTC)),
    ],
)
def test_dst_changes_neither_break_nor_double_a_streak(zone, before_change, after_change):
    first, second = local_day(before_change, zone), local_day(after_change, zone)
    assert (second - first).days == 1
    assert _play([first, second])["current"] == 2


def test_moving_west_never_breaks_or_double_counts_a_day():
    # Practised in Tokyo just after midnight on the 11th, flew to Los Angeles where it is still the 10th.
    tokyo_day = local_day(datetime(2026, 6, 10, 15, 30, tzinfo=UTC), "Asia/Tokyo")
    la_day = local_day(datetime(2026, 6, 10, 17, 0, tzinfo=UTC), "America/Los_Angeles")
    assert la_day < tokyo_day
    state = _play([tokyo_day - timedelta(days=1), tokyo_day, la_day])
    assert state["current"] == 2 and state["last_active"] == tokyo_day
    state = _play([tokyo_day - timedelta(days=1), tokyo_day, la_day, tokyo_day + timedelta(days=1)])
    assert state["current"] == 3


def test_moving_east_skips_no_day_it_counts_the_next_one():
    la_day = local_day(datetime(2026, 6, 10, 5, 0, tzinfo=UTC), "America/Los_Angeles")  # 9 June, 22:00
    tokyo_day = local_day(datetime(2026, 6, 11, 5, 0, tzinfo=UTC), "Asia/Tokyo")  # 11 June, 14:00
    assert _play([la_day, tokyo_day])["current"] == 1 + ((tokyo_day - la_day).days == 1)


def test_the_streak_shown_today_survives_while_freezes_could_cover_the_gap():
    last = date(2026, 3, 10)
    assert effective_streak(current=4, last_active=last, freezes=0, today=last + timedelta(days=1)) == 4
    assert effective_streak(current=4, last_active=last, freezes=0, today=last + timedelta(days=2)) == 0
    assert effective_streak(current=4, last_active=last, freezes=1, today=last + timedelta(days=2)) == 4
    assert at_risk(last_active=last, today=last + timedelta(days=1), current=4)
    assert not at_risk(last_active=last, today=last, current=4)
