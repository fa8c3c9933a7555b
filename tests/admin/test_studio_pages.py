"""The content studio's pages: inline row editing over HTMX and as plain forms, problems shown beside the
field, reordering with the buttons and with a posted order, the publish confirmation, and the preview."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.core.events import Event
from puchi.learning.models import Course, Item
from tests.conftest import CSRF_RE, HtmxClient, post_form
from tests.learning.conftest import spanish  # noqa: F401 - the studio needs a course

PHRASE = "¡Hola! ¿Qué tal?"


@pytest.fixture
def editor(app, staff_client, spanish):  # noqa: F811 - the fixture
    client, user = staff_client("editor")
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == spanish))
    return client, user, course_id


def _phrase_index(page: str) -> int:
    match = re.search(r'<li id="item-(\d+)"[^>]*>(?:(?!</li>).)*?' + re.escape(PHRASE), page, re.S)
    assert match, "the phrase is not on the page"
    return int(match.group(1))


def test_the_dashboard_links_the_studio_for_editors(editor):
    client, _, course_id = editor
    assert "/admin/studio/" in client.get("/admin/").text
    page = client.get("/admin/studio/").text
    assert f"/admin/studio/{course_id}" in page


def test_an_item_is_edited_inline_with_htmx(app, editor):
    client, user, course_id = editor
    skill_url = f"/admin/studio/{course_id}/skills/greetings"
    page = client.get(skill_url)
    assert page.status_code == 200
    index = _phrase_index(page.text)
    token = CSRF_RE.search(page.text).group(1)
    hx = HtmxClient(client)

    form = hx.get(f"{skill_url}/items/{index}?edit=1")
    assert form.status_code == 200 and "<html" not in form.text
    assert f'hx-post="{skill_url}/items/{index}"' in form.text and f'value="{PHRASE}"' in form.text

    refused = hx.post(f"{skill_url}/items/{index}", data={"csrf_token": token, "text": PHRASE, "translation": ""})
    assert refused.status_code == 422 and "<html" not in refused.text
    assert 'aria-invalid="true"' in refused.text and "has no Translation:" in refused.text

    saved = hx.post(f"{skill_url}/items/{index}", data={
        "csrf_token": token, "text": "¡Hola! ¿Qué tal hoy?", "translation": "Hi! How are you today?",
        "alternatives": "¡Hola! ¿Cómo estás hoy?\n", "alternative_translations": ""})
    assert saved.status_code == 200 and "<html" not in saved.text
    assert "¡Hola! ¿Qué tal hoy?" in saved.text and "<form" in saved.text  # the row again, with its buttons
    with app.app_context():
        assert db.session.scalar(select(Item.text).where(Item.text == PHRASE)) == PHRASE  # learners: unchanged
        assert db.session.scalar(select(Event.actor_id).where(Event.name == "course.draft_edited")) == user.id


def test_an_item_is_edited_without_javascript(app, editor):
    client, _, course_id = editor
    skill_url = f"/admin/studio/{course_id}/skills/greetings"
    index = _phrase_index(client.get(skill_url).text)
    page = client.get(f"{skill_url}?edit={index}")
    assert f'id="item-{index}-text"' in page.text
    response = post_form(client, f"{skill_url}?edit={index}", {"text": "¡Hola! ¿Qué tal hoy?", "translation": "Hi!"},
                         action=f"{skill_url}/items/{index}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#item-{index}")
    assert "¡Hola! ¿Qué tal hoy?" in client.get(skill_url).text


def test_adding_an_item_that_breaks_a_rule_shows_the_problem_beside_the_field(editor):
    client, _, course_id = editor
    skill_url = f"/admin/studio/{course_id}/skills/greetings"
    response = post_form(client, skill_url, {"kind": "phrase", "text": PHRASE, "translation": "again"},
                         action=f"{skill_url}/items")
    assert response.status_code == 422
    assert 'id="new-text-errors"' in response.text and "already in this skill" in response.text


def test_reorder_with_the_buttons_and_with_a_posted_order(editor):
    client, _, course_id = editor
    course_url = f"/admin/studio/{course_id}"
    titles = re.findall(r'id="unit-title-\d+" name="title" value="([^"]+)"', client.get(course_url).text)
    response = post_form(client, course_url, {"scope": "units", "index": "0", "move": "down",
                                              "count": str(len(titles))}, action=f"{course_url}/order")
    assert response.status_code == 302
    moved = re.findall(r'id="unit-title-\d+" name="title" value="([^"]+)"', client.get(course_url).text)
    assert moved[:2] == [titles[1], titles[0]]
    order = ",".join(str(n) for n in reversed(range(len(titles))))
    response = HtmxClient(client).post(f"{course_url}/order", data={
        "csrf_token": CSRF_RE.search(client.get(course_url).text).group(1), "scope": "units", "order": order})
    assert response.status_code == 204
    again = re.findall(r'id="unit-title-\d+" name="title" value="([^"]+)"', client.get(course_url).text)
    assert again == list(reversed(moved))


def test_publish_shows_the_diff_and_applies_it(app, editor):
    client, _, course_id = editor
    skill_url = f"/admin/studio/{course_id}/skills/greetings"
    index = _phrase_index(client.get(skill_url).text)
    post_form(client, skill_url, {"text": "¡Hola! ¿Qué tal hoy?", "translation": "Hi! How are you today?"},
              action=f"{skill_url}/items/{index}")
    plan = client.get(f"/admin/studio/{course_id}/publish")
    assert plan.status_code == 200
    assert "¡Hola! ¿Qué tal hoy?" in plan.text and f"{PHRASE} → ¡Hola! ¿Qué tal hoy?" in plan.text
    stamp = re.search(r'name="stamp" value="([^"]+)"', plan.text).group(1)
    response = post_form(client, f"/admin/studio/{course_id}/publish", {"stamp": stamp})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Item.id).where(Item.text == "¡Hola! ¿Qué tal hoy?")) is not None
    assert client.get(f"/admin/studio/{course_id}/publish").status_code == 404  # no draft left


def test_the_preview_plays_the_draft(editor):
    client, _, course_id = editor
    url = f"/admin/studio/{course_id}/skills/greetings/preview"
    start = client.get(url)
    assert start.status_code == 302 and "seed=" in start.headers["Location"]
    page = client.get(f"{url}?seed=5")
    assert page.status_code == 200 and "Step 1 of" in page.text
    checked = post_form(client, f"{url}?seed=5", {"seed": "5", "step": "0", "answer": "zzz"}, action=url)
    assert checked.status_code == 200 and "Expected:" in checked.text
    assert f"{url}?seed=5&amp;step=1" in checked.text
