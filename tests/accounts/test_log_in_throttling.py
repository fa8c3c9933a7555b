"""Guessing a password gets nowhere: failures are counted per account from any address, and per client
address, which is the real one behind our trusted proxies. A reset always lets the owner back in."""

import pytest

from puchi import create_app
from tests.conftest import AuthActions, link_in, post_form, settings_for_tests

ACCOUNT_LIMIT = "3 per hour"


@pytest.fixture
def app_settings():
    return {"RATELIMIT_LOGIN_ACCOUNT": ACCOUNT_LIMIT}


def _from(app, address):
    """A browser at client address ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client)


def test_failures_from_many_addresses_lock_the_account_not_just_the_address(app, make_user):
    make_user("ana@example.com")
    for attempt in range(3):
        assert _from(app, f"203.0.113.{attempt}").log_in("ana@example.com", "a-wrong-guess-123").status_code == 422

    # Even the right password is not checked now, from anywhere: the guesser learns nothing more.
    refused = _from(app, "198.51.100.7").log_in("ana@example.com")
    assert refused.status_code == 429
    assert "Too many failed attempts for this account. Try again in 60 minutes" in refused.text
    assert _from(app, "198.51.100.8").log_in("someone@example.com").status_code == 422  # others are not affected


def test_an_unknown_address_is_throttled_exactly_like_a_known_one(app, make_user):
    make_user("ana@example.com")
    for email in ("ana@example.com", "nobody@example.com"):
        for attempt in range(3):
            _from(app, f"203.0.113.{attempt}").log_in(email, "a-wrong-guess-123")
    known = _from(app, "198.51.100.7").log_in("ana@example.com", "a-wrong-guess-123")
    unknown = _from(app, "198.51.100.7").log_in("nobody@example.com", "a-wrong-guess-123")
    assert known.status_code == unknown.status_code == 429


def test_a_locked_out_owner_resets_the_password_and_gets_straight_in(app, make_user, mailbox):
    make_user("ana@example.com")
    for attempt in range(4):
        _from(app, f"203.0.113.{attempt}").log_in("ana@example.com", "a-wrong-guess-123")

    owner = _from(app, "192.0.2.10")
    assert post_form(owner.client, "/forgot-password", {"email": "ana@example.com"}).status_code == 200
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/reset-password/")
    assert post_form(owner.client, link, {"password": "a-brand-new-passphrase"}).status_code == 302
    assert owner.log_in("ana@example.com", "a-brand-new-passphrase").status_code == 302


def test_the_wait_grows_with_the_failures(app, make_user):
    make_user("ana@example.com")
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "2 per 5 minutes;4 per day"
    guesser = _from(app, "203.0.113.1")
    for _ in range(2):
        guesser.log_in("ana@example.com", "a-wrong-guess-123")
    assert "Try again in 5 minutes" in guesser.log_in("ana@example.com", "a-wrong-guess-123").text

    import time_machine

    with time_machine.travel(300 + __import__("time").time(), tick=False):
        for _ in range(2):
            assert guesser.log_in("ana@example.com", "a-wrong-guess-123").status_code == 422
        assert "Try again in 1435 minutes" in guesser.log_in("ana@example.com", "a-wrong-guess-123").text


# --- The client address behind proxies ---------------------------------------------------------

def _proxied_app(database_url, smtp_sink, trusted):
    return create_app(settings_for_tests(database_url, smtp_sink.url, TRUSTED_PROXIES=trusted,
                                         RATELIMIT_LOGIN="2 per minute"))


def _log_in_via_balancer(app, client_address):
    """A log-in that reaches us through the load balancer at 10.0.0.2, for a learner at ``client_address``."""
    return post_form(_from(app, "10.0.0.2").client, "/login", {"email": "ana@example.com", "password": "a-guess-123"},
                     headers={"X-Forwarded-For": client_address})


def test_behind_a_trusted_balancer_each_learner_has_their_own_address_limit(app, database_url, smtp_sink):
    proxied = _proxied_app(database_url, smtp_sink, trusted=1)
    for _ in range(2):
        assert _log_in_via_balancer(proxied, "198.51.100.1").status_code == 422
    assert _log_in_via_balancer(proxied, "198.51.100.1").status_code == 429
    assert _log_in_via_balancer(proxied, "198.51.100.2").status_code == 422


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(app, database_url, smtp_sink):
    direct = _proxied_app(database_url, smtp_sink, trusted=0)
    for address in ("198.51.100.1", "198.51.100.2"):
        assert _log_in_via_balancer(direct, address).status_code == 422
    assert _log_in_via_balancer(direct, "198.51.100.3").status_code == 429


@pytest.mark.redis
def test_with_redis_every_process_counts_the_same_failures(database_url, smtp_sink, redis_server, make_user):
    first, second = (create_app(settings_for_tests(database_url, smtp_sink.url, RATELIMIT_STORAGE_URI=redis_server.url,
                                                   RATELIMIT_LOGIN_ACCOUNT=ACCOUNT_LIMIT)) for _ in range(2))
    make_user("ana@example.com")
    for attempt in range(3):
        _from(first if attempt % 2 else second, f"203.0.113.{attempt}").log_in("ana@example.com", "a-wrong-guess-123")
    assert _from(second, "198.51.100.7").log_in("ana@example.com").status_code == 429
    assert _from(first, "198.51.100.7").log_in("ana@example.com").status_code == 429
