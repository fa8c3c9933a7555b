"""One learner search (``puchi/accounts/search.py``) behind the Learners page and the staff's search box: by name
or email, accents and capitals ignored, through each database's full-text index; nothing typed is query syntax
and no input makes a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from puchi.accounts import search
from puchi.accounts.models import User
from puchi.core.db import db

HOSTILE = ["%", "_", "%%", "a%b", "100%", "%_%", "'", "''", '"', "\\", "\\'", "' OR 1=1 --", "\"*') :*&|!",
           ":*", "&|!()<->", "NEAR(zoe)", "*", "^zoe", "zoe*", "ŉ", "ǅ", "½", "\x00", "zoe\x00martin", "\x00%",
           "z" * 5000, "zoé " * 300, "a b c d e f g h i j k l", "\u200b", "🙂", "ﷺ", "\ud7ff", "\t\n\r"]


@pytest.fixture
def people(make_user):
    return {
        "zoe": make_user("zoe.martin@example.com", display_name="Zoë Núñez").id,
        "zoey": make_user("ZoeyB@Example.org", display_name="Zoey").id,
        "lov": make_user("kl@example.net", display_name="Kjersti Løvé").id,
        "str": make_user("juergen@example.net", display_name="Jürgen Straße").id,
        "ana": make_user("ana_b-c@example.com", display_name="ANA maría").id,
    }


@pytest.fixture
def support(staff_client):
    return staff_client("support", email="help@staff.example.com", display_name="Sam Support")


def _found(viewer_id: int, query: str) -> set[int]:
    return {user.id for user in search.search_learners(db.session.get(User, viewer_id), query).users}


@pytest.mark.parametrize("query, who", [
    ("nunez", {"zoe"}), ("NÚÑEZ", {"zoe"}), ("Zoë", {"zoe", "zoey"}), ("ZOE", {"zoe", "zoey"}),
    ("zoe nu", {"zoe"}), ("nu zoe", {"zoe"}),  # every word, in any order, each the start of a word
    ("løvé", {"lov"}), ("LØVE", {"lov"}), ("kjersti", {"lov"}), ("straße", {"str"}), ("jurgen", {"str"}),
    ("maria", {"ana"}), ("ana maría", {"ana"}),
])
def test_names_are_found_whatever_the_accents_and_capitals(app, people, support, query, who):
    _, staff = support
    with app.app_context():
        assert _found(staff.id, query) == {people[name] for name in who}


@pytest.mark.parametrize("query, who", [
    ("zoe.martin@example.com", {"zoe"}), ("ZOE.MARTIN@EXAMPLE.COM", {"zoe"}), ("zoe.mar", {"zoe"}),
    ("martin", {"zoe"}), ("zoeyb", {"zoey"}), ("zoeyb@example", {"zoey"}), ("@example.org", {"zoey"}),
    ("example.net", {"lov", "str"}), ("ana_b", {"ana"}), ("b-c@", {"ana"}),
])
def test_emails_are_found_whole_or_in_part(app, people, support, query, who):
    _, staff = support
    with app.app_context():
        assert _found(staff.id, query) == {people[name] for name in who}


@pytest.mark.parametrize("query", ["nobody", "zoex", "artin", "example.de", "zoe nobody"])
def test_what_matches_nobody_finds_nothing(app, people, support, query):
    client, staff = support
    with app.app_context():
        assert _found(staff.id, query) == set()
    page = client.get(f"/admin/learners?q={quote(query)}")
    assert page.status_code == 200 and "No account matches." in page.text


def test_the_learners_page_uses_the_same_search(people, support):
    client, _ = support
    page = client.get("/admin/learners?q=NU%C3%91EZ")
    assert page.status_code == 200
    assert f'href="/admin/learners/{people["zoe"]}"' in page.text
    assert f'href="/admin/learners/{people["zoey"]}"' not in page.text
    assert f'href="/admin/learners/{people["lov"]}"' in client.get("/admin/learners?q=l%C3%B8ve").text
    everyone = client.get("/admin/learners?q=").text  # a blank query lists every account, newest first
    assert everyone.index(f'/admin/learners/{people["ana"]}"') < everyone.index(f'/admin/learners/{people["zoe"]}"')


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_is_never_a_500(app, people, support, query):
    client, staff = support
    with app.app_context():
        found = _found(staff.id, query)
    assert found <= set(people.values()) | {staff.id}
    expected = 400 if "\x00" in query else 200  # a NUL is refused before any page (puchi/core/inputs.py)
    for path in ("/admin/learners", "/admin/search"):
        response = client.get(f"{path}?q={quote(query, safe='')}")
        assert response.status_code == expected, (path, query)
    fragment = client.get(f"/admin/learners?q={quote(query, safe='')}", headers={"HX-Request": "true"})
    assert fragment.status_code == expected


def test_wildcards_are_characters_not_patterns(app, people, support):
    _, staff = support
    with app.app_context():
        for query in ("%", "_", "%_%", "*", "%%%"):  # no letter or digit: nothing, not everyone
            assert _found(staff.id, query) == set(), query
        assert _found(staff.id, "%zoe%") == {people["zoe"], people["zoey"]}  # the word zoe
        assert _found(staff.id, "a%b") == {people["ana"]}  # the words a and b: ana_b-c@
