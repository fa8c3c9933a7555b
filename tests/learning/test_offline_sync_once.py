"""A lesson played offline is recorded once however it arrives: replayed by the browser's retries, sent by two
tabs at the same moment, or sent again later with another client id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from puchi.core.db import db
from puchi.learning.models import Attempt, LessonSession
from puchi.progress.models import XpEntry
from tests.conftest import csrf_token
from tests.learning.test_concurrency import _at_once, _tab
from tests.learning.test_offline_lessons import _answers_for, _download


def _recorded(app, session_id: int) -> tuple[int, int, str]:
    with app.app_context():
        attempts = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.session_id == session_id))
        xp = db.session.scalar(select(func.count(XpEntry.id)))
        status = db.session.get(LessonSession, session_id).status
        db.session.remove()
    return attempts, xp, status


def test_two_tabs_syncing_the_same_lesson_at_once_record_it_once(app, learner):
    client, user = learner
    pack = _download(client)["lessons"][0]
    answers = _answers_for(app, pack, datetime.now(UTC))
    tabs = [client, _tab(app, user.email)]
    tokens = [csrf_token(tab, "/home") for tab in tabs]

    def sync(tab, token, client_id):
        return lambda: tab.post(f"/lessons/{pack['session_id']}/sync",
                                json={"client_id": client_id, "answers": answers},
                                headers={"X-CSRFToken": token, "Accept": "application/json"})

    responses = _at_once([sync(tabs[0], tokens[0], "tab-1"), sync(tabs[1], tokens[1], "tab-2")])
    assert [r.status_code for r in responses] == [200, 200], responses
    assert all(r.json["status"] == "completed" for r in responses)
    assert _recorded(app, pack["session_id"]) == (len(pack["steps"]), 1, "completed")

    # Much later, a third copy (a restored browser profile, another client id): still nothing new.
    late = client.post(f"/lessons/{pack['session_id']}/sync", json={"client_id": "restored", "answers": answers},
                       headers={"X-CSRFToken": tokens[0], "Accept": "application/json"})
    assert late.status_code == 200
    assert _recorded(app, pack["session_id"]) == (len(pack["steps"]), 1, "completed")
