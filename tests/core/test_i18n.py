"""Every string a person reads is translated, and each person reads Puchi in their language."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import AuthActions

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "puchi" / "translations"


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory):
    """The messages in the code and templates right now (not the possibly stale .pot)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs", ".* __pycache__",  # _partials/ too
                    "-o", str(pot), "puchi", "templates"], cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


LOCALES = ["es", "fr", "ja", "ar"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_is_translated(source_messages, locale):
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and all(m.string if isinstance(m.string, tuple)
                                                                      else [m.string]) and not m.fuzzy}
    missing = sorted(str(i) for i in source_messages - translated)
    assert missing == [], f"{locale} misses {len(missing)} string(s), e.g. {missing[:5]}"


def test_the_template_translators_start_from_lists_every_string_in_use(source_messages):
    with (CATALOGS / "messages.pot").open("rb") as handle:
        template = {message.id for message in read_po(handle) if message.id}
    assert sorted(map(str, source_messages - template)) == [], "run the extract command in README.md"
    assert sorted(map(str, template - source_messages)) == [], "run the extract command in README.md"


def test_the_browser_language_chooses_the_interface_language(client):
    spanish = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert '<html lang="es"' in spanish.text
    assert "Aprende un idioma" in spanish.text
    english = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="en"' in english.text


def test_the_learners_preference_beats_the_browser_language(app, client, make_user):
    make_user("ana@example.com", locale="es")
    AuthActions(client).log_in("ana@example.com")
    page = client.get("/home", headers={"Accept-Language": "en"})
    assert '<html lang="es"' in page.text
    assert "Aprender" in page.text  # the tab bar, in her language


def test_form_messages_are_translated(client):
    client.get("/signup", headers={"Accept-Language": "es"})
    from tests.conftest import post_form

    response = post_form(client, "/signup", {"email": "nope"}, headers={"Accept-Language": "es"})
    assert response.status_code == 422
    assert "Escribe" in response.text or "correo" in response.text
    assert "Enter a valid email address" not in response.text


def test_every_supported_locale_has_a_catalog(app):
    assert sorted(app.config["SUPPORTED_LOCALES"]) == sorted(["en", *LOCALES])


@pytest.mark.parametrize(("locale", "word", "direction"), [
    ("es", "Iniciar sesión", "ltr"), ("fr", "Se connecter", "ltr"), ("ja", "ログイン", "ltr"),
    ("ar", "تسجيل الدخول", "rtl"),
])
def test_each_locale_renders_in_its_language_and_direction(client, locale, word, direction):
    page = client.get("/", headers={"Accept-Language": locale}).text
    assert f'<html lang="{locale}" dir="{direction}"' in page
    assert word in page


def test_a_visitor_switches_language_in_the_footer(client):
    from tests.conftest import post_form

    response = post_form(client, "/login", {"locale": "fr", "next": "/login"}, action="/language")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert '<html lang="fr"' in client.get("/login").text
    post_form(client, "/", {"locale": "xx", "next": "https://evil.example/"}, action="/language")
    assert '<html lang="fr"' in client.get("/").text


def test_a_learner_switching_language_in_the_footer_keeps_it_as_a_preference(app, logged_in):
    from sqlalchemy import select

    from puchi.accounts.models import User
    from puchi.core.db import db
    from tests.conftest import post_form

    client, user = logged_in()
    post_form(client, "/home", {"locale": "ja", "next": "/home"}, action="/language")
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "ja"
    assert '<html lang="ja"' in client.get("/home", headers={"Accept-Language": "en"}).text


def test_dates_and_numbers_follow_the_locale(app):
    from datetime import date

    from flask_babel import force_locale, format_date, format_decimal

    with app.test_request_context(), force_locale("fr"):
        assert format_decimal(12345) == "12\u202f345"
        assert format_date(date(2026, 5, 4), "long") == "4 mai 2026"
    with app.test_request_context(), force_locale("ar"):
        assert format_date(date(2026, 5, 4), "long") != "May 4, 2026"
