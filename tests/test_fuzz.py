"""Whatever anyone sends to any form or JSON endpoint, the answer is never a 5xx.

A property-based fuzz (hypothesis) generated from the app's route map, so a new route is covered without a
new test. Every route with a body (POST, PUT, PATCH, DELETE) gets one request of each hostile class below,
and every page (GET) the classes that fit in an address, both as a visitor and as a logged-in learner with
a course, a lesson in progress, a downloaded lesson and a friend (so ids and names in the URL are real and
requests reach deep). Field names are read from the code (every FlaskForm field, every name a template or a
view reads), JSON keys from the views, so a new field is fuzzed too.

Deterministic: hypothesis is derandomized and keeps no example database; the same requests every run.
"""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter
from wtforms.fields.core import UnboundField

from puchi.core.db import db
from puchi.learning.course_import import import_course
from tests.conftest import AuthActions, csrf_token, post_form
from tests.learning.conftest import SPANISH, course_data, first_skill_id, start_lesson
from tests.social.conftest import befriend, username_of

ROOT = Path(__file__).resolve().parent.parent
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# One example per route and identity, which sends a request of every hostile class (three of the free-form
# one); hypothesis draws the values, and each list of values below starts with its nastiest.
SETTINGS = settings(max_examples=1, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))
REPEATS = {"anything at all": 3}


# --- What the code reads: field names and JSON keys --------------------------------------------------------

def _form_fields() -> set[str]:
    import puchi

    for module in pkgutil.walk_packages(puchi.__path__, "puchi."):  # every module, so every form class exists
        importlib.import_module(module.name)
    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(name for name in dir(form) if isinstance(getattr(form, name, None), UnboundField))
    return names


def _names_read_in_source() -> set[str]:
    names: set[str] = set()
    for template in (ROOT / "templates").rglob("*.html"):
        names.update(re.findall(r'\bname="([A-Za-z_][\w-]*)"', template.read_text()))
    for module in (ROOT / "puchi").rglob("*.py"):
        for name in re.findall(r'request\.(?:form|args|values)\.get(?:list)?\(\s*f?"(\w+)', module.read_text()):
            # f"pair_{i}" and the like: a name and its first few numbers
            names.update({f"{name}{n}" for n in range(4)} if name.endswith("_") else {name})
    return names - {"viewport", "description", "csrf_token"}


def _json_keys() -> set[str]:
    keys: set[str] = set()
    for module in (ROOT / "puchi").rglob("*views*.py"):
        text = module.read_text()
        keys.update(re.findall(r'\.get\(\s*"(\w+)"', text))
        keys.update(re.findall(r'\[\s*"(\w+)"\s*\]', text))
    return keys


FIELDS = sorted(_form_fields() | _names_read_in_source())
JSON_KEYS = sorted(_json_keys())


# --- Hostile values --------------------------------------------------------------------------------------

UNICODE_DIGITS = ["²", "٣", "１２", "⁹⁹", "߃", "𝟗", "Ⅻ", "½"]
HUGE_INTS = [str(2**63), str(-(2**63) - 1), str(2**31), "9" * 40, "1" * 5000, "1e309", "-0", "0x7fffffff", "1_000"]
RTL_AND_CONTROL = ["\u202eevil", "\u200f\u061c", "\u2066x\u2069", "\x1b[31m", "a\r\nSet-Cookie: x=1", "\x7f\x08",
                   "\u200b\ufeff", "e\u0301\u0301\u0301", "🌻" * 20, "\U0010ffff", "ﷺ" * 30, "\t \n"]
NULS = ["\x00", "a\x00b", "\x00" * 100]
texts = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
hostile_text = st.one_of(st.sampled_from(UNICODE_DIGITS + HUGE_INTS + RTL_AND_CONTROL), texts)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), hostile_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(JSON_KEYS) | texts, inner, max_size=4)),
    max_leaves=12)


def _deep(depth: int, opener: str) -> str:
    return {"[": "[" * depth + "]" * depth, "{": '{"a":' * depth + "1" + "}" * depth}[opener]


@dataclass
class Request:
    """One request to send: the body and how it is encoded, the query, and which CSRF token it carries."""

    kind: str
    form: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    json_text: str | bytes | None = None
    raw: bytes | None = None
    content_type: str | None = None
    token: str = "good"  # good, missing, forged


def _every_field(values: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({name: values for name in FIELDS})


def _some_fields(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(FIELDS), values, min_size=1, max_size=8)


# Each class is a strategy for one Request; every route gets one request of each (of the GET ones for pages).
BODY_CLASSES: dict[str, st.SearchStrategy[Request]] = {
    "unicode digits": st.builds(Request, st.just("form"), _every_field(st.sampled_from(UNICODE_DIGITS))),
    "huge integers": st.builds(Request, st.just("form"), _every_field(st.sampled_from(HUGE_INTS))),
    "file parts": st.builds(Request, st.just("files"), _some_fields(st.binary(max_size=64))),
    "NUL bytes": st.builds(Request, st.just("form"), _some_fields(st.sampled_from(NULS))),
    "deep JSON": st.builds(Request, st.just("json"), json_text=st.builds(
        _deep, st.sampled_from([100_000, 21, 1000]), st.sampled_from(["[", "{"]))),
    "JSON of the wrong types": st.builds(Request, st.just("json"), json_text=st.builds(
        json.dumps, st.dictionaries(st.sampled_from(JSON_KEYS), json_values, min_size=1, max_size=6))),
    "JSON no database stores": st.builds(Request, st.just("json"), json_text=st.sampled_from(
        ['{"endpoint": "\\u0000", "answers": [{"step": 0, "answer": "\\ud800", "answered_at": "\\u0000"}]}',
         '{"answers": [{"step": NaN}], "endpoint": Infinity}', b'{"endpoint": "\xff\xfe"}', "[" + "1" * 5000 + "]",
         '{"client_id": "' + "x" * 300_000 + '"}'])),
    "missing CSRF token": st.builds(Request, st.just("form"), _some_fields(hostile_text), token=st.just("missing")),
    "forged CSRF token": st.builds(Request, st.just("form"), _some_fields(hostile_text), token=st.just("forged")),
    "overlong strings": st.builds(Request, st.just("form"), _some_fields(st.builds(
        lambda char, n: char * n, st.sampled_from(["語", "x", "é", "🌻"]), st.sampled_from([20_000, 300, 5_000])))),
    "RTL and control characters": st.builds(Request, st.just("form"), _every_field(st.sampled_from(RTL_AND_CONTROL))),
    "repeated and odd field names": st.builds(Request, st.just("form"), st.dictionaries(
        st.sampled_from([*FIELDS, "", "a[]", "__proto__", "csrf_token[]"]),
        st.lists(hostile_text, min_size=2, max_size=4), min_size=1, max_size=6)),
    "a body of another kind": st.builds(Request, st.just("raw"), raw=st.one_of(
        st.binary(max_size=200), st.just(b"--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na"),
        st.just(b"email=%ff%fe&password=%00&%zz=1")), content_type=st.sampled_from(
        ["text/plain", "application/xml", "multipart/form-data; boundary=x", "multipart/form-data",
         "application/json", "application/x-www-form-urlencoded", "application/octet-stream"])),
    "anything at all": st.builds(Request, st.sampled_from(["form", "files", "json"]), _some_fields(hostile_text),
                                 st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=3),
                                 json_text=st.builds(json.dumps, json_values),
                                 token=st.sampled_from(["good", "missing", "forged"])),
}
QUERY_CLASSES: dict[str, st.SearchStrategy[Request]] = {
    name: st.builds(Request, st.just("query"), query=_some_fields(values)) for name, values in {
        "unicode digits": st.sampled_from(UNICODE_DIGITS), "huge integers": st.sampled_from(HUGE_INTS),
        "NUL bytes": st.sampled_from(NULS), "RTL and control characters": st.sampled_from(RTL_AND_CONTROL),
        "overlong strings": st.sampled_from(["x" * 5000, "語" * 2000]), "anything at all": hostile_text,
    }.items()
}
HOSTILE_SEGMENTS = ["x" * 300, "²", "\x00", "\u202e", "..", "/", "🌻", "'; DROP TABLE users;--", " ", "%"]
ODD_SEGMENTS = "odd path segments"  # the one class that puts hostile values in the URL's own segments
BODY_CLASSES[ODD_SEGMENTS] = st.builds(Request, st.just("form"), _some_fields(hostile_text))
QUERY_CLASSES[ODD_SEGMENTS] = st.builds(Request, st.just("query"))


# --- Sending ---------------------------------------------------------------------------------------------

@dataclass
class Identity:
    """Who sends: a client, how to get a fresh CSRF token for it, and the real values its URLs can name."""

    name: str
    client: FlaskClient
    token: str
    path_values: dict[str, list[str]]
    refresh: Callable[[Identity], None] | None = None


def _url(rule: Any, values: dict[str, str]) -> str:
    def value_for(match: re.Match[str]) -> str:
        return urllib.parse.quote(values[match.group(1)], safe="")

    return re.sub(r"<(?:[^>]*:)?(\w+)>", value_for, rule.rule)


def path_values(rule: Any, identity: Identity, hostile: bool) -> st.SearchStrategy[dict[str, str]]:
    """Values for the rule's segments: real ids and names of the identity's world, or hostile ones first."""
    strategies: dict[str, st.SearchStrategy[str]] = {}
    for name, converter in rule._converters.items():
        real = identity.path_values.get(name, [])
        if isinstance(converter, AnyConverter):
            strategies[name] = st.sampled_from(sorted(converter.items))
        elif isinstance(converter, IntegerConverter):
            odd = [str(2**31 - 1), "0", "1"]
            strategies[name] = st.sampled_from(odd + real if hostile else real + odd)
        else:
            strategies[name] = st.sampled_from(HOSTILE_SEGMENTS + real if hostile else real + HOSTILE_SEGMENTS)
    return st.fixed_dictionaries(strategies)


def send(identity: Identity, method: str, url: str, request: Request) -> Any:
    client = identity.client
    token = {"good": identity.token, "missing": None, "forged": "forged-token"}[request.token]
    headers = {"X-CSRFToken": token} if token and request.kind in {"json", "raw"} else {}
    form = dict(request.form)
    if token and request.kind in {"form", "files"}:
        form["csrf_token"] = token
    query = "?" + urllib.parse.urlencode(request.query, doseq=True) if request.query else ""
    if request.kind == "query":
        return client.open(url + query, method=method)
    if request.kind == "json":
        return client.open(url, method=method, data=request.json_text, content_type="application/json",
                           headers={**headers, "Accept": "application/json"})
    if request.kind == "raw":
        return client.open(url, method=method, data=request.raw, content_type=request.content_type, headers=headers)
    if request.kind == "files":
        data = {name: (io.BytesIO(value), "upload.txt") if isinstance(value, bytes) else value
                for name, value in form.items()}
        return client.open(url, method=method, data=data, content_type="multipart/form-data")
    return client.open(url + query, method=method, data=form)


# --- The property ----------------------------------------------------------------------------------------

@pytest.fixture
def identities(app: Flask, client: FlaskClient, make_user: Callable[..., Any]) -> list[Identity]:
    with app.app_context():
        import_course(course_data(SPANISH))
    visitor = Identity("visitor", client, csrf_token(client, "/login"), {"slug": [SPANISH]})

    def log_in_again(identity: Identity) -> None:
        """A case may log the learner out or change their password: carry on as a fresh learner."""
        user = make_user(display_name="Fuzz")
        identity.client = app.test_client()
        assert AuthActions(identity.client).log_in(user.email).status_code == 302
        identity.token = csrf_token(identity.client, "/home")

    learner = Identity("learner", app.test_client(), "", {}, refresh=log_in_again)
    log_in_again(learner)
    friend = make_user(display_name="Friend")
    with app.app_context():
        from puchi.accounts.models import User

        me = db.session.query(User).filter_by(display_name="Fuzz").one()
    befriend(app, me.id, friend.id)
    assert post_form(learner.client, "/courses", {}, action=f"/courses/{SPANISH}/enroll").status_code == 302
    skill = first_skill_id(app)
    lesson = start_lesson(learner.client, skill)
    offline = learner.client.post(f"/courses/{SPANISH}/offline", headers={"X-CSRFToken": learner.token})
    learner.path_values = {"slug": [SPANISH], "skill_id": [str(skill)], "username": [username_of(app, friend.id)],
                           "session_id": [str(lesson), str(offline.json["lessons"][0]["session_id"])]}
    return [visitor, learner]


def _routes(app: Flask) -> list[tuple[str, Any]]:
    return [(method, rule) for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if rule.endpoint != "static" for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def test_no_request_to_any_endpoint_is_answered_with_a_server_error(app, identities, capsys):
    """For every route and identity, one hypothesis example sends a request of every hostile class."""
    started, cpu, statuses, failures = time.monotonic(), time.process_time(), Counter(), []

    def probe(identity: Identity, method: str, rule: Any, hostile: str, values: dict[str, str],
              request: Request) -> None:
        url = _url(rule, values)
        where = f"{hostile} as {identity.name}: {method} {url[:120]}"
        try:
            response = send(identity, method, url, request)
        except Exception as error:  # raised from inside an error handler: a 500 in production
            failures.append(f"{where} → {type(error).__name__}: {str(error)[:200]}")
            return
        statuses[f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            failures.append(f"{where} → {response.status_code}")
        if identity.refresh and method in BODY_METHODS and 300 <= response.status_code < 400 \
                and identity.client.get("/account").status_code != 200:
            identity.refresh(identity)  # that request logged the learner out (or changed their password)

    def fuzz(identity: Identity, method: str, rule: Any) -> None:
        classes = BODY_CLASSES if method in BODY_METHODS else QUERY_CLASSES

        @SETTINGS
        @given(data=st.data())
        def every_class(data: st.DataObject) -> None:
            for hostile, strategy in classes.items():
                for _ in range(REPEATS.get(hostile, 1)):
                    values = data.draw(path_values(rule, identity, hostile == ODD_SEGMENTS), label="segments")
                    probe(identity, method, rule, hostile, values, data.draw(strategy, label=hostile))

        every_class()

    routes = _routes(app)
    for method, rule in routes:
        for identity in identities:
            fuzz(identity, method, rule)

    with capsys.disabled():
        print(f"\nfuzz: {sum(statuses.values())} requests ({len(routes)} routes × {len(identities)} identities × "
              f"{len(BODY_CLASSES)} hostile classes for bodies, {len(QUERY_CLASSES)} for pages) in "
              f"{time.monotonic() - started:.1f} s ({time.process_time() - cpu:.1f} s of CPU): "
              f"{dict(sorted(statuses.items()))}")
    assert not failures, "\n".join(failures)
