"""The lesson player's page: a focused screen, no empty Check, verdicts marked, hearts as a game rule."""

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from puchi.core.db import db
from puchi.learning import exercises, grading
from puchi.learning.models import Attempt
from puchi.progress import services as progress
from puchi.progress.models import ProgressProfile
from tests.conftest import post_form
from tests.learning.conftest import answer, first_skill_id, lesson_state, right_answer, start_lesson, wrong_answer


def _set_profile(app, user_id, **values):
    with app.app_context():
        progress.profile_for(user_id)
        db.session.execute(ProgressProfile.__table__.update().where(ProgressProfile.user_id == user_id)
                           .values(**values))
        db.session.commit()


def _hearts(app, user_id):
    with app.app_context():
        return db.session.get(ProgressProfile, user_id).hearts


def _attempts(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Attempt.id)))


def test_a_lesson_is_a_focused_screen_with_quit_progress_and_hearts(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    page = client.get(f"/lessons/{session_id}").text
    assert 'class="site-header"' not in page and 'class="site-footer"' not in page
    assert "data-quit" in page and "Quit this lesson?" in page and "<dialog" in page
    assert 'class="lesson-progress"' in page and 'data-hearts="5"' in page
    assert "js/lesson.js" in page and "css/lesson.css" in page
    assert 'class="lesson-bar"' in page and "data-check" in page
    other = client.get("/courses").text  # lesson-only script and styles stay on lesson pages
    assert "js/lesson.js" not in other and "css/lesson.css" not in other and 'class="site-header"' in other


def test_an_empty_check_is_refused_and_costs_nothing(app, learner):
    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    response = answer(client, session_id, 0, {"answer": "  "})
    assert response.status_code == 422
    assert "Choose or type an answer first." in response.text
    session = lesson_state(app, session_id)
    assert (session.position, session.wrong_count) == (0, 0)
    assert _attempts(app) == 0 and _hearts(app, user.id) == 5


def test_an_empty_match_is_refused_too(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    session = lesson_state(app, session_id)
    for index, step in enumerate(session.steps):
        if step.type == exercises.MATCH:
            break
        answer(client, session_id, index, right_answer(app, step))
    else:
        return  # this lesson has no match step
    response = answer(client, session_id, index, {f"pair_{n}": "" for n in range(len(step.item_ids))})
    assert response.status_code == 422
    assert lesson_state(app, session_id).position == index


def test_a_checked_match_keeps_the_partners_the_learner_chose(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    session = lesson_state(app, session_id)
    index, step = next((n, s) for n, s in enumerate(session.steps) if s.type == exercises.MATCH)
    for earlier in range(index):
        answer(client, session_id, earlier, right_answer(app, session.steps[earlier]))
    chosen = list(reversed(step.right))  # some partners wrong, all chosen
    response = answer(client, session_id, index, {f"pair_{n}": right for n, right in enumerate(chosen)})
    assert response.status_code == 200
    menus = re.findall(r'<select id="pair_\d+"([^>]*)>(.*?)</select>', response.text, re.S)
    assert len(menus) == len(chosen) and all("disabled" in attributes for attributes, _ in menus)
    shown = [re.findall(r'<option value="([^"]*)" selected>', options) for _, options in menus]
    assert shown == [[html.escape(right)] for right in chosen]


def test_a_wrong_choice_is_marked_and_the_right_one_highlighted(app, learner):
    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    step = lesson_state(app, session_id).steps[0]
    assert step.choices, "a lesson opens with a choice"
    wrong, right = wrong_answer(app, step)["answer"], right_answer(app, step)["answer"]
    response = answer(client, session_id, 0, {"answer": wrong})
    text = response.text
    assert 'class="feedback feedback--wrong"' in text
    assert "choice choice--picked choice--wrong" in text and "choice choice--right" in text
    assert f'<span class="correction" lang="en" dir="ltr">{right}</span>' in text or right in text
    assert 'data-hearts="4"' in text  # the top bar's hearts follow the answer
    assert _hearts(app, user.id) == 4


def test_an_almost_answer_says_what_kind_of_slip_it_was():
    assert grading.slip_kind("que tal", "qué tal") == grading.ACCENT_SLIP
    assert grading.slip_kind("buenosdias", "buenos días") == grading.SPACING_SLIP
    assert grading.slip_kind("graciass", "gracias") == grading.TYPO_SLIP


def test_special_characters_appear_only_when_typing(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    for _ in range(40):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            break
        step = session.steps[session.position]
        page = client.get(f"/lessons/{session_id}").text
        typing = step.type in {exercises.TRANSLATE, exercises.LISTEN, exercises.SPEAK} or (
            step.type == exercises.FILL and not step.choices)
        if not typing:
            assert 'class="special-characters"' not in page, step.type
        answer(client, session_id, session.position, right_answer(app, step))


def test_the_last_heart_stops_the_lesson_with_every_way_on(app, learner):
    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    _set_profile(app, user.id, hearts=1, hearts_updated_at=datetime.now(UTC), gems=40)
    step = lesson_state(app, session_id).steps[0]
    response = answer(client, session_id, 0, wrong_answer(app, step))
    assert "That was your last heart." in response.text and 'data-hearts="0"' in response.text

    stopped = client.get(f"/lessons/{session_id}")
    assert stopped.status_code == 200
    text = stopped.text
    assert "re out of hearts" in text
    assert "Refill for 30 gems" in text and "Practise to earn a heart" in text
    assert "data-countdown" in text  # (Super is offered too when billing is on: tests/billing/test_perk_seams.py)
    assert 'name="step"' not in text  # no exercise behind the sheet

    attempts = _attempts(app)
    refused = answer(client, session_id, 1, right_answer(app, lesson_state(app, session_id).steps[1]))
    assert refused.status_code == 200 and "out of hearts" in refused.text
    assert _attempts(app) == attempts and lesson_state(app, session_id).position == 1

    # Refill with gems: back to the lesson, where it was.
    bought = post_form(client, f"/lessons/{session_id}", {"item": "heart_refill",
                                                          "next": f"/lessons/{session_id}"}, action="/shop")
    assert bought.status_code == 302 and bought.headers["Location"].endswith(f"/lessons/{session_id}")
    assert _hearts(app, user.id) == 5
    again = client.get(f"/lessons/{session_id}").text
    assert 'name="step" value="1"' in again and "out of hearts" not in again


def test_starting_a_lesson_without_hearts_shows_the_sheet_not_an_error(app, learner):
    client, user = learner
    _set_profile(app, user.id, hearts=0, hearts_updated_at=datetime.now(UTC))
    skill_id = first_skill_id(app)
    response = post_form(client, f"/skills/{skill_id}", {}, action=f"/skills/{skill_id}/lessons")
    assert response.status_code == 200
    assert "out of hearts" in response.text and "Practise to earn a heart" in response.text
    assert f'name="next" value="/skills/{skill_id}"' in response.text
    assert 'class="site-header"' not in response.text


def test_sounds_are_small_and_named_only_when_the_preference_is_on(app, learner):
    from pathlib import Path

    for name in ("correct", "wrong", "complete", "match"):
        assert (Path(app.static_folder) / "sounds" / f"{name}.wav").stat().st_size < 20_000
    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    assert 'data-sounds="/static/sounds/"' in client.get(f"/lessons/{session_id}").text
    with app.app_context():
        from puchi.accounts.models import User

        db.session.get(User, user.id).sound_effects = False
        db.session.commit()
    assert "data-sounds" not in client.get(f"/lessons/{session_id}").text


def _make_first_step(app, session_id, step):
    from puchi.learning.models import LessonSession

    with app.app_context():
        session = db.session.get(LessonSession, session_id)
        session.steps = [step, *session.steps[1:]]
        db.session.commit()


def test_a_choice_with_another_accepted_meaning_is_right(app, learner):
    from puchi.learning.models import Item
    from puchi.learning.steps import Direction, ExerciseType, Step

    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    with app.app_context():
        adios = db.session.scalar(select(Item).where(Item.text == "adiós"))
        step = Step(ExerciseType.CHOOSE, item_id=adios.id, direction=Direction.TO_TARGET, prompt="goodbye",
                    choices=("gracias", "hasta luego", "adiós", "sí"))
    _make_first_step(app, session_id, step)
    response = answer(client, session_id, 0, {"answer": "hasta luego"})  # the course lists "goodbye" for it
    assert 'class="feedback feedback--correct"' in response.text
    assert _hearts(app, user.id) == 5


def test_a_wrong_choice_is_corrected_with_the_option_as_offered(app, learner):
    from puchi.learning.models import Item
    from puchi.learning.steps import Direction, ExerciseType, Step

    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    with app.app_context():
        gracias = db.session.scalar(select(Item).where(Item.text == "gracias"))
        step = Step(ExerciseType.CHOOSE, item_id=gracias.id, direction=Direction.TO_SOURCE, prompt="gracias",
                    choices=("please", "thank you", "hello", "yes"))
    _make_first_step(app, session_id, step)
    response = answer(client, session_id, 0, {"answer": "please"})
    assert '<span class="correction" lang="en" dir="ltr">thank you</span>' in response.text
    assert "choice choice--right" in response.text and "choice choice--picked choice--wrong" in response.text


def test_a_right_answer_in_other_words_is_shown_the_courses_own_but_not_for_case_or_punctuation(app, learner):
    from puchi.learning.models import Item
    from puchi.learning.steps import Direction, ExerciseType, Step

    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    with app.app_context():
        from puchi.learning.models import LessonSession

        londres = db.session.scalar(select(Item).where(Item.text == "Soy de Londres."))
        dos = db.session.scalar(select(Item).where(Item.text == "dos"))
        session = db.session.get(LessonSession, session_id)
        session.steps = [Step(ExerciseType.TRANSLATE, item_id=londres.id, direction=Direction.TO_SOURCE,
                              prompt=londres.text),
                         Step(ExerciseType.TRANSLATE, item_id=dos.id, direction=Direction.TO_SOURCE, prompt=dos.text),
                         *session.steps[2:]]
        db.session.commit()
    response = answer(client, session_id, 0, {"answer": "i am from london"})
    assert 'class="feedback feedback--correct"' in response.text
    assert "Another right answer" not in response.text  # the same words: only case and the full stop differ
    response = answer(client, session_id, 1, {"answer": "2"})  # a number in digits is right: the word is shown
    assert 'class="feedback feedback--correct"' in response.text
    assert 'Another right answer: <span lang="en" dir="ltr">two</span>' in response.text


def test_course_text_runs_its_own_way_in_a_right_to_left_interface(app, learner):
    from puchi.accounts.models import User
    from puchi.learning.models import Item
    from puchi.learning.steps import Direction, ExerciseType, Step

    client, user = learner
    with app.app_context():
        db.session.get(User, user.id).locale = "ar"
        db.session.commit()
    session_id = start_lesson(client, first_skill_id(app))
    with app.app_context():
        londres = db.session.scalar(select(Item).where(Item.text == "Soy de Londres."))
        step = Step(ExerciseType.TRANSLATE, item_id=londres.id, direction=Direction.TO_TARGET,
                    prompt="I am from London.")
    _make_first_step(app, session_id, step)
    page = client.get(f"/lessons/{session_id}").text
    assert '<html lang="ar" dir="rtl"' in page
    assert '<p class="prompt" lang="en" dir="ltr">' in page  # "London." keeps its full stop at its end
    assert re.search(r'<input class="answer-input" id="answer" name="answer" type="text" lang="es" dir="ltr"', page)


@pytest.mark.parametrize("kind", ["choose", "translate", "tiles", "listen", "speak", "fill", "match"])
@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_kind_of_exercise_renders_its_question_and_its_feedback(app, learner, kind, locale):
    import random

    from puchi.accounts.models import User
    from puchi.learning.models import Course, Item, LessonSession
    from puchi.learning.steps import Direction

    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    with app.app_context():
        db.session.get(User, user.id).locale = locale
        session = db.session.get(LessonSession, session_id)
        course = db.session.get(Course, session.course_id)
        pool = list(db.session.scalars(select(Item).where(Item.course_id == course.id).order_by(Item.id).limit(40)))
        phrase = db.session.scalar(select(Item).where(Item.text == "Soy de Londres."))
        rng = random.Random(1)
        vocabulary = [item.text for item in pool]
        step = {"choose": lambda: exercises.choose_step(pool[0], pool, Direction.TO_SOURCE, rng),
                "translate": lambda: exercises.translate_step(phrase, Direction.TO_TARGET),
                "tiles": lambda: exercises.tiles_step(phrase, pool, Direction.TO_TARGET, course, vocabulary, rng),
                "listen": lambda: exercises.listen_step(phrase),
                "speak": lambda: exercises.speak_step(phrase),
                "fill": lambda: exercises.fill_step_from_phrase(phrase, vocabulary, course, rng),
                "match": lambda: exercises.match_step(pool[:4], rng)}[kind]()
        assert step is not None
        session.steps = [step, *session.steps[1:]]
        db.session.commit()
    question = client.get(f"/lessons/{session_id}")
    assert question.status_code == 200 and 'id="exercise-title"' in question.text
    feedback = answer(client, session_id, 0, wrong_answer(app, step))
    assert feedback.status_code == 200 and 'class="feedback feedback--' in feedback.text


def test_a_new_word_is_taught_before_its_first_question_only(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    session = lesson_state(app, session_id)
    first = session.steps[0]
    page = client.get(f"/lessons/{session_id}").text
    assert "data-teach-card" in page and "New word" in page and "Got it" in page
    with app.app_context():
        from puchi.learning.models import Item

        item = db.session.get(Item, first.item_id)
        assert f'<p class="teach-word" lang="es" dir="auto">{item.text}</p>' in page
        assert f'data-say="{item.text}"' in page
    feedback = answer(client, session_id, 0, right_answer(app, first)).text
    assert "data-teach-card" not in feedback  # the feedback does not teach again
    taught = {first.item_id}
    for index, step in enumerate(session.steps[1:], start=1):
        page = client.get(f"/lessons/{session_id}").text
        new = step.item_id is not None and step.item_id not in taught and not step.review \
            and step.type not in {exercises.MATCH, exercises.FILL}
        assert ("data-teach-card" in page) == new, (index, step)
        taught |= step.items
        answer(client, session_id, index, right_answer(app, step))


def test_the_lesson_page_loads_under_60_kb_of_compressed_js_and_css(app, learner):
    import gzip
    import re
    from pathlib import Path

    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    page = client.get(f"/lessons/{session_id}").text
    static = Path(app.static_folder)
    files = {m.split("?")[0] for m in re.findall(r'(?:src|href)="/static/([^"]+\.(?:js|css))"', page)}
    pending = [f for f in files if f.endswith(".js")]
    while pending:  # the modules they import
        name = pending.pop()
        for imported in re.findall(r'from "\./([^"]+\.js)"', (static / name).read_text(encoding="utf-8")):
            path = str(Path(name).parent / imported)
            if path not in files:
                files.add(path)
                pending.append(path)
    assert "js/lesson.js" in files and "css/lesson.css" in files
    total = sum(len(gzip.compress((static / name).read_bytes(), 9)) for name in files)
    assert total < 60 * 1024, f"{total} bytes compressed: {sorted(files)}"
