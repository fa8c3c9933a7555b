"""Whatever a client sends, the answer is a clear 4xx that says what is wrong, never a 500.

Each case here was a 500 before core.inputs: Unicode digits that ``str.isdigit()`` accepts and ``int()``
refuses, integers too large for the database, JSON nested deep enough to exhaust the parser, files where
text belongs, NUL bytes PostgreSQL cannot store, JSON sent to a form.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.inputs import json_depth, parse_int
from puchi.learning.course_import import import_course
from puchi.learning.models import Attempt
from puchi.notifications.models import PushSubscription
from tests.conftest import DEFAULT_PASSWORD, csrf_token, post_form
from tests.learning.conftest import SPANISH, course_data, first_skill_id, start_lesson

SUPERSCRIPT_TWO, ARABIC_THREE = "²", "٣"


# --- Reading integers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["²", "٣", "１", "1_000", "+1", "1.0", "1e3", "", " ", "0x10", "-", True, 1.5,
                                   None, [1], "9" * 5000, str(2**63), 2**63])
def test_only_plain_ascii_integers_in_range_are_read(value):
    assert parse_int(value, minimum=-(2**31), maximum=2**31 - 1) is None


@pytest.mark.parametrize(("value", "number"), [("0", 0), ("42", 42), (" 7 ", 7), ("-3", -3), (12, 12)])
def test_an_ascii_integer_is_read(value, number):
    assert parse_int(value, minimum=-10, maximum=100) == number


def test_an_integer_outside_the_range_is_refused():
    assert parse_int("101", minimum=0, maximum=100) is None
    assert parse_int("-1", minimum=0, maximum=100) is None


@pytest.mark.parametrize("goal", [SUPERSCRIPT_TWO, ARABIC_THREE, str(2**63), "10_0"])
def test_a_daily_goal_in_strange_digits_gets_the_form_back_with_a_message(logged_in, goal):
    client, _ = logged_in()
    response = post_form(client, "/account/preferences", {"locale": "en", "timezone": "UTC", "daily_goal": goal,
                                                           "theme": "system", "desired_retention": "0.9"})
    assert response.status_code == 422
    assert "Choose one of the options." in response.text


@pytest.mark.parametrize("day", [SUPERSCRIPT_TWO, ARABIC_THREE, str(2**63)])
def test_a_weekly_report_day_in_strange_digits_gets_the_form_back_with_a_message(logged_in, day):
    client, _ = logged_in()
    response = post_form(client, "/account/notifications", {"reminder_time": "19:00", "weekly_day": day},
                         action="/account/notifications/schedule")
    assert response.status_code == 422
    assert "Choose a day of the week." in response.text


@pytest.fixture
def enrolled(app, logged_in):
    """A learner enrolled in the Spanish course (their client)."""
    with app.app_context():
        import_course(course_data(SPANISH))
    client, _ = logged_in()
    assert post_form(client, "/courses", {}, action=f"/courses/{SPANISH}/enroll").status_code == 302
    return client


@pytest.fixture
def lesson(app, enrolled):
    """The learner at the start of their first lesson: (client, session id)."""
    return enrolled, start_lesson(enrolled, first_skill_id(app))


@pytest.fixture
def offline_lesson(enrolled):
    """The learner with a lesson downloaded for offline play: (client, session id)."""
    token = csrf_token(enrolled, f"/courses/{SPANISH}")
    response = enrolled.post(f"/courses/{SPANISH}/offline", headers={"X-CSRFToken": token})
    pack = response.json["lessons"][0]
    return enrolled, pack["session_id"], len(pack["steps"])


def _answers(steps, **first):
    """An answer to every step of an offline lesson (not all right), the first with ``first`` in it."""
    answers = [{"step": index, "answer": "hola", "answered_at": "2026-05-05T10:00:00Z"} for index in range(steps)]
    answers[0].update(first)
    return answers


@pytest.mark.parametrize("step", [SUPERSCRIPT_TWO, str(2**63), str(2**31), "-1", "0.5"])
def test_a_lesson_step_that_is_no_small_whole_number_is_a_bad_request(app, lesson, step):
    client, session_id = lesson
    response = post_form(client, f"/lessons/{session_id}", {"step": step, "answer": "hola"},
                         action=f"/lessons/{session_id}/answer")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0


@pytest.mark.parametrize("duration", [SUPERSCRIPT_TWO, ARABIC_THREE, str(2**63)])
def test_an_unreadable_answer_time_is_measured_by_the_server_instead(app, lesson, duration):
    client, session_id = lesson
    response = post_form(client, f"/lessons/{session_id}", {"step": "0", "answer": "hola", "duration_ms": duration},
                         action=f"/lessons/{session_id}/answer")
    assert response.status_code == 200
    with app.app_context():
        assert 0 <= db.session.scalar(select(Attempt.duration_ms)) <= 10 * 60 * 1000


def test_an_unreadable_feed_cursor_shows_the_first_page(logged_in):
    client, _ = logged_in()
    for before in (SUPERSCRIPT_TWO, str(2**63), "-5", "1_0"):
        assert client.get(f"/feed?before={before}").status_code == 200


# --- JSON bodies -----------------------------------------------------------------------------------------

def _sync(client, session_id, body, **kwargs):
    token = csrf_token(client, "/home")
    return client.post(f"/lessons/{session_id}/sync", headers={"X-CSRFToken": token, "Accept": "application/json"},
                       **({"json": body} if not kwargs else kwargs))


def _subscribe(client, **kwargs):
    token = csrf_token(client, "/account/notifications")
    return client.post("/push/subscriptions", headers={"X-CSRFToken": token, "Accept": "application/json"},
                       **kwargs)


def _is_problem(response, status):
    assert response.status_code == status, response.text[:300]
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] and response.json["code"]  # what is wrong, for programs
    assert response.json.get("detail") or response.json.get("errors")  # what is wrong, for people or fields
    return response.json


def test_json_nesting_is_counted_without_parsing_and_strings_do_not_count():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'["[[[[", "\\"{{{{"]') == 1
    assert json_depth(b"[" * 100_000, stop_after=20) == 21


@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 21 + "]" * 21, '{"a":' * 20_000 + "1" + "}" * 20_000])
def test_deeply_nested_json_is_a_bad_request_not_a_recursion_error(app, offline_lesson, body):
    client, session_id, steps = offline_lesson
    problem = _is_problem(_sync(client, session_id, None, data=body, content_type="application/json"), 400)
    assert problem["code"] == "json_too_deep"
    assert _is_problem(_subscribe(client, data=body, content_type="application/json"), 400)["code"] == "json_too_deep"


def test_json_nested_within_the_limit_is_read(offline_lesson):
    client, session_id, steps = offline_lesson
    body = {"client_id": "c", "answers": _answers(steps, extra=[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]])}
    assert _sync(client, session_id, body).status_code == 200


def test_a_json_body_over_256_kb_is_too_large(offline_lesson):
    client, session_id, steps = offline_lesson
    body = json.dumps({"client_id": "c", "answers": [], "padding": "x" * (256 * 1024)})
    assert _is_problem(_sync(client, session_id, None, data=body, content_type="application/json"), 413)["code"] \
        == "json_too_large"
    assert _is_problem(_subscribe(client, data=body, content_type="application/json"), 413)["code"] == "json_too_large"


@pytest.mark.parametrize("body", [
    '{"answers": [], "client_id": "a\\u0000b"}',  # PostgreSQL stores no NUL
    '{"answers": [], "client_id": "\\ud800"}',  # a lone surrogate is no text at all
    '{"answers": [], "client_id": NaN}',
    '{"answers": [], "client_id": 1' + "0" * 5000 + "}",  # past Python's digit limit
    b'{"answers": [], "client_id": "\xff"}',  # not UTF-8
])
def test_json_that_no_database_could_store_is_a_bad_request(app, offline_lesson, body):
    client, session_id, steps = offline_lesson
    _is_problem(_sync(client, session_id, None, data=body, content_type="application/json"), 400)
    endpoint_body = body.replace("answers", "endpoint") if isinstance(body, str) else body
    _is_problem(_subscribe(client, data=endpoint_body, content_type="application/json"), 400)
    with app.app_context():
        assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


@pytest.mark.parametrize("answer", [
    {"step": SUPERSCRIPT_TWO, "answered_at": "2026-05-05T10:00:00Z"},
    {"step": 2**63, "answered_at": "2026-05-05T10:00:00Z"},
    {"step": 1.5, "answered_at": "2026-05-05T10:00:00Z"},
    {"step": True, "answered_at": "2026-05-05T10:00:00Z"},
    "step 0",
    [0, "hola"],
])
def test_an_offline_answer_of_the_wrong_shape_is_refused_with_the_reason(app, offline_lesson, answer):
    client, session_id, steps = offline_lesson
    problem = _is_problem(_sync(client, session_id, {"client_id": "c", "answers": [answer]}), 422)
    assert problem["code"] == "answer_malformed" and "answers" in problem["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_an_unreadable_offline_answer_time_is_measured_by_the_server_instead(app, offline_lesson):
    client, session_id, steps = offline_lesson
    body = {"client_id": "c", "answers": _answers(steps, duration_ms=SUPERSCRIPT_TWO)}
    assert _sync(client, session_id, body).status_code == 200


# --- The shape of a request ------------------------------------------------------------------------------

FILE = (io.BytesIO(b"not a name"), "name.txt")


@pytest.mark.parametrize(("page", "action", "fields", "as_learner"), [
    ("/login", None, {"email": FILE, "password": "x"}, False),
    ("/signup", None, {"email": "ana@example.com", "display_name": FILE, "password": DEFAULT_PASSWORD}, False),
    ("/forgot-password", None, {"email": FILE}, False),
    ("/account", "/account/profile", {"display_name": FILE, "avatar_color": "teal"}, True),
    ("/", "/language", {"locale": FILE}, False),
])
def test_a_file_sent_in_a_text_field_is_a_bad_request(app, client, logged_in, page, action, fields, as_learner):
    if as_learner:
        client, _ = logged_in()
    fields = {name: (io.BytesIO(value[0].getvalue()), value[1]) if isinstance(value, tuple) else value
              for name, value in fields.items()}
    response = post_form(client, page, fields, action=action,
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert "This form takes no files." in response.text


def test_a_form_with_a_nul_byte_is_a_bad_request_and_nothing_is_saved(app, client):
    response = post_form(client, "/signup", {"email": "ana@example.com", "display_name": "Ana\x00",
                                             "password": DEFAULT_PASSWORD, "locale": "en", "timezone": "UTC"})
    assert response.status_code == 400
    assert "The form holds a character that cannot be stored (NUL)." in response.text
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_an_address_with_a_nul_byte_is_a_bad_request(logged_in):
    client, _ = logged_in()
    for url in ("/people?q=ana%00", "/dictionary?q=%00", "/feed?before=1%00", "/signup?learn=es%00", "/u/ana%00",
                "/messages/%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "The address holds a character that cannot be stored (NUL)." in response.text


@pytest.mark.parametrize(("page", "action", "as_learner"), [
    ("/login", None, False), ("/signup", None, False), ("/account", "/account/profile", True),
    ("/courses", "/courses/spanish-for-english-speakers/enroll", True),
])
def test_json_sent_to_a_form_is_refused_as_the_wrong_media_type(client, logged_in, page, action, as_learner):
    if as_learner:
        client, _ = logged_in()
    token = csrf_token(client, page)
    response = client.post(action or page, json={"email": "ana@example.com", "csrf_token": token},
                           headers={"X-CSRFToken": token})
    assert _is_problem(response, 415)["code"] == "form_expected"


def test_a_json_endpoint_sent_a_form_says_it_takes_json(offline_lesson):
    client, session_id, steps = offline_lesson
    assert _is_problem(_sync(client, session_id, None, data={"answers": "x"}), 400)["code"] == "json_expected"


def test_the_reason_is_in_the_learners_language(app, make_user):
    user = make_user(locale="es")
    client = app.test_client()
    post_form(client, "/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    response = post_form(client, "/account", {"display_name": (io.BytesIO(b"x"), "x.txt")},
                         action="/account/profile", content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Este formulario no admite archivos." in response.text
