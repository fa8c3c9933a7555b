"""Lessons aimed at the learner: a P(correct) model per learner x item x exercise kind, trained by a periodic job
on stored answers, versioned in the database, with a prior before it has data; the builder uses it to ask each
item as hard as the learner can manage and to land a lesson in the target band of right answers."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from fsrs import Rating
from sqlalchemy import func, select

from puchi.config import _band
from puchi.core.db import db, now
from puchi.core.outbox import OutboxMessage
from puchi.learning import difficulty, difficulty_jobs, lesson_builder, scheduler
from puchi.learning.models import WORD, Attempt, Course, DifficultyModel, Item, LessonSession
from tests.learning.conftest import answer, first_skill_id, lesson_state, right_answer, start_lesson, wrong_answer


@pytest.fixture
def app_settings():
    return {"DIFFICULTY_MIN_ATTEMPTS": 20}


# --- The prior -------------------------------------------------------------------------------------------

def _prior(cards):
    return difficulty.prior_predictor(cards)


def test_before_any_training_recognition_is_easier_than_typing_and_a_new_word_is_hard_to_type():
    predictor = _prior({})
    choose, typed = predictor.probabilities([(1, difficulty.CHOOSE_MEANING), (1, difficulty.TYPE_WORD)])
    assert choose > 0.8
    assert typed < 0.5


def test_the_prior_follows_fsrs_retrievability():
    fading = difficulty.CardState(reviews=5, stability=3, difficulty=5, retrievability=0.6, elapsed_days=4)
    fresh = difficulty.CardState(reviews=5, stability=30, difficulty=5, retrievability=0.95, elapsed_days=1)
    predictor = _prior({1: fading, 2: fresh})
    weak, strong = predictor.probabilities([(1, difficulty.TYPE_WORD), (2, difficulty.TYPE_WORD)])
    assert weak < strong


# --- Choosing exercise kinds -----------------------------------------------------------------------------

def _word(item_id: int) -> Item:
    return Item(id=item_id, course_id=1, skill_id=1, kind=WORD, text=f"palabra{item_id}",
                translation=f"word{item_id}", alternatives=[], alternative_translations=[], images=[], extra={})


def test_an_item_the_learner_can_type_is_asked_typed_and_a_fading_one_by_recognition():
    known = difficulty.CardState(reviews=8, stability=60, difficulty=4, retrievability=0.99, elapsed_days=1)
    fading = difficulty.CardState(reviews=3, stability=2, difficulty=7, retrievability=0.45, elapsed_days=6)
    predictor = _prior({1: known, 2: fading})
    levels = lesson_builder.plan_levels(predictor, [(_word(1), 0), (_word(2), 0)], (0.5, 0.99))
    assert levels == {1: lesson_builder.TOP_LEVEL, 2: 0}


def test_a_lesson_too_easy_for_the_band_is_made_harder_and_one_too_hard_easier():
    cards = {n: difficulty.CardState(reviews=4, stability=10, difficulty=5, retrievability=0.93, elapsed_days=2)
             for n in range(1, 9)}
    words = [(_word(n), 0) for n in range(1, 9)]
    predictor = _prior(cards)
    for band in [(0.80, 0.85), (0.70, 0.75), (0.90, 0.95)]:
        levels = lesson_builder.plan_levels(predictor, words, band)
        kinds = [(n, lesson_builder.LADDER[True][level]) for n, level in levels.items()]
        share = sum(predictor.probabilities(kinds)) / len(kinds)
        assert band[0] - 0.05 <= share <= band[1] + 0.05, (band, share, levels)


def test_a_due_review_is_asked_in_production_when_the_learner_has_a_fair_chance_there():
    """A pick among choices passes a forgotten word one time in four: the day's review of a due word is typed
    whenever the model gives the learner at least a blind pick's chance of typing it, and eased back to
    recognition only after every other step when the lesson would fall below its band."""
    young = difficulty.CardState(reviews=2, stability=3, difficulty=5, retrievability=0.85, elapsed_days=3)
    lost = difficulty.CardState(reviews=2, stability=1, difficulty=8, retrievability=0.3, elapsed_days=9)
    predictor = _prior({1: young, 2: lost})
    typed = predictor.probabilities([(1, difficulty.TYPE_MEANING), (2, difficulty.TYPE_MEANING)])
    assert lesson_builder.DUE_PRODUCTION_FLOOR <= typed[0] < 0.8 and typed[1] < lesson_builder.DUE_PRODUCTION_FLOOR
    starts = lesson_builder.production_starts(predictor, [_word(1), _word(2)])
    assert starts == {1: lesson_builder.production_level(_word(1))}  # typing the meaning: the ladder's level 2
    easy = difficulty.CardState(reviews=6, stability=40, difficulty=3, retrievability=0.99, elapsed_days=1)
    others = {n: easy for n in range(3, 9)}
    predictor = _prior({1: young, **others})
    entries = [(_word(n), 0) for n in (1, *others)]
    without = lesson_builder.plan_levels(predictor, entries, (0.80, 0.85))
    assert without[1] < 2  # by the band alone it would be picked
    levels = lesson_builder.plan_levels(predictor, entries, (0.80, 0.85), starts=starts)
    assert levels[1] == 2  # the other steps make room for it
    alone = lesson_builder.plan_levels(_prior({1: young}), [(_word(1), 0)], (0.80, 0.85), starts=starts)
    assert alone[1] < 2  # nothing else can: the band wins


def test_reviews_make_up_for_the_new_items_of_a_lesson_which_are_nearly_always_right():
    """Met just after its teach card, a new item is right almost every time: a lesson of four new items (eight
    steps) aims its four reviews much lower than a practice of reviews alone, so the lesson lands in the band."""
    band = (0.80, 0.85)
    practice = lesson_builder.review_aim(band, (), 10)
    lesson = lesson_builder.review_aim(band, [0.99] * 8, 4)
    assert practice == pytest.approx(0.825 + lesson_builder.HEADROOM)
    assert lesson == pytest.approx((0.825 * 12 - 0.99 * 8) / 4 + lesson_builder.HEADROOM)
    assert lesson < practice - 0.3


def _material(strong: int, weak: int, skill_items=()) -> lesson_builder.LessonMaterial:
    """A learner with ``strong`` words reviewed twice, the last time yesterday (not due, well remembered), and
    ``weak`` words met once three weeks ago (due, fading)."""
    at = now()
    words = [_word(n) for n in range(1, strong + weak + 1)]
    cards = {}
    for word in words:
        card = scheduler.new_card(1, word, at - timedelta(days=21))
        scheduler.review(card, Rating.Good, at - timedelta(days=21), 0.9)
        if word.id <= strong:
            scheduler.review(card, Rating.Good, at - timedelta(days=1), 0.9)
        cards[word.id] = card
    course = Course(id=1, slug="es", title="Spanish", target_language="es", target_language_name="Spanish",
                    source_language="en", source_language_name="English")
    return lesson_builder.LessonMaterial(course=course, skill_items=list(skill_items), cards=cards,
                                         review_items=words, pool=words, now=at)


def _mean_chance(material: lesson_builder.LessonMaterial, items) -> float:
    chances = material.predicting().probabilities([(i.id, difficulty.CHOOSE_MEANING) for i in items])
    return sum(chances) / len(chances)


def test_a_low_aim_picks_the_weak_reviews_and_a_high_one_mixes_in_words_the_learner_knows():
    material = _material(strong=12, weak=12)
    low = lesson_builder._review_choice(material, exclude=set(), prefer_skill=set(), count=4, aim=0.5)
    high = lesson_builder._review_choice(material, exclude=set(), prefer_skill=set(), count=4, aim=0.95)
    assert all(item.id > 12 for item in low)  # all due and fading
    assert any(item.id <= 12 for item in high)  # the most urgent quarter, then words known well
    assert _mean_chance(material, low) < _mean_chance(material, high)
    practice = [s.item_id for s in lesson_builder.build_practice(material, seed=1) if s.review]
    assert any(n <= 12 for n in practice) and any(n > 12 for n in practice)  # a practice mixes both


def test_the_band_is_read_from_puchi_target_success():
    assert _band(None, (0.8, 0.85)) == (0.8, 0.85)
    assert _band("0.70-0.75", (0.8, 0.85)) == (0.7, 0.75)
    assert _band("0.9", (0.8, 0.85)) == (0.9, 0.9)
    with pytest.raises(ValueError):
        _band("0.4-1.2", (0.8, 0.85))


# --- Training and versions -------------------------------------------------------------------------------

def _play(app, client, session_id, rng: random.Random, wrong_share: float):
    for _ in range(80):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            return
        step = session.steps[session.position]
        choose = wrong_answer if rng.random() < wrong_share else right_answer
        assert answer(client, session_id, session.position, choose(app, step)).status_code == 200
    raise AssertionError("the lesson never ended")


@pytest.fixture
def answers(app, logged_in, spanish):
    """Two learners who played two lessons each, one better than the other."""
    from puchi.accounts.models import User
    from tests.conftest import post_form

    rng = random.Random(5)
    for n, wrong_share in enumerate([0.1, 0.4]):
        client, user = logged_in(email=f"learner{n}@example.com")
        with app.app_context():  # no hearts to lose: wrong answers never stop them
            db.session.get(User, user.id).relaxed_mode = True
            db.session.commit()
        post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll")
        for _ in range(2):
            _play(app, client, start_lesson(client, first_skill_id(app)), rng, wrong_share)


def test_each_answer_keeps_the_direction_it_was_asked_in(app, answers):
    with app.app_context():
        directions = set(db.session.scalars(select(Attempt.direction).where(Attempt.item_id.is_not(None))))
    assert {"to_source", "to_target"} <= directions


def test_the_chore_queues_one_training_which_the_job_stores_as_plain_numbers(app, answers):
    with app.app_context():
        assert difficulty_jobs.queue_training(now()) == 1  # runs the job inline (no Redis in tests)
        assert difficulty_jobs.queue_training(now()) == 0  # trained a moment ago: not again today
        model = db.session.scalar(select(DifficultyModel))
        assert model.version == 1 and model.status == "ready"
        assert model.attempts_used > 20 and model.learners_used == 2
        json.dumps(model.coefficients)  # numbers, not a pickle
        assert model.coefficients["features"] == list(difficulty.FEATURES)
        assert len(model.coefficients["coef"]) == len(difficulty.FEATURES)
        assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.job == difficulty_jobs.TRAIN_JOB, OutboxMessage.status == "done")) == 1


def test_a_day_later_with_new_answers_a_new_version_is_trained(app, answers):
    with app.app_context():
        difficulty_jobs.queue_training(now())
        assert difficulty_jobs.queue_training(now() + timedelta(hours=23)) == 0
        # New answers came since (the fixture's, dated after the first training for this test).
        db.session.execute(Attempt.__table__.update().values(created_at=now() + timedelta(hours=1)))
        db.session.commit()
        assert difficulty_jobs.queue_training(now() + timedelta(hours=25)) == 1
        versions = db.session.execute(select(DifficultyModel.version, DifficultyModel.status)
                                      .order_by(DifficultyModel.version)).all()
    assert [tuple(v) for v in versions] == [(1, "ready"), (2, "ready")]


def test_a_job_delivered_twice_trains_once(app, answers):
    with app.app_context():
        difficulty_jobs.queue_training(now())
        trained_at = db.session.scalar(select(DifficultyModel.trained_at))
        difficulty_jobs.train_version({"version": 1})
        assert db.session.scalar(select(DifficultyModel.trained_at)) == trained_at


def test_without_enough_answers_nothing_is_queued(app, logged_in, spanish):
    with app.app_context():
        assert difficulty_jobs.queue_training(now()) == 0
        assert db.session.scalar(select(func.count(DifficultyModel.id))) == 0


def test_training_reads_only_the_most_recent_answers(app, answers):
    with app.app_context():
        total = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.item_id.is_not(None)))
        records = difficulty_jobs.load_records(10)
        newest = db.session.scalars(select(Attempt.created_at).where(Attempt.item_id.is_not(None))
                                    .order_by(Attempt.created_at.desc()).limit(10)).all()
    assert total > 10 and len(records) == 10
    assert [r.at for r in records] == sorted(newest)


def test_lessons_use_the_newest_trained_version_and_the_prior_before_one(app, answers, logged_in, spanish):
    from puchi.accounts.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "learner0@example.com"))
        course = db.session.scalar(select(Course).where(Course.slug == spanish))
        items = list(db.session.scalars(select(Item).where(Item.course_id == course.id).limit(5)))
        before = difficulty_jobs.predictor_for(user.id, [], [i.id for i in items], now(), 0.9)
        assert isinstance(before.model, difficulty.PriorModel)
        difficulty_jobs.queue_training(now())
        after = difficulty_jobs.predictor_for(user.id, [], [i.id for i in items], now(), 0.9)
        assert isinstance(after.model, difficulty.LogisticModel) and after.model.version == 1
        assert after.learner.attempts > 0
        chances = after.probabilities([(i.id, difficulty.CHOOSE_MEANING) for i in items])
        assert all(0 < p < 1 for p in chances)


def test_a_stored_model_made_for_other_features_is_not_used():
    stale = {"format": difficulty.MODEL_FORMAT, "features": ["something", "else"], "mean": [0, 0],
             "scale": [1, 1], "coef": [1, 1], "intercept": 0}
    assert difficulty.LogisticModel.from_json(stale, 1) is None


def test_a_lesson_built_with_a_trained_model_keeps_its_shape(app, answers, logged_in, spanish):
    from tests.conftest import post_form

    with app.app_context():
        difficulty_jobs.queue_training(now())
    client, _ = logged_in(email="newcomer@example.com")
    post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll")
    session = lesson_state(app, start_lesson(client, first_skill_id(app)))
    new_items = {s.item_id for s in session.steps if s.type == "choose_translation" and s.direction == "to_source"}
    assert len(new_items) == lesson_builder.NEW_PER_LESSON
    first_sight = {}
    for index, step in enumerate(session.steps):
        if step.item_id is not None:
            first_sight.setdefault(step.item_id, (index, step.type))
    assert all(kind == "choose_translation" for _, kind in first_sight.values())  # met by recognition first
    with app.app_context():
        assert db.session.get(LessonSession, session.id).status == "active"


def test_starting_a_lesson_with_a_trained_model_costs_the_same_queries_however_many_words_were_met(
        app, answers, logged_in, spanish):
    from puchi.accounts.models import User
    from tests.conftest import post_form
    from tests.learning.test_query_counts import counting_queries

    with app.app_context():
        difficulty_jobs.queue_training(now())
    client, user = logged_in(email="counted@example.com")
    with app.app_context():
        db.session.get(User, user.id).relaxed_mode = True
        db.session.commit()
    post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll")
    counts = []
    for _ in range(3):
        skill = first_skill_id(app)
        client.get(f"/skills/{skill}")  # warm what the first request fills
        with counting_queries(app) as statements:
            session_id = start_lesson(client, skill)
        counts.append(len(statements))
        _play(app, client, session_id, random.Random(1), 0.0)
    assert counts[1] == counts[2], counts  # 4, then 8 words met: the same queries
