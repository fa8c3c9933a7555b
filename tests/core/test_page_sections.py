"""Core's generic template hooks: any domain can add a part to the base template's banner place (and the
account page) through ``hooks.add_section``, without core or the page knowing the domain; money is written
as the reader's locale writes it."""

from __future__ import annotations

from flask_babel import force_locale

from puchi.core import hooks
from puchi.core.templating import money


def test_a_section_added_to_the_banner_shows_on_a_learners_pages_only(app, client, logged_in, tmp_path):
    seen = []

    def banner(user):
        seen.append(user.id)
        return "_partials/flashes.html", {"marker": True}

    hooks.add_section(app, "banner", banner)
    learner_client, learner = logged_in()

    assert learner_client.get("/home").status_code == 200
    assert seen == [learner.id]
    assert client.get("/login").status_code == 200  # a visitor: no section is asked
    assert seen == [learner.id]


def test_a_section_that_has_nothing_to_show_adds_nothing(app, logged_in):
    hooks.add_section(app, "banner", lambda user: None)
    learner_client, _ = logged_in()
    assert learner_client.get("/home").status_code == 200


def test_money_is_written_in_the_readers_locale_and_the_currencys_minor_unit(app):
    with app.test_request_context():
        with force_locale("en"):
            assert money(839, "eur") == "€8.39"
            assert money(839, "JPY") == "¥839"  # yen have no minor unit
        with force_locale("fr"):
            assert money(839, "eur").replace("\u202f", " ").replace("\xa0", " ") == "8,39 €"
