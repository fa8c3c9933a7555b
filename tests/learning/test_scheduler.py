"""Spaced repetition: every answer updates the item's FSRS card; the learner's retention target counts."""

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Rating

from puchi.learning import scheduler
from puchi.learning.grading import Verdict
from puchi.learning.models import Item


def _item() -> Item:
    return Item(id=7, course_id=1, skill_id=1, kind="word", text="perro", translation="dog")


@pytest.mark.parametrize(
    ("verdict", "exercise", "duration_ms", "hinted", "rating"),
    [
        # Production (typed translate, listen-type, tiles, speak): Good, Hard or Again.
        (Verdict.WRONG, "translate", 2_000, False, Rating.Again),
        (Verdict.ALMOST, "translate", 2_000, False, Rating.Hard),
        (Verdict.CORRECT, "translate", 6_000, False, Rating.Good),
        (Verdict.CORRECT, "translate", 60_000, False, Rating.Hard),
        (Verdict.CORRECT, "listen_type", 4_000, False, Rating.Good),
        (Verdict.CORRECT, "arrange_tiles", 4_000, False, Rating.Good),
        # Recognition (choose, match) of an item met before: a right pick is Hard (a guess picks right one time in
        # four), a wrong pick is Again, speed does not matter.
        (Verdict.CORRECT, "choose_translation", 2_000, False, Rating.Hard),
        (Verdict.CORRECT, "choose_translation", 60_000, False, Rating.Hard),
        (Verdict.WRONG, "choose_translation", 2_000, False, Rating.Again),
        (Verdict.CORRECT, "match_pairs", 9_000, False, Rating.Hard),
        # A hint opened before a right answer makes it Hard; a wrong answer stays Again.
        (Verdict.CORRECT, "translate", 4_000, True, Rating.Hard),
        (Verdict.CORRECT, "choose_translation", 4_000, True, Rating.Hard),
        (Verdict.WRONG, "translate", 4_000, True, Rating.Again),
    ],
)
def test_the_rating_follows_the_exercise_kind_correctness_hints_and_slowness(verdict, exercise, duration_ms, hinted,
                                                                          rating):
    assert scheduler.rating_for(verdict, exercise, duration_ms, answer_length=3, hinted=hinted) == rating


def test_a_right_pick_at_a_cards_first_review_is_good():
    """The first review follows the item's teach card: picking it shows it was understood, as a typed answer does."""
    assert scheduler.rating_for(Verdict.CORRECT, "choose_translation", 2_000, 3, first=True) == Rating.Good
    assert scheduler.rating_for(Verdict.CORRECT, "choose_translation", 2_000, 3, hinted=True,
                                first=True) == Rating.Hard


@pytest.mark.parametrize("exercise", ["translate", "listen_type", "arrange_tiles", "choose_translation"])
def test_speed_alone_never_gives_easy(exercise):
    for duration_ms in (1, 300, 1_000, 2_000):
        assert scheduler.rating_for(Verdict.CORRECT, exercise, duration_ms, answer_length=12, first=True) == Rating.Good


def test_review_answer_says_what_fsrs_made_of_an_answer_and_applies_it():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)

    def answer(verdict, exercise, at, hinted=False):
        return scheduler.review_answer(card, verdict, exercise, 4_000, 5, hinted=hinted, at=at, timezone="UTC",
                                       desired_retention=0.9)

    assert answer(Verdict.CORRECT, "choose_translation", start) == ("first", Rating.Good)
    assert card.reviews == 1
    assert answer(Verdict.WRONG, "translate", start + timedelta(minutes=2)) == ("practice", Rating.Again)
    assert card.reviews == 1 and card.lapses == 0  # practice leaves the card alone
    due = card.due_at
    assert answer(Verdict.CORRECT, "choose_translation", due) == ("due", Rating.Hard)
    assert card.reviews == 2
    assert answer(Verdict.CORRECT, "translate", card.due_at, hinted=True) == ("due", Rating.Hard)


def test_a_passed_test_out_rates_its_items_easy_once_a_learner_day():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    tested, studied = scheduler.new_card(1, _item(), start), scheduler.new_card(1, _item(), start)
    assert scheduler.review_test_out(tested, at=start, timezone="UTC", desired_retention=0.9) == "first"
    scheduler.review(studied, Rating.Good, start, 0.9)
    assert tested.due_at > studied.due_at  # Easy: it comes back later than a word studied and answered right
    assert tested.fsrs["stability"] > studied.fsrs["stability"]
    again = tested.due_at
    assert scheduler.review_test_out(tested, at=start + timedelta(hours=2), timezone="UTC",
                                     desired_retention=0.9) == "practice"  # once a learner-day
    assert tested.due_at == again and tested.reviews == 1
    assert scheduler.review_test_out(tested, at=start + timedelta(days=1), timezone="UTC",
                                     desired_retention=0.9) == "practice"  # not due yet: left alone
    assert scheduler.review_test_out(tested, at=again, timezone="UTC", desired_retention=0.9) == "due"
    assert tested.reviews == 2 and tested.due_at > again + (again - start)  # Easy again: the interval grows


def test_a_review_moves_the_due_date_and_a_lapse_brings_it_back():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    for day in range(4):
        scheduler.review(card, Rating.Good, start + timedelta(days=day * 3), 0.9)
    assert card.due_at > start + timedelta(days=12)
    assert card.reviews == 4 and card.correct_streak == 4 and card.stability > 2

    long_due = card.due_at
    scheduler.review(card, Rating.Again, start + timedelta(days=13), 0.9)
    assert card.due_at < long_due
    assert card.correct_streak == 0 and card.lapses == 1


def test_a_higher_retention_target_brings_words_back_sooner():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    relaxed, thorough = scheduler.new_card(1, _item(), start), scheduler.new_card(1, _item(), start)
    for day in range(3):
        scheduler.review(relaxed, Rating.Good, start + timedelta(days=day * 2), 0.8)
        scheduler.review(thorough, Rating.Good, start + timedelta(days=day * 2), 0.95)
    assert thorough.due_at < relaxed.due_at


def test_retrievability_is_high_after_a_review_and_fades():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    assert scheduler.retrievability(card, start) == 0.0
    scheduler.review(card, Rating.Good, start, 0.9)
    soon = scheduler.retrievability(card, start + timedelta(hours=1))
    later = scheduler.retrievability(card, start + timedelta(days=30))
    assert 0.9 < soon <= 1.0 and later < soon


def test_the_exercise_gets_harder_as_the_item_is_known():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    levels = [scheduler.knowledge_level(None), scheduler.knowledge_level(card)]
    for day in (0, 2, 8, 30):
        scheduler.review(card, Rating.Good, start + timedelta(days=day), 0.9)
        levels.append(scheduler.knowledge_level(card))
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == 3


# --- One review per item per learner-day --------------------------------------------------------------------

def test_a_new_card_is_reviewed_at_its_first_sight_and_a_second_sight_that_day_is_practice():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    assert scheduler.counts_as_review(card, start, "UTC")
    scheduler.review(card, Rating.Good, start, 0.9)
    assert not scheduler.counts_as_review(card, start + timedelta(minutes=3), "UTC")
    assert not scheduler.counts_as_review(card, start + timedelta(hours=14), "UTC")  # 23:00, still that day


def test_the_library_learning_steps_do_not_graduate_a_card_within_one_lesson():
    """With one review a day there are no minute-scale steps: the first rating sets a whole-day interval, and a
    second right answer minutes later changes nothing (it is practice, so it never reaches FSRS)."""
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    scheduler.review(card, Rating.Good, start, 0.9)
    assert card.due_at - start >= timedelta(days=1)
    assert card.fsrs["state"] == 2  # Review: no learning step left to take
    again = scheduler.new_card(1, _item(), start)
    scheduler.review(again, Rating.Again, start, 0.9)
    assert again.due_at - start == timedelta(days=1)  # a wrong first answer: back tomorrow, not in ten minutes


def test_an_item_not_yet_due_is_practice_and_a_due_one_is_reviewed_once_that_day():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    scheduler.review(card, Rating.Good, start, 0.9)
    due_day = card.due_at
    assert not scheduler.counts_as_review(card, due_day - timedelta(days=1), "UTC")
    assert scheduler.counts_as_review(card, due_day, "UTC")
    scheduler.review(card, Rating.Good, due_day, 0.9)
    assert not scheduler.counts_as_review(card, due_day + timedelta(hours=1), "UTC")


def test_due_is_compared_in_the_learners_calendar_day():
    """Due at 23:00 on the 7th (their time) is due all of the 7th, from the morning; the day turns at their
    midnight, not at UTC's."""
    card = scheduler.new_card(1, _item(), datetime(2026, 1, 5, 9, tzinfo=UTC))
    card.reviews, card.last_reviewed_at = 1, datetime(2026, 1, 5, 9, tzinfo=UTC)
    card.due_at = datetime(2026, 1, 8, 4, tzinfo=UTC)  # 23:00 on the 7th in New York (UTC-5)
    morning_in_new_york = datetime(2026, 1, 7, 13, tzinfo=UTC)  # 08:00 on the 7th
    assert scheduler.is_due(card, morning_in_new_york, "America/New_York")
    assert scheduler.counts_as_review(card, morning_in_new_york, "America/New_York")
    assert not scheduler.is_due(card, morning_in_new_york, "UTC")  # for a Londoner it is due on the 8th
    assert scheduler.day_end(morning_in_new_york, "America/New_York") == datetime(2026, 1, 8, 5, tzinfo=UTC)


def test_a_learner_day_follows_their_time_zone_and_an_unknown_zone_is_utc():
    late_evening_utc = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert str(scheduler.local_day(late_evening_utc, "UTC")) == "2026-01-05"
    assert str(scheduler.local_day(late_evening_utc, "Asia/Tokyo")) == "2026-01-06"
    assert str(scheduler.local_day(late_evening_utc, "Not/AZone")) == "2026-01-05"


def test_intervals_are_fuzzed_the_same_way_for_the_same_card():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)

    def schedule(item_id: int) -> list[datetime]:
        item = _item()
        item.id = item_id
        card = scheduler.new_card(1, item, start)
        dues, at = [], start
        for _ in range(5):
            scheduler.review(card, Rating.Good, at, 0.9)
            dues.append(card.due_at)
            at = card.due_at
        return dues

    assert schedule(7) == schedule(7)  # reproducible
    spread = {schedule(item_id)[-1] for item_id in range(1, 30)}
    assert len(spread) > 3  # but not every card on the same day
