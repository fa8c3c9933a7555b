"""FSRS fitted to the learner: their review log, once long enough, gives them weights of their own (and a course's
log gives its learners a prior); the scheduler uses them; the statistics page shows what they really remember."""

import math
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.learning import card_weights, fitting, fitting_jobs, services
from puchi.learning.models import (
    REVIEW_DUE,
    REVIEW_FIRST,
    Attempt,
    Card,
    Course,
    CourseFsrsParameters,
    Item,
    LearnerFsrsParameters,
    LessonSession,
)
from tests.learning.conftest import SPANISH, answer, first_skill_id, lesson_state, right_answer, start_lesson

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _histories(cards: int, reviews: int, seed: int = 1) -> list[list[tuple[int, int]]]:
    rng = random.Random(seed)
    histories = []
    for _ in range(cards):
        day, interval, history = 0, 1, []
        for _ in range(reviews):
            history.append((day, 1 if rng.random() < 0.15 else 3))
            interval = min(30, interval * 2) if history[-1][1] == 3 else 1
            day += interval
        histories.append(history)
    return histories


# --- The fit itself --------------------------------------------------------------------------------------------

def test_a_fit_gives_fsrs_weights_the_scheduler_accepts():
    weights = fitting.fit(_histories(60, 8))
    assert weights is not None and len(weights) == len(DEFAULT_PARAMETERS)
    assert all(low <= w <= high for w, low, high in zip(weights, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS,
                                                        strict=True))
    assert weights != list(DEFAULT_PARAMETERS)


def test_nothing_to_fit_without_a_card_seen_twice():
    assert fitting.fit([[(0, 3)], [(4, 1)]]) is None
    assert fitting.review_count([[(0, 3)], [(0, 3), (2, 3), (6, 1)]]) == 2


def test_a_hinted_answer_is_fitted_as_not_recalled():
    assert fitting.fit_rating(3, hinted=False) == 3
    assert fitting.fit_rating(2, hinted=True) == 1


# --- A learner's own fit is kept only if it predicts them better ----------------------------------------------

def test_a_learners_own_fit_is_kept_when_it_predicts_their_newest_reviews_better():
    mine = _histories(80, 7, seed=3)
    choice = fitting.fit_if_better(mine, [_slow_forgetting()] * len(mine))  # a prior that forgets far too slowly
    assert choice.fit_loss < choice.baseline_loss
    assert choice.weights is not None and choice.weights != _slow_forgetting()
    assert all(low <= w <= high for w, low, high in zip(choice.weights, LOWER_BOUNDS_PARAMETERS,
                                                        UPPER_BOUNDS_PARAMETERS, strict=True))


def test_a_course_prior_from_many_learners_like_them_beats_a_fit_to_a_few_hundred_reviews():
    pooled = fitting.fit(_histories(1500, 7, seed=11))
    mine = _histories(80, 7, seed=3)
    choice = fitting.fit_if_better(mine, [pooled] * len(mine))
    assert choice.baseline_loss < choice.fit_loss
    assert choice.weights is None  # the course's weights go on scheduling them


def test_each_card_is_judged_against_the_weights_that_schedule_it():
    mine = _histories(80, 7, seed=3)
    pooled = fitting.fit(_histories(1500, 7, seed=11))
    half = len(mine) // 2
    mixed = fitting.fit_if_better(mine, [pooled] * half + [None] * (len(mine) - half))
    alone = fitting.fit_if_better(mine, [pooled] * len(mine))
    defaults = fitting.fit_if_better(mine, [None] * len(mine))
    assert alone.baseline_loss < mixed.baseline_loss < defaults.baseline_loss


def test_nothing_to_judge_a_fit_by_without_a_card_seen_twice():
    choice = fitting.fit_if_better([[(0, 3)], [(2, 1)]], [None, None])
    assert choice.weights is None and math.isnan(choice.fit_loss)


# --- The job: from the review log to stored weights -----------------------------------------------------------

def _review_log(app, user_id: int, due_reviews: int, *, at: datetime = NOW) -> None:
    """``due_reviews`` FSRS reviews spread over the course's items and the weeks before ``at``."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SPANISH))
        items = list(db.session.scalars(select(Item.id).where(Item.course_id == course.id).limit(50)))
        session = LessonSession(user_id=user_id, course_id=course.id, kind="practice", status="completed",
                                steps=[], started_at=at)
        db.session.add(session)
        db.session.flush()
        per_item = due_reviews // len(items) + 1
        histories = _histories(len(items), per_item + 1)
        step = 0
        for item_id, history in zip(items, histories, strict=True):
            for number, (day, rating) in enumerate(history):
                if number and step >= due_reviews + len(items):
                    break
                answered = at - timedelta(days=history[-1][0] - day, minutes=5) if day < history[-1][0] \
                    else at - timedelta(minutes=5)
                db.session.add(Attempt(session_id=session.id, user_id=user_id, item_id=item_id, step_index=step,
                                       exercise_type="translate", answer="x", verdict="correct" if rating > 1
                                       else "wrong", expected="x", duration_ms=4000, hinted=False,
                                       review_kind=REVIEW_DUE if number else REVIEW_FIRST, rating=rating,
                                       created_at=answered))
                step += 1
        db.session.commit()


def _weights(app, user_id: int):
    with app.app_context():
        return db.session.scalar(select(LearnerFsrsParameters).where(LearnerFsrsParameters.user_id == user_id))


def test_a_learner_with_a_long_enough_log_gets_weights_of_their_own_once(app, make_user, spanish):
    ana, ben = make_user(email="ana@example.com"), make_user(email="ben@example.com")
    _review_log(app, ana.id, fitting.MIN_REVIEWS + 50)
    _review_log(app, ben.id, fitting.MIN_REVIEWS // 4)
    with app.app_context():
        queued = fitting_jobs.queue_fits(NOW)  # no Redis here: the job runs right after the commit
        assert queued == 1
        again = fitting_jobs.queue_fits(NOW + timedelta(minutes=1))
    assert again == 0  # claimed: not asked for again until the log grows
    mine = _weights(app, ana.id)
    assert mine is not None and len(mine.weights) == len(DEFAULT_PARAMETERS)
    assert mine.review_count >= fitting.MIN_REVIEWS
    assert _weights(app, ben.id) is None  # too few reviews to fit


def test_a_learner_whose_course_prior_predicts_them_better_keeps_no_weights_of_their_own(app, make_user, spanish):
    ana = make_user(email="ana@example.com")
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SPANISH))
        db.session.add(CourseFsrsParameters(course_id=course_id, weights=fitting.fit(_histories(1500, 7, seed=11)),
                                            review_count=9000, fitted_at=NOW))
        db.session.commit()
    _review_log(app, ana.id, fitting.MIN_REVIEWS + 50)
    with app.app_context():
        assert fitting_jobs.queue_fits(NOW) == 1
        assert fitting_jobs.queue_fits(NOW + timedelta(minutes=1)) == 0  # judged: not asked again until it grows
    mine = _weights(app, ana.id)
    assert mine is not None and mine.weights == []  # the course's weights schedule her (lessons._review_item)
    assert mine.review_count >= fitting.MIN_REVIEWS


def test_a_course_with_a_long_enough_log_gets_a_prior_for_its_learners(app, make_user, spanish):
    ana = make_user(email="ana@example.com")
    _review_log(app, ana.id, fitting.MIN_COURSE_REVIEWS + 100)
    with app.app_context():
        assert fitting_jobs.queue_fits(NOW) == 2  # the learner's own, and the course's
        prior = db.session.scalar(select(CourseFsrsParameters))
        assert prior is not None and len(prior.weights) == len(DEFAULT_PARAMETERS)
        assert prior.review_count >= fitting.MIN_COURSE_REVIEWS


# --- The scheduler uses them ------------------------------------------------------------------------------------

def _slow_forgetting() -> list[float]:
    weights = list(DEFAULT_PARAMETERS)
    weights[0:4] = [40.0, 60.0, 80.0, 99.0]  # a first review that holds for months
    return weights


@pytest.fixture
def learner_on_monday(logged_in, spanish):
    from tests.conftest import post_form

    with time_machine.travel(NOW, tick=False):
        client, user = logged_in()
        assert post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll").status_code == 302
    return client, user


def _first_answers(app, client) -> dict[int, datetime]:
    with time_machine.travel(NOW, tick=False):
        session_id = start_lesson(client, first_skill_id(app))
        for index in range(2):
            step = lesson_state(app, session_id).steps[index]
            assert answer(client, session_id, index, right_answer(app, step)).status_code == 200
    with app.app_context():
        return {card.item_id: card.due_at for card in db.session.scalars(select(Card))}


def test_the_learners_own_weights_schedule_their_cards(app, learner_on_monday):
    client, user = learner_on_monday
    with app.app_context():
        db.session.add(LearnerFsrsParameters(user_id=user.id, weights=_slow_forgetting(), review_count=500,
                                             fitted_at=NOW))
        db.session.commit()
    dues = _first_answers(app, client)
    assert dues and all(due > NOW + timedelta(days=20) for due in dues.values())


def test_a_course_prior_schedules_a_learner_without_weights_of_their_own(app, learner_on_monday):
    client, _user = learner_on_monday
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SPANISH))
        db.session.add(CourseFsrsParameters(course_id=course_id, weights=_slow_forgetting(), review_count=5000,
                                            fitted_at=NOW))
        db.session.commit()
    dues = _first_answers(app, client)
    assert dues and all(due > NOW + timedelta(days=20) for due in dues.values())


def test_without_fitted_weights_fsrs_defaults_schedule(app, learner_on_monday):
    client, _user = learner_on_monday
    dues = _first_answers(app, client)
    assert dues and all(due < NOW + timedelta(days=5) for due in dues.values())


def test_a_card_is_scheduled_by_the_learners_weights_else_its_courses_else_fsrs_defaults():
    mine, course = [0.5] * 21, [0.7] * 21
    assert card_weights.chosen(mine, course) == tuple(mine)
    assert card_weights.chosen([], course) == tuple(course)  # her own fit did not predict her better
    assert card_weights.chosen(None, course) == tuple(course)
    assert card_weights.chosen(None, None) is None


def _fsrs6_recall(days: float, stability: float, decay: float) -> float:
    """FSRS-6's forgetting curve, as its paper writes it."""
    factor = 0.9 ** (-1 / decay) - 1
    return (1 + factor * days / stability) ** -decay


def test_how_well_a_word_is_remembered_follows_the_forgetting_curve_that_schedules_it(app, learner_on_monday):
    client, user = learner_on_monday
    _first_answers(app, client)
    later = NOW + timedelta(days=12)
    with app.app_context():
        user = db.session.get(User, user.id)
        stabilities = sorted(card.stability for card in db.session.scalars(select(Card)))
        standard = sorted(word.recall for word in services.words_learned(user, later))  # both rise with stability
        steep = list(DEFAULT_PARAMETERS)
        steep[20] = 0.8  # the steepest decay FSRS-6 allows: a word is forgotten sooner after its stability
        db.session.add(LearnerFsrsParameters(user_id=user.id, weights=steep, review_count=500, fitted_at=NOW))
        db.session.commit()
        own = sorted(word.recall for word in services.words_learned(user, later))
    assert stabilities and len(standard) == len(own) == len(stabilities)
    for stability, by_default, by_hers in zip(stabilities, standard, own, strict=True):
        assert by_default == pytest.approx(_fsrs6_recall(12, stability, DEFAULT_PARAMETERS[20]), abs=1e-6)
        assert by_hers == pytest.approx(_fsrs6_recall(12, stability, 0.8), abs=1e-6)
        assert by_hers < by_default


# --- Measured retention ----------------------------------------------------------------------------------------

def test_measured_retention_is_the_share_of_due_reviews_recalled_without_a_hint(app, make_user, spanish):
    ana = make_user(email="ana@example.com")
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SPANISH))
        item_id = db.session.scalar(select(Item.id).where(Item.course_id == course_id).limit(1))
        session = LessonSession(user_id=ana.id, course_id=course_id, kind="practice", status="completed", steps=[],
                                started_at=NOW)
        db.session.add(session)
        db.session.flush()
        answers = [  # (review kind, rating, hinted, days ago)
            (REVIEW_DUE, 3, False, 1), (REVIEW_DUE, 2, False, 2), (REVIEW_DUE, 1, False, 3),
            (REVIEW_DUE, 2, True, 4),  # right with a hint: not recalled
            (REVIEW_FIRST, 3, False, 1),  # a first sight is not a due review
            ("practice", None, False, 1),
            (REVIEW_DUE, 1, False, 40),  # too long ago
        ]
        for index, (kind, rating, hinted, days) in enumerate(answers):
            db.session.add(Attempt(session_id=session.id, user_id=ana.id, item_id=item_id, step_index=index,
                                   exercise_type="translate", answer="", verdict="correct", expected="",
                                   duration_ms=1000, hinted=hinted, review_kind=kind, rating=rating,
                                   created_at=NOW - timedelta(days=days)))
        db.session.commit()
        measured = services.measured_retention(db.session.get(User, ana.id), NOW)
    assert (measured.reviews, measured.recalled, measured.target) == (4, 2, 0.9)
    assert measured.share == 0.5


def test_the_statistics_page_shows_measured_retention_against_the_target(app, learner_on_monday):
    client, user = learner_on_monday
    with time_machine.travel(NOW, tick=False):
        page = client.get("/progress").text
        assert "Remembered when due" in page
        assert "No word has come back for review in the last 30 days yet" in page
        assert "90%" in page
    _review_log(app, user.id, 40)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/progress").text
    share = re.search(r'data-retention="([0-9.]+)"', page)
    assert share and 0 < float(share.group(1)) <= 1
    assert re.search(r"you remembered \d+% without a hint\. You aim for 90%\.", page)


def _schedule_shown(client) -> str:
    with time_machine.travel(NOW, tick=False):
        page = client.get("/progress").text
    shown = re.search(r'data-schedule="(\w+)">\s*([^<]+?)\s*</p>', page)
    assert shown, "the statistics page says what schedules the reviews"
    return f"{shown.group(1)}: {shown.group(2)}"


def test_the_statistics_page_says_whose_memory_model_schedules_the_reviews(app, learner_on_monday):
    client, user = learner_on_monday
    assert _schedule_shown(client).startswith("standard: When words come back is worked out from FSRS's standard")
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SPANISH))
        db.session.add(CourseFsrsParameters(course_id=course_id, weights=_slow_forgetting(), review_count=5000,
                                            fitted_at=NOW))
        # A fit of her own that did not predict her better than the course's: no weights.
        db.session.add(LearnerFsrsParameters(user_id=user.id, weights=[], review_count=500, fitted_at=NOW))
        db.session.commit()
    assert _schedule_shown(client).startswith("course: When words come back is worked out from a memory model "
                                              "fitted to the answers of everyone in your course.")
    with app.app_context():
        mine = db.session.scalar(select(LearnerFsrsParameters).where(LearnerFsrsParameters.user_id == user.id))
        mine.weights = _slow_forgetting()
        db.session.commit()
    assert _schedule_shown(client) == ("own: When words come back is worked out from a memory model fitted to your "
                                       "own answers.")
