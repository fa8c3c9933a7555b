"""Hearts: lost on mistakes in lessons, refilled by time, practice or gems; switched off in relaxed mode."""

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from puchi import create_app
from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.errors import Conflict, Forbidden, PaymentRequired
from puchi.learning import lessons
from puchi.progress import services
from puchi.progress.models import GemTransaction, ProgressProfile
from tests.conftest import post_form, settings_for_tests
from tests.learning.conftest import first_skill_id
from tests.progress.conftest import finish_lesson, profile


def _set(app, user_id, **values):
    with app.app_context():
        services.profile_for(user_id)
        db.session.execute(ProgressProfile.__table__.update().where(ProgressProfile.user_id == user_id)
                           .values(**values))
        db.session.commit()


def test_each_wrong_answer_in_a_lesson_costs_a_heart(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id, mistakes=2)
    assert profile(app, learner.id).hearts == 3


def test_an_almost_right_answer_costs_nothing(app, enrolled):
    from puchi.core import events
    from puchi.learning.events import ItemReviewed, SessionKind, Verdict

    learner = enrolled()
    with app.app_context():
        services.profile_for(learner.id)
        events.record(ItemReviewed(course_id=1, skill_id=1, verdict=Verdict.ALMOST, rating=2, exercise="translate",
                                   duration_ms=3000, session_kind=SessionKind.LESSON),
                      actor_id=learner.id, subject=("item", 1))
        db.session.commit()
    assert profile(app, learner.id).hearts == 5


def test_hearts_come_back_one_every_four_hours(app, enrolled):
    learner = enrolled()
    start = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    _set(app, learner.id, hearts=1, hearts_updated_at=start)
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert services.overview(user, start + timedelta(hours=3)).hearts == 1
        later = services.overview(user, start + timedelta(hours=9))
        assert later.hearts == 3 and later.next_heart_at == start + timedelta(hours=12)
        assert services.overview(user, start + timedelta(days=2)).hearts == 5


def test_with_no_hearts_a_new_lesson_waits_but_practice_is_open_and_earns_one(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id)
    _set(app, learner.id, hearts=0, hearts_updated_at=datetime.now(UTC))
    with app.app_context():
        user = db.session.get(User, learner.id)
        with pytest.raises(Forbidden) as refused:
            lessons.start_lesson(user, first_skill_id(app))
        assert refused.value.code == "out_of_hearts"
    finish_lesson(app, learner.id, practice=True)
    assert profile(app, learner.id).hearts == 1


def test_a_learner_without_hearts_is_told_what_to_do(app, enrolled):
    from tests.conftest import AuthActions

    learner = enrolled()
    _set(app, learner.id, hearts=0, hearts_updated_at=datetime.now(UTC))
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    skill_id = first_skill_id(app)
    response = post_form(client, f"/skills/{skill_id}", {}, action=f"/skills/{skill_id}/lessons")
    assert response.status_code == 200  # a state of the game with its ways on, never an error page
    assert "out of hearts" in response.text and "Refill for 30 gems" in response.text


def test_relaxed_mode_turns_hearts_off(app, enrolled):
    learner = enrolled()
    with app.app_context():
        db.session.get(User, learner.id).relaxed_mode = True
        db.session.commit()
    finish_lesson(app, learner.id, mistakes=3)
    _set(app, learner.id, hearts=0)
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert services.overview(user).unlimited_hearts
        lessons.start_lesson(user, first_skill_id(app))  # no gate


def test_premium_can_grant_unlimited_hearts_through_the_entitlement_seam(app, enrolled):
    learner = enrolled()
    _set(app, learner.id, hearts=0)
    check = lambda user: user.id == learner.id  # noqa: E731 - what billing will register
    services.add_unlimited_hearts_check(app, check)
    with app.app_context():
        lessons.start_lesson(db.session.get(User, learner.id), first_skill_id(app))



def test_two_apps_in_one_process_do_not_share_hearts_checks(app, enrolled, database_url, smtp_sink):
    learner = enrolled()
    other = create_app(settings_for_tests(database_url, smtp_sink.url))
    services.add_unlimited_hearts_check(other, lambda user: user.id == learner.id)

    with app.app_context():
        assert not services.unlimited_hearts(db.session.get(User, learner.id))
    with other.app_context():
        assert services.unlimited_hearts(db.session.get(User, learner.id))
        db.session.remove()
        db.engine.dispose()

def test_gems_buy_a_streak_freeze_and_a_heart_refill(app, enrolled):
    learner = enrolled()
    _set(app, learner.id, gems=120, hearts=2)
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert services.buy(user, "streak_freeze").streak_freezes == 1
        assert services.buy(user, "heart_refill").hearts == 5
        with pytest.raises(Conflict) as full:
            services.buy(user, "heart_refill")
        assert full.value.code == "hearts_full"
        with pytest.raises(PaymentRequired) as poor:
            services.buy(user, "streak_freeze")  # 40 gems left
        assert poor.value.code == "not_enough_gems"
        ledger = db.session.scalars(select(GemTransaction.amount).order_by(GemTransaction.id)).all()
    assert ledger == [-50, -30]
    assert profile(app, learner.id).gems == 40


def test_at_most_two_freezes_are_equipped(app, enrolled):
    learner = enrolled()
    _set(app, learner.id, gems=500)
    with app.app_context():
        user = db.session.get(User, learner.id)
        services.buy(user, "streak_freeze")
        services.buy(user, "streak_freeze")
        with pytest.raises(Conflict) as full:
            services.buy(user, "streak_freeze")
        assert full.value.code == "freezes_full"
    assert profile(app, learner.id).gems == 400


def test_the_shop_page_explains_refusals(app, enrolled):
    from tests.conftest import AuthActions

    learner = enrolled()
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    response = post_form(client, "/shop", {"item": "streak_freeze"}, follow_redirects=True)
    assert 'flash--error">You need more gems' in response.text
    unknown = post_form(client, "/shop", {"item": "nonsense"}, follow_redirects=True)
    assert unknown.status_code == 200 and 'flash--error">That is not in the shop.' in unknown.text


@pytest.mark.parametrize(("item", "full", "shown", "not_shown"), [
    ("streak_freeze", {"streak_freezes": 2}, "You already have two streak freezes.", "Your hearts are already full."),
    ("heart_refill", {"hearts": 5}, "Your hearts are already full.", "You already have two streak freezes."),
])
def test_buying_what_is_already_full_says_which_and_charges_nothing(app, enrolled, item, full, shown, not_shown):
    """The shop tells the two "already full" refusals apart by their code, as news rather than an error."""
    from tests.conftest import AuthActions

    learner = enrolled()
    _set(app, learner.id, gems=500, **full)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    response = post_form(client, "/shop", {"item": item}, follow_redirects=True)
    assert f'flash--info">{shown}' in response.text
    assert not_shown not in response.text
    assert profile(app, learner.id).gems == 500


def test_the_shop_explains_a_refusal_in_the_learners_language(app, enrolled):
    from tests.conftest import AuthActions

    learner = enrolled()
    with app.app_context():
        db.session.get(User, learner.id).locale = "es"
        db.session.commit()
    _set(app, learner.id, gems=500, streak_freezes=2)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    response = post_form(client, "/shop", {"item": "streak_freeze"}, follow_redirects=True)
    assert 'flash--info">Ya tienes dos protectores de racha.' in response.text


def _parallel(app, count, action):
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                action()
                outcomes.append("ok")
            except Exception as error:  # the outcome is what is asserted
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


postgres_only = pytest.mark.skipif(os.environ.get("PUCHI_TEST_DB") != "postgresql",
                                   reason="concurrent writers need PostgreSQL (SQLite runs one writer at a time)")


@postgres_only
def test_twenty_parallel_purchases_never_overdraw_gems(app, enrolled):
    learner = enrolled()
    _set(app, learner.id, gems=100, hearts=0)  # enough for two freezes (and the cap is two anyway)

    def buy():
        services.buy(db.session.get(User, learner.id), "heart_refill")

    outcomes = _parallel(app, 20, buy)
    state = profile(app, learner.id)
    assert state.gems >= 0
    assert outcomes.count("ok") == (100 - state.gems) // 30
    with app.app_context():
        spent = db.session.scalar(select(func.sum(GemTransaction.amount)))
    assert -spent == 100 - state.gems


@postgres_only
def test_twenty_parallel_lesson_completions_award_the_right_xp(app, enrolled):
    from puchi.learning.models import Item, LessonSession
    from puchi.learning.steps import Direction, ExerciseType, Step

    learner = enrolled()
    with app.app_context():
        item = db.session.scalar(select(Item).order_by(Item.id).limit(1))
        sessions = [LessonSession(user_id=learner.id, course_id=item.course_id, skill_id=item.skill_id,
                                  kind="lesson", status="active", position=0,
                                  steps=[Step(ExerciseType.TRANSLATE, item_id=item.id, direction=Direction.TO_SOURCE,
                                              prompt=item.text)]) for _ in range(20)]
        db.session.add_all(sessions)
        db.session.commit()
        ids, translation = [s.id for s in sessions], item.translation
    pending = list(ids)
    lock = threading.Lock()

    def complete():
        with lock:
            session_id = pending.pop()
        lessons.submit_answer(db.session.get(User, learner.id), session_id, 0, translation, duration_ms=3000)

    assert _parallel(app, 20, complete) == ["ok"] * 20
    state = profile(app, learner.id)
    assert state.total_xp == 20 * 15 and state.lessons_completed == 20
    assert state.current_streak == 1


def test_the_shop_lists_the_gem_transactions(app, enrolled):
    from tests.conftest import AuthActions

    learner = enrolled()
    finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    page = client.get("/shop").text
    assert "Lesson finished" in page and "+5" in page
