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
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "puchi", "templates"], cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("locale", ["es"])
def test_every_string_is_translated(source_messages, locale):
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and all(m.string if isinstance(m.string, tuple)
                                                                      else [m.string]) and not m.fuzzy}
    missing = sorted(str(i) for i in source_messages - translated)
    assert missing == [], f"{locale} misses {len(missing)} string(s), e.g. {missing[:5]}"


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
    assert "Cerrar sesión" in page.text


def test_form_messages_are_translated(client):
    client.get("/signup", headers={"Accept-Language": "es"})
    from tests.conftest import post_form

    response = post_form(client, "/signup", {"email": "nope"}, headers={"Accept-Language": "es"})
    assert response.status_code == 422
    assert "Escribe" in response.text or "correo" in response.text
    assert "Enter a valid email address" not in response.text
