"""Direct messages: only between friends, escaped, length-limited, counted until read, delivered live."""

from sqlalchemy import select

from puchi.core.db import db
from puchi.social.models import DirectMessage
from tests.conftest import csrf_token, post_form
from tests.social.test_friends import ana_and_ben  # noqa: F401 - fixture


def _befriend(ana_client, ana_name, ben_client, ben_name):
    post_form(ana_client, "/people", {}, action=f"/u/{ben_name}/follow")
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/follow")


def test_friends_write_to_each_other_and_unread_counts_clear_on_reading(app, ana_and_ben):  # noqa: F811
    (ana_client, _, ana_name), (ben_client, ben, ben_name) = ana_and_ben
    _befriend(ana_client, ana_name, ben_client, ben_name)

    response = post_form(ana_client, f"/messages/{ben_name}", {"body": "¡Hola Ben! <b>hi</b>"})
    assert response.status_code == 302
    inbox = ben_client.get("/messages").text
    assert "Ana Silva" in inbox and "badge--due\">1 unread" in inbox
    thread = ben_client.get(f"/messages/{ana_name}").text
    assert "¡Hola Ben! &lt;b&gt;hi&lt;/b&gt;" in thread and "<b>hi</b>" not in thread
    # Shown, the page marks them read with a POST of its own (a GET never writes).
    mark_read = f'hx-post="/messages/{ana_name}/read" hx-trigger="load"'
    assert mark_read in thread
    assert "badge--due\">1 unread" in ben_client.get("/messages").text
    read = ben_client.post(f"/messages/{ana_name}/read", headers={"HX-Request": "true",
                                                                   "X-CSRFToken": csrf_token(ben_client, "/messages")})
    assert read.status_code == 204
    assert "badge--due" not in ben_client.get("/messages").text
    assert mark_read not in ben_client.get(f"/messages/{ana_name}").text


def test_replying_marks_the_friends_messages_read(app, ana_and_ben):  # noqa: F811
    (ana_client, _, ana_name), (ben_client, _, ben_name) = ana_and_ben
    _befriend(ana_client, ana_name, ben_client, ben_name)
    post_form(ana_client, f"/messages/{ben_name}", {"body": "¿Qué tal?"})
    assert post_form(ben_client, "/messages", {"body": "¡Bien!"}, action=f"/messages/{ana_name}").status_code == 302
    assert "badge--due" not in ben_client.get("/messages").text


def test_only_friends_can_write_and_blocking_stops_it(app, ana_and_ben):  # noqa: F811
    (ana_client, _, ana_name), (ben_client, _, ben_name) = ana_and_ben
    assert post_form(ana_client, "/people", {"body": "hi"}, action=f"/messages/{ben_name}").status_code == 403
    _befriend(ana_client, ana_name, ben_client, ben_name)
    post_form(ben_client, "/people", {}, action=f"/u/{ana_name}/block")
    blocked = post_form(ana_client, "/people", {"body": "hi"}, action=f"/messages/{ben_name}")
    assert blocked.status_code == 403 and "You can write to your friends" in blocked.text
    with app.app_context():
        assert db.session.scalar(select(DirectMessage.id)) is None


def test_empty_or_too_long_messages_are_refused_by_the_field(app, ana_and_ben):  # noqa: F811
    (ana_client, _, ana_name), (ben_client, _, ben_name) = ana_and_ben
    _befriend(ana_client, ana_name, ben_client, ben_name)
    empty = post_form(ana_client, f"/messages/{ben_name}", {"body": "   "})
    assert empty.status_code == 422 and "Write a message first." in empty.text
    long = post_form(ana_client, f"/messages/{ben_name}", {"body": "x" * 10_000})
    assert long.status_code == 422 and "Keep it to 1000 characters or fewer." in long.text
