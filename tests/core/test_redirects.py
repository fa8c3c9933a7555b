"""Every ``next`` on the site sends the browser only to a path on this site, as the browser will read it."""

from urllib.parse import urljoin, urlsplit

import pytest

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.redirects import is_local_path
from puchi.social import services as social
from tests.conftest import post_form

# Each of these is another site (or no site) once a browser has parsed it the WHATWG way.
HOSTILE = [
    "//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "//user@evil.example",
    "https://localhost@evil.example/",
    "javascript:alert(1)",
    "data:text/html,hi",
    "evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
]


def _where_the_browser_goes(location: str) -> str:
    """The host a browser lands on, after it drops tabs and newlines and reads "\\" as "/"."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    return urlsplit(urljoin("http://localhost/", cleaned)).netloc


@pytest.fixture
def places(app, logged_in, make_user):
    """Every way a request can carry a ``next``; each returns the response that obeys it."""
    learner, _ = logged_in(email="ana@example.com")
    friend = make_user("ben@example.com", display_name="Ben")
    with app.app_context():
        ben = social.profile_of(db.session.get(User, friend.id)).username
        db.session.commit()

    def language(next_value):
        return post_form(app.test_client(), "/", {"locale": "es", "next": next_value}, action="/language")

    def log_in(next_value):
        client = app.test_client()
        return post_form(client, "/login", {"email": "ben@example.com", "password": "correct-horse-battery"},
                         action="/login", query_string={"next": next_value})

    def already_logged_in(next_value):
        return learner.get("/login", query_string={"next": next_value})

    def resend_verification(next_value):
        return post_form(learner, "/home", {"next": next_value}, action="/verify-email/resend")

    def follow(next_value):
        return post_form(learner, "/people", {"next": next_value}, action=f"/u/{ben}/follow")

    return {"language": language, "log in": log_in, "already logged in": already_logged_in,
            "resend verification": resend_verification, "follow": follow}


PLACES = ["language", "log in", "already logged in", "resend verification", "follow"]


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_refuses_what_a_browser_reads_as_another_site(target):
    assert not is_local_path(target)


@pytest.mark.parametrize("place", PLACES)
def test_no_next_sends_the_browser_to_another_site(places, place):
    for target in HOSTILE:
        response = places[place](target)
        if "\x00" in target:  # refused before any view reads it (core.inputs): no redirect at all
            assert response.status_code == 400, (place, target)
            continue
        assert response.status_code == 302, (place, target)
        assert _where_the_browser_goes(response.headers["Location"]) in {"", "localhost"}, (place, target)


@pytest.mark.parametrize("place", PLACES)
def test_a_path_on_this_site_is_followed(places, place):
    response = places[place]("/courses?from=next")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses?from=next"


def test_the_404_language_form_of_a_hostile_path_does_not_lead_away(client):
    page = client.get("/%09/evil.example")
    assert page.status_code == 404
    response = post_form(client, "/%09/evil.example", {"locale": "fr", "next": "/\t/evil.example"},
                         action="/language")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

