"""'Remember this browser': a signed cookie naming a database row skips the second step for 30 days; the
security page lists each remembered browser and can forget it; it only ever works for its own account."""

import time

import time_machine

from puchi.accounts import mfa_status
from tests.accounts.mfa_support import enrol_totp
from tests.conftest import AuthActions, post_form


def _log_in_remembering(app, enrolled, email="ana@example.com"):
    client = app.test_client()
    AuthActions(client).log_in(email)
    done = post_form(client, "/login/verify", {"code": enrolled.recovery_codes.pop(), "remember_device": "y"})
    assert done.status_code == 302
    cookie = client.get_cookie(mfa_status.DEVICE_COOKIE)
    assert cookie is not None and cookie.http_only
    return client, cookie


def test_a_remembered_browser_skips_the_second_step_until_it_is_forgotten(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    client, _ = _log_in_remembering(app, enrolled)
    AuthActions(client).log_out()

    assert AuthActions(client).log_in("ana@example.com").headers["Location"] == "/home"
    page = client.get("/account/security").text
    assert "Skips the code until" in page
    import re

    device_id = re.search(r"/account/security/devices/(\d+)/forget", page).group(1)
    assert post_form(client, "/account/security", {}, action=f"/account/security/devices/{device_id}/forget"
                     ).status_code == 302
    assert "No browser is remembered." in client.get("/account/security").text
    AuthActions(client).log_out()
    assert AuthActions(client).log_in("ana@example.com").headers["Location"] == "/login/verify"


def test_a_remembered_browser_asks_again_after_30_days(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    client, _ = _log_in_remembering(app, enrolled)
    AuthActions(client).log_out()
    with time_machine.travel(time.time() + 31 * 24 * 3600):
        assert AuthActions(client).log_in("ana@example.com").headers["Location"] == "/login/verify"


def test_one_accounts_device_cookie_does_nothing_for_another(app, make_user):
    ana, ben = make_user("ana@example.com"), make_user("ben@example.com")
    enrol_ana, enrol_ben = enrol_totp(app, ana.id), enrol_totp(app, ben.id)
    client, cookie = _log_in_remembering(app, enrol_ana)
    AuthActions(client).log_out()
    assert AuthActions(client).log_in("ben@example.com").headers["Location"] == "/login/verify"

    forged = app.test_client()
    forged.set_cookie(mfa_status.DEVICE_COOKIE, cookie.value[:-2] + "xx")
    assert AuthActions(forged).log_in("ana@example.com").headers["Location"] == "/login/verify"
    assert enrol_ben  # ben's factor stays his


def test_turning_the_second_factor_off_forgets_every_browser(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    client, _ = _log_in_remembering(app, enrolled)
    off = post_form(client, "/account/security", {"password": "correct-horse-battery",
                                                  "code": enrolled.code(1)}, action="/account/security/totp/disable")
    assert off.headers["Location"] == "/account/security"
    assert "No browser is remembered." in client.get("/account/security").text
    enrol_again = enrol_totp(app, ana.id)
    AuthActions(client).log_out()
    assert AuthActions(client).log_in("ana@example.com").headers["Location"] == "/login/verify"
    assert enrol_again
