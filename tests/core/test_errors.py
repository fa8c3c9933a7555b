"""One error vocabulary: each refusal has a stable code for programs and a translated message for people,
and reaches a browser as a page, a JSON client as a problem document, and a job as its log line."""

import pytest
from flask_babel import force_locale

from puchi.core import errors
from tests.conftest import csrf_token

VOCABULARY = [
    (errors.Invalid, 422, "invalid"), (errors.NotFound, 404, "not_found"), (errors.Forbidden, 403, "forbidden"),
    (errors.Conflict, 409, "conflict"), (errors.RateLimited, 429, "rate_limited"),
    (errors.PaymentRequired, 402, "payment_required"), (errors.Gone, 410, "gone"),
    (errors.BadRequest, 400, "bad_request"), (errors.TooLarge, 413, "too_large"),
    (errors.UnsupportedMediaType, 415, "unsupported_media_type"),
]


@pytest.mark.parametrize(("kind", "status", "code"), VOCABULARY)
def test_each_error_has_a_default_code_and_a_message_in_the_readers_language(app, kind, status, code):
    with app.test_request_context():
        error = kind()
        with force_locale("en"):
            english, line = str(error.message), str(error)
        with force_locale("es"):
            spanish = str(error.message)
    assert (error.status_code, error.code) == (status, code)
    assert english and spanish and spanish != english
    assert line == f"{code}: {english}"  # the job log line leads with the code


def test_a_raise_site_gives_its_own_code_and_message_without_changing_the_default():
    error = errors.Conflict("Your hearts are already full.", code="hearts_full")
    assert (error.code, error.message, error.status_code) == ("hearts_full", "Your hearts are already full.", 409)
    assert errors.Conflict().code == "conflict"


def test_a_refusal_reaches_a_json_client_as_a_problem_with_its_code(app, logged_in):
    client, _ = logged_in(locale="es")
    token = csrf_token(client, "/account/notifications")
    response = client.post("/push/subscriptions", json=["a", "list"],
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert (problem["status"], problem["code"]) == (400, "not_a_json_object")
    assert problem["detail"] == "Envía un objeto JSON, como el que da PushSubscription.toJSON()."


def test_an_invalid_request_lists_its_fields_beside_the_code(app, logged_in):
    client, _ = logged_in()
    token = csrf_token(client, "/account/notifications")
    response = client.post("/push/subscriptions/delete", json={"endpoint": ""},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 422
    assert response.json["code"] == "invalid"
    assert response.json["errors"] == {"endpoint": ["This field is required."]}


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/no-such-page", 404, "not_found"),
    ("DELETE", "/", 405, "method_not_allowed"),
])
def test_errors_raised_outside_the_services_carry_a_code_too(client, method, path, status, code):
    response = client.open(path, method=method, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code


def test_a_refusal_reaches_a_browser_as_a_page_with_its_message(app, logged_in):
    client, _ = logged_in()
    response = client.get("/admin/deliveries")
    assert response.status_code == 403
    assert "This page is not open to your account." in response.text
