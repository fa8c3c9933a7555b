"""Signed-in devices: named by browser and OS, placed only with a local GeoIP database, signed out one at a
time (only one's own), and a sign-in from a new kind of device is emailed to the learner in their language."""

import pytest
from sqlalchemy import select

from puchi.accounts.models import UserSession
from puchi.core.db import db
from tests.conftest import AuthActions, post_form

FIREFOX_UBUNTU = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Mobile Safari/537.36")
LISBON_ADDRESS = "203.0.113.77"


def _device(app, user_agent, email="ana@example.com", address="198.51.100.9"):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    assert AuthActions(client).log_in(email).status_code == 302
    return client


def _sessions(app, user_id):
    with app.app_context():
        return db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                  .order_by(UserSession.id)).all()


def test_the_account_page_names_each_device_by_browser_and_os_and_shows_no_place_without_geoip(
        app, make_user, mailbox):
    ana = make_user(email="ana@example.com")
    laptop = _device(app, FIREFOX_UBUNTU)
    _device(app, CHROME_ANDROID, address=LISBON_ADDRESS)

    page = laptop.get("/account").text
    assert "Firefox on Ubuntu" in page and "Chrome Mobile on Android" in page
    assert "Lisbon" not in page
    assert [s.place for s in _sessions(app, ana.id)] == [None, None]
    assert "Sign out Chrome Mobile on Android" in page
    assert "Sign out Firefox on Ubuntu" not in page  # this device logs out with "Log out"


@pytest.fixture
def geoip_db(tmp_path):
    """A tiny GeoIP2-City database in MaxMind's format: 203.0.113.0/24 is Lisbon."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City", languages=["en"],
                        description="Puchi test")
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"city": {"names": {"en": "Lisbon"}},
                                                      "country": {"names": {"en": "Portugal"}, "iso_code": "PT"}})
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    return str(path)


def test_with_a_geoip_database_the_approximate_place_is_shown_and_no_address_is_kept(app, make_user, geoip_db):
    app.config["GEOIP_DB"] = geoip_db
    ana = make_user(email="ana@example.com")
    phone = _device(app, CHROME_ANDROID, address=LISBON_ADDRESS)
    _device(app, FIREFOX_UBUNTU, address="192.0.2.1")  # not in the database: no place

    assert "Lisbon, Portugal" in phone.get("/account").text
    assert [s.place for s in _sessions(app, ana.id)] == ["Lisbon, Portugal", None]


def test_a_learner_signs_one_other_device_out(app, make_user):
    ana = make_user(email="ana@example.com")
    laptop = _device(app, FIREFOX_UBUNTU)
    phone = _device(app, CHROME_ANDROID)
    phone_session = _sessions(app, ana.id)[-1]

    response = post_form(laptop, "/account", {}, action=f"/account/sessions/{phone_session.id}/sign-out")
    assert response.status_code == 302
    page = laptop.get("/account").text
    assert "That device is signed out." in page and "Chrome Mobile on Android" not in page
    assert phone.get("/home").status_code == 302  # signed out
    assert laptop.get("/home").status_code == 200
    again = post_form(laptop, "/account", {}, action=f"/account/sessions/{phone_session.id}/sign-out")
    assert again.status_code == 404


def test_another_learners_device_is_not_found(app, make_user, logged_in):
    ana = make_user(email="ana@example.com")
    phone = _device(app, CHROME_ANDROID)
    carl, _ = logged_in(email="carl@example.com")
    ana_session = _sessions(app, ana.id)[-1]

    response = post_form(carl, "/account", {}, action=f"/account/sessions/{ana_session.id}/sign-out")
    assert response.status_code == 404
    assert phone.get("/home").status_code == 200


def test_a_sign_in_from_a_new_kind_of_device_is_emailed_in_the_learners_language(app, make_user, mailbox):
    make_user(email="ana@example.com", locale="fr")
    _device(app, FIREFOX_UBUNTU)  # the first device an account uses is no news
    _device(app, FIREFOX_UBUNTU)  # nor the same kind again
    assert mailbox.messages == []

    _device(app, CHROME_ANDROID)
    email = mailbox.wait_for("ana@example.com")[-1]
    assert email["Subject"] == "Un nouvel appareil s’est connecté à ton compte Puchi"
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert "Chrome Mobile" in body and "Android" in body
    _device(app, CHROME_ANDROID)
    assert len(mailbox.messages) == 1
