"""Offline lessons: downloaded with their answers, played in the browser, applied once when synced."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.progress.models import XpEntry
from tests.conftest import csrf_token
from tests.learning.conftest import SPANISH, right_answer


def _download(client):
    token = csrf_token(client, f"/courses/{SPANISH}")
    response = client.post(f"/courses/{SPANISH}/offline", headers={"X-CSRFToken": token,
                                                                   "Accept": "application/json"})
    assert response.status_code == 200, response.text[:300]
    return response.json


def _answers_for(app, pack, at):
    answers = []
    for index, _step in enumerate(pack["steps"]):
        answers.append({"step": index, "answered_at": (at + timedelta(seconds=20 * index)).isoformat(),
                        "duration_ms": 3000, **_right(app, pack, index)})
    return answers


def _right(app, pack, index):
    from puchi.learning.models import LessonSession

    with app.app_context():
        session = db.session.get(LessonSession, pack["session_id"])
        step = session.steps[index]
    data = right_answer(app, step)
    pairs = [data[k] for k in sorted(data) if k.startswith("pair_")]
    return {"answer": data.get("answer", ""), "pairs": pairs or None}


def _sync(client, pack, answers, client_id="c-1"):
    token = csrf_token(client, "/home")
    return client.post(f"/lessons/{pack['session_id']}/sync", json={"client_id": client_id, "answers": answers},
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_a_download_holds_the_next_lessons_with_what_each_step_accepts(app, learner):
    client, _ = learner
    pack = _download(client)
    assert len(pack["lessons"]) == 2
    first, second = pack["lessons"]
    assert all('data-exercise="' in step["html"] for step in first["steps"])
    assert all(step.get("accepted") or step.get("pairs") for step in first["steps"])
    # Each typed step brings the server's answer key, so the browser grades it by the same rules offline.
    graded = [step for step in first["steps"] if step.get("accepted")]
    assert all([form for form, _ in step["key"]["forms"][:len(step["accepted"])]] == step["accepted"]
               for step in graded)
    assert any(step["key"]["endings"] for step in graded)
    assert pack["labels"]["correct"] == "Correct!"
    new_items = [{s["html"] for s in lesson["steps"]} for lesson in (first, second)]
    assert new_items[0] != new_items[1]  # the second lesson goes on with the next words
    assert _download(client)["lessons"][0]["session_id"] == first["session_id"]  # not built twice


def test_a_synced_lesson_counts_once_on_the_day_it_was_played(app, learner):
    client, user = learner
    with app.app_context():
        db.session.get(User, user.id).timezone = "Asia/Tokyo"
        db.session.commit()
    pack = _download(client)["lessons"][0]
    from puchi.learning.models import LessonSession

    with app.app_context():  # downloaded two days ago, played offline yesterday, synced today
        db.session.get(LessonSession, pack["session_id"]).started_at = datetime.now(UTC) - timedelta(days=2)
        db.session.commit()
    played = datetime.now(UTC) - timedelta(days=1)
    answers = _answers_for(app, pack, played)

    first = _sync(client, pack, answers)
    assert first.status_code == 200 and first.json["status"] == "completed"
    again = _sync(client, pack, answers)
    assert again.status_code == 200
    with app.app_context():
        entries = db.session.scalars(select(XpEntry)).all()
    assert len(entries) == 1 and entries[0].amount == 15
    last_answer = played + timedelta(seconds=20 * (len(answers) - 1))
    from zoneinfo import ZoneInfo

    assert entries[0].local_date == last_answer.astimezone(ZoneInfo("Asia/Tokyo")).date()
    assert entries[0].local_date < datetime.now(ZoneInfo("Asia/Tokyo")).date()


def test_the_server_grades_a_synced_lesson_again_itself(app, learner):
    client, _ = learner
    pack = _download(client)["lessons"][0]
    answers = _answers_for(app, pack, datetime.now(UTC))
    answers[0] = {**answers[0], "answer": "something wrong", "verdict": "correct"}  # a lying client
    _sync(client, pack, answers)
    from puchi.learning.models import LessonSession

    with app.app_context():
        assert db.session.get(LessonSession, pack["session_id"]).wrong_count == 1


def test_a_sync_with_missing_steps_or_bad_json_is_refused_without_a_500(app, learner):
    client, _ = learner
    pack = _download(client)["lessons"][0]
    token = csrf_token(client, "/home")
    for body in ({"answers": []}, {"answers": [{"step": 0}]}, {"nope": 1}, [1, 2]):
        response = client.post(f"/lessons/{pack['session_id']}/sync", json=body,
                               headers={"X-CSRFToken": token, "Accept": "application/json"})
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] in {"answers_missing", "answer_malformed", "answers_incomplete"}
    with app.app_context():
        assert db.session.scalar(select(func.count(XpEntry.id))) == 0


def test_another_learner_cannot_sync_my_offline_lesson(app, learner, logged_in):
    client, _ = learner
    pack = _download(client)["lessons"][0]
    stranger, _ = logged_in()
    response = _sync(stranger, pack, _answers_for(app, pack, datetime.now(UTC)))
    assert response.status_code == 404


def test_times_from_the_device_are_kept_between_the_download_and_now(app, learner):
    client, _ = learner
    pack = _download(client)["lessons"][0]
    future = datetime.now(UTC) + timedelta(days=30)
    _sync(client, pack, _answers_for(app, pack, future))
    with app.app_context():
        entry = db.session.scalar(select(XpEntry))
    assert entry.earned_at <= datetime.now(UTC) + timedelta(seconds=5)


def test_a_hint_opened_offline_is_recorded_and_the_day_counts_one_review_per_item(app, learner):
    from puchi.learning.models import REVIEW_PRACTICE, Attempt

    client, _ = learner
    pack = _download(client)["lessons"][0]
    answers = _answers_for(app, pack, datetime.now(UTC) - timedelta(minutes=5))
    answers[0] = {**answers[0], "hinted": True}
    answers[1] = {**answers[1], "hinted": "yes"}  # only a JSON true counts
    assert _sync(client, pack, answers).status_code == 200
    with app.app_context():
        attempts = list(db.session.scalars(select(Attempt).where(Attempt.session_id == pack["session_id"])
                                           .order_by(Attempt.step_index)))
    assert [a.hinted for a in attempts[:3]] == [True, False, False]
    assert attempts[0].rating == 2  # right, with a hint: Hard
    reviewed = [a.item_id for a in attempts if a.item_id and a.review_kind != REVIEW_PRACTICE]
    assert len(reviewed) == len(set(reviewed))
