"""Two tabs (or a double tap) at once: the same answer twice, the same enrolment twice, the same lesson start
twice. Each resolves to the first result, on SQLite and on PostgreSQL, and never to a 500."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from puchi.core.db import db
from puchi.learning.models import Attempt, Enrollment, LessonSession
from tests.conftest import AuthActions, csrf_token
from tests.learning.conftest import SPANISH, first_skill_id, lesson_state, right_answer, start_lesson

VERDICT = re.compile(r"feedback feedback--(\w+)")


def _tab(app, email: str):
    """A second browser tab: its own log-in session for the same learner."""
    tab = app.test_client()
    assert AuthActions(tab).log_in(email).status_code == 302
    return tab


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; return what each returned (or raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(timeout=10)
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - the test reports whatever happened
            results[index] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_double_submitted_answer_is_graded_once_and_both_taps_get_the_first_result(app, learner):
    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    tabs = [client, _tab(app, user.email)]
    tokens = [csrf_token(tab, f"/lessons/{session_id}") for tab in tabs]
    for step_index in range(6):
        step = lesson_state(app, session_id).steps[step_index]
        data = {"step": str(step_index), **right_answer(app, step)}

        def submit(tab=None, token=None, data=data):
            return tab.post(f"/lessons/{session_id}/answer", data={**data, "csrf_token": token},
                            headers={"HX-Request": "true"})

        replies = _at_once([lambda n=n: submit(tabs[n], tokens[n]) for n in range(2)])
        assert [r.status_code for r in replies] == [200, 200], replies
        verdicts = [VERDICT.search(r.text).group(1) for r in replies]
        assert verdicts[0] == verdicts[1] == "correct"
    with app.app_context():
        per_step = db.session.execute(select(Attempt.step_index, func.count()).where(
            Attempt.session_id == session_id).group_by(Attempt.step_index)).all()
    assert sorted(per_step) == [(n, 1) for n in range(6)]
    assert lesson_state(app, session_id).correct_count == 6


def test_two_tabs_enrolling_and_starting_a_lesson_at_once_share_one_enrolment_and_one_lesson(app, logged_in,
                                                                                             spanish):
    client, user = logged_in()
    tabs = [client, _tab(app, user.email)]
    tokens = [csrf_token(tab, "/courses") for tab in tabs]
    replies = _at_once([lambda n=n: tabs[n].post(f"/courses/{SPANISH}/enroll", data={"csrf_token": tokens[n]})
                        for n in range(2)])
    assert [r.status_code for r in replies] == [302, 302], replies
    skill_id = first_skill_id(app)
    replies = _at_once([lambda n=n: tabs[n].post(f"/skills/{skill_id}/lessons", data={"csrf_token": tokens[n]})
                        for n in range(2)])
    assert [r.status_code for r in replies] == [302, 302], replies
    assert replies[0].headers["Location"] == replies[1].headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrollment)
                                 .where(Enrollment.user_id == user.id)) == 1
        assert db.session.scalar(select(func.count()).select_from(LessonSession)
                                 .where(LessonSession.user_id == user.id)) == 1
