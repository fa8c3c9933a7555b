"""An authenticator app as a second factor: set up from a QR code drawn here, confirmed by a typed code;
codes within one 30-second step either side of now, each accepted once, wrong ones limited per account and
per address; the secret never stored in clear nor written to the event log or the logs."""

import base64
import logging
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from puchi.accounts import mfa, totp
from puchi.accounts.mfa_models import TotpAuthenticator
from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.errors import Invalid, RateLimited
from puchi.core.events import Event
from tests.accounts.mfa_support import enrol_totp
from tests.conftest import AuthActions, post_form

SECRET_RE = re.compile(r'<code class="totp-secret" dir="ltr">([A-Z2-7]+)</code>')


def _start_enrolment(client):
    started = post_form(client, "/account/security", {}, action="/account/security/totp/start")
    assert started.status_code == 302 and started.headers["Location"] == "/account/security/totp"
    page = client.get("/account/security/totp")
    assert page.status_code == 200
    return page


def test_a_learner_turns_on_an_authenticator_app_by_scanning_and_typing_a_code(logged_in):
    client, ana = logged_in(email="ana@example.com")
    page = _start_enrolment(client)

    secret = SECRET_RE.search(page.text).group(1)
    qr = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page.text)
    assert qr, "the QR code is drawn by Puchi, as an SVG image in the page"
    assert base64.b64decode(qr.group(1)).decode().lstrip().startswith(("<?xml", "<svg"))
    assert 'alt="QR code for your authenticator app"' in page.text

    wrong = post_form(client, "/account/security/totp", {"code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in wrong.text
    done = post_form(client, "/account/security/totp", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>[a-z2-9]{4}(?:-[a-z2-9]{4}){5}</code></li>", done.text)) == 10
    security = client.get("/account/security").text
    assert "10 recovery codes left." in security and "To turn it off" in security
    assert client.get("/account/security/totp").headers["Location"] == "/account/security"  # nothing pending


def test_the_secret_is_stored_encrypted(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    with app.app_context():
        stored = db.session.scalar(select(TotpAuthenticator.secret_encrypted))
        assert enrolled.secret not in stored
        assert totp.decrypt(stored) == enrolled.secret
        app.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough-987"
        assert totp.decrypt(stored) is None  # another key reads nothing


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_a_code_is_accepted_within_one_step_either_side_of_now(steps, accepted):
    secret = pyotp.random_base32()
    moment = 1_800_000_015.0
    code = pyotp.TOTP(secret).at(moment + 30 * steps)
    assert (totp.check(secret, code, after_step=None, at=moment) is not None) is accepted


def test_each_code_is_accepted_once_and_no_older_one_after_it(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)  # spent the code of this step
    with app.app_context():
        user = db.session.get(User, ana.id)
        with pytest.raises(Invalid) as replayed:
            mfa.verify_code(user, enrolled.code(0), purpose="step_up")
        assert replayed.value.code == "wrong_code"
        assert mfa.verify_code(user, enrolled.code(1), purpose="step_up") == "totp"
        for code in (enrolled.code(1), enrolled.code(0), enrolled.code(-1)):
            with pytest.raises(Invalid):
                mfa.verify_code(user, code, purpose="step_up")


@pytest.fixture
def app_settings():
    return {"RATELIMIT_MFA_ACCOUNT": "3 per hour"}


def test_wrong_codes_are_limited_per_account_from_any_address(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    for attempt in range(3):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"203.0.113.{attempt}"
        assert AuthActions(browser).log_in("ana@example.com").headers["Location"] == "/login/verify"
        assert post_form(browser, "/login/verify", {"code": "123456"}).status_code == 422

    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    AuthActions(owner).log_in("ana@example.com")
    refused = post_form(owner, "/login/verify", {"code": enrolled.code(1)})
    assert refused.status_code == 429
    assert "Too many wrong codes. Try again in 60 minutes." in refused.text
    with app.app_context(), pytest.raises(RateLimited):
        mfa.verify_code(db.session.get(User, ana.id), enrolled.code(1), purpose="step_up")


def test_code_entry_is_limited_per_address(app, make_user):
    app.config["RATELIMIT_MFA"] = "2 per minute"
    enrol_totp(app, make_user("ana@example.com").id)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    AuthActions(client).log_in("ana@example.com")
    client.get("/login/verify")  # a read is not counted
    statuses = [post_form(client, "/login/verify", {"code": "1"}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_no_secret_reaches_the_event_log_or_the_logs(app, logged_in, caplog):
    caplog.set_level(logging.DEBUG)
    client, ana = logged_in(email="ana@example.com")
    page = _start_enrolment(client)
    secret = SECRET_RE.search(page.text).group(1)
    codes_page = post_form(client, "/account/security/totp", {"code": pyotp.TOTP(secret).now()}).text
    recovery_codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", codes_page)
    AuthActions(client).log_out()
    AuthActions(client).log_in("ana@example.com")
    post_form(client, "/login/verify", {"code": "999999"})
    assert post_form(client, "/login/verify", {"code": recovery_codes[0]}).status_code == 302
    typed_code = pyotp.TOTP(secret).at(time.time() + 30)
    assert post_form(client, "/account/security/confirm", {"code": typed_code}).status_code == 302

    with app.app_context():
        rows = db.session.scalars(select(Event).where(Event.name.like("user.%"))).all()
        logged = " ".join(f"{row.name} {row.payload}" for row in rows)
    assert "user.mfa_enabled" in logged and "user.mfa_verified" in logged and "user.mfa_failed" in logged
    for secret_thing in [secret, typed_code, *recovery_codes, *(code.replace("-", "") for code in recovery_codes)]:
        assert secret_thing not in logged
        assert secret_thing not in caplog.text
