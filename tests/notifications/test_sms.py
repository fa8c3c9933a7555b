"""SMS: a learner proves a number is theirs with a texted code, then gets the kinds they chose as texts.

The gateway is a local HTTP server speaking Twilio's Messages API wire format (path with the account SID,
HTTP Basic auth, form-encoded To/From/Body, 201 with a message resource, JSON errors with Twilio codes).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from puchi.core import events, outbox
from puchi.core.db import action, db
from puchi.notifications import channels
from puchi.notifications.models import Delivery, PhoneNumber
from puchi.progress.events import LeagueDemoted, LeaguePromoted
from tests.conftest import post_form
from tests.services import free_port

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-test-auth-token"
SENDER = "+15005550006"
ANA_MOBILE, ANA_MOBILE_E164 = "+34 612 34 56 78", "+34612345678"
OTHER_MOBILE, OTHER_MOBILE_E164 = "+44 7911 123456", "+447911123456"


# --- A fake Twilio ------------------------------------------------------------------------------------------

class FakeTwilio:
    """Accepts messages exactly as Twilio does, records them, and answers errors when told to."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.requests = 0
        self.answers: list[tuple[int, dict[str, Any]]] = []  # errors to give, first come first served
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server interface
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                status, answer = fake.answer(self.path, self.headers.get("Authorization", ""),
                                             self.headers.get("Content-Type", ""), body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def answer(self, path: str, authorization: str, content_type: str, body: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests += 1
            if path != f"/2010-04-01/Accounts/{SID}/Messages.json":
                return 404, _error(20404, "The requested resource was not found", 404)
            expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
            if authorization != expected:
                return 401, _error(20003, "Authenticate", 401)
            if not content_type.startswith("application/x-www-form-urlencoded"):
                return 400, _error(21602, "Message body is required.", 400)
            form = {name: values[0] for name, values in parse_qs(body).items()}
            if form.get("From") != SENDER:
                return 400, _error(21603, "A 'From' phone number is required.", 400)
            if not form.get("Body"):
                return 400, _error(21602, "Message body is required.", 400)
            if not re.fullmatch(r"\+[1-9]\d{6,14}", form.get("To", "")):
                return 400, _error(21211, f"The 'To' number {form.get('To')} is not a valid phone number.", 400)
            if self.answers:
                return self.answers.pop(0)
            sid = f"SM{len(self.messages):032x}"
            self.messages.append({"to": form["To"], "from": form["From"], "body": form["Body"]})
            return 201, {"sid": sid, "account_sid": SID, "status": "queued", "to": form["To"], "from": form["From"],
                         "body": form["Body"], "num_segments": "1", "direction": "outbound-api",
                         "error_code": None, "error_message": None, "price": None, "api_version": "2010-04-01",
                         "uri": f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json"}

    def fail_next(self, status: int, code: int | None = None, message: str = "Service unavailable") -> None:
        with self.lock:
            self.answers.append((status, _error(code, message, status)))

    def to(self, number: str) -> list[str]:
        with self.lock:
            return [m["body"] for m in self.messages if m["to"] == number]

    def code_for(self, number: str) -> str:
        """The code in the latest text to ``number``."""
        bodies = self.to(number)
        assert bodies, f"no text to {number}"
        return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.answers.clear()
            self.requests = 0


def _error(code: int | None, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


@pytest.fixture(scope="module")
def twilio_server() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.thread.start()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def twilio(twilio_server: FakeTwilio) -> FakeTwilio:
    twilio_server.clear()
    return twilio_server


@pytest.fixture
def app_settings(twilio_server: FakeTwilio) -> dict[str, Any]:
    return {"SMS_GATEWAY": "twilio", "SMS_API_BASE": twilio_server.url, "SMS_ACCOUNT_SID": SID,
            "SMS_AUTH_TOKEN": TOKEN, "SMS_FROM": SENDER, "NOTIFY_HTTP_TIMEOUT": 5}


@pytest.fixture
def clock(time_machine: Any) -> Any:
    """Time that runs on from now and can be moved forward."""
    time_machine.move_to(datetime.now(UTC), tick=True)
    return time_machine


# --- Helpers ------------------------------------------------------------------------------------------------

def add_number(client: Any, number: str = ANA_MOBILE) -> Any:
    return post_form(client, "/account/phone", {"number": number})


def enter_code(client: Any, code: str) -> Any:
    return post_form(client, "/account/phone", {"code": code}, action="/account/phone/verify")


def resend(client: Any) -> Any:
    return post_form(client, "/account/phone", {}, action="/account/phone/resend")


def phone_row(app: Any, user_id: int) -> PhoneNumber | None:
    with app.app_context():
        row = db.session.get(PhoneNumber, user_id)
        if row is not None:
            db.session.expunge(row)
        return row


def verified_learner(logged_in: Any, twilio: FakeTwilio, number: str = ANA_MOBILE, **kwargs: Any) -> tuple[Any, Any]:
    client, learner = logged_in(**kwargs)
    assert add_number(client, number).status_code == 302
    e164 = re.sub(r"[^\d+]", "", number)
    assert enter_code(client, twilio.code_for(e164)).status_code == 302
    twilio.clear()
    return client, learner


def promote(app: Any, user_id: int, week: str = "2026-05-04") -> None:
    with app.app_context(), action():
        events.record(LeaguePromoted(from_tier=1, to_tier=2, rank=1, week_start=date.fromisoformat(week)),
                      actor_id=user_id, subject=("league_cohort", 1))


def sms_delivery(app: Any) -> Delivery | None:
    with app.app_context():
        delivery = db.session.scalar(select(Delivery).where(Delivery.channel == "sms"))
        if delivery is not None:
            db.session.expunge(delivery)
        return delivery


# --- Verifying a number -------------------------------------------------------------------------------------

def test_a_learner_verifies_their_number_with_the_code_texted_to_it(app, logged_in, twilio):
    client, learner = logged_in()

    response = add_number(client, ANA_MOBILE)
    assert response.status_code == 302
    [text] = twilio.to(ANA_MOBILE_E164)
    code = twilio.code_for(ANA_MOBILE_E164)
    assert "Your Puchi code is" in text and text.endswith(f"@localhost #{code}")  # WebOTP line for autofill
    page = client.get("/account/phone").text
    assert "+34 612 34 56 78" in page and "not verified yet" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page

    response = enter_code(client, code)
    assert response.status_code == 302 and response.headers["Location"] == "/account/notifications"
    row = phone_row(app, learner.id)
    assert row.number == ANA_MOBILE_E164 and row.verified_at is not None and row.code_hash is None
    settings = client.get("/account/notifications").text
    assert "+34 612 34 56 78" in settings and "verified" in settings


def test_the_code_is_never_kept_in_plaintext_neither_in_the_table_nor_in_the_outbox(app, logged_in, twilio):
    client, learner = logged_in()
    add_number(client)
    code = twilio.code_for(ANA_MOBILE_E164)

    with app.app_context():
        row = db.session.get(PhoneNumber, learner.id)
        stored = [str(value) for value in (row.number, row.code_hash, row.code_expires_at, row.code_sent_at)]
        payloads = [json.dumps(m.payload) for m in db.session.scalars(select(outbox.OutboxMessage))]
    assert row.code_hash and len(row.code_hash) == 64
    assert not any(code in value for value in stored + payloads)


def test_a_number_without_country_code_is_read_in_the_country_of_the_learners_time_zone(app, logged_in, twilio):
    client, learner = logged_in(timezone="Europe/Madrid")
    assert add_number(client, "612 34 56 78").status_code == 302
    assert phone_row(app, learner.id).number == ANA_MOBILE_E164
    assert len(twilio.to(ANA_MOBILE_E164)) == 1


@pytest.mark.parametrize(("raw", "message"), [
    ("12", "That is not a phone number we can read."),
    ("abc", "That is not a phone number we can read."),
    ("+34 6" + "1" * 35, "That is too long for a phone number."),
    ("", "Enter your mobile number."),
    ("+34 612 34", "That number does not exist."),
    ("+34 912 34 56 78", "That number cannot receive text messages."),  # a Madrid landline
])
def test_a_number_that_cannot_be_texted_is_refused_next_to_the_field_and_nothing_is_stored(
        app, logged_in, twilio, raw, message):
    client, learner = logged_in()
    response = add_number(client, raw)

    assert response.status_code == 422
    errors = re.search(r'<ul class="field-errors" id="number-errors">(.*?)</ul>', response.text, re.S)
    assert errors and message in errors.group(1)
    assert 'aria-invalid="true"' in response.text
    assert phone_row(app, learner.id) is None
    assert twilio.requests == 0


def test_a_wrong_code_counts_a_try_and_after_five_a_new_code_is_needed(app, logged_in, twilio, clock):
    client, learner = logged_in()
    add_number(client)
    code = twilio.code_for(ANA_MOBILE_E164)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    response = enter_code(client, wrong)
    assert response.status_code == 422 and "You have 4 more tries." in response.text
    assert phone_row(app, learner.id).code_attempts == 1
    assert "The code has 6 digits." in enter_code(client, "12ab").text  # a slip costs no try
    assert phone_row(app, learner.id).code_attempts == 1
    for _ in range(3):
        enter_code(client, wrong)
    assert "and that was the last try" in enter_code(client, wrong).text

    response = enter_code(client, code)  # right, but too late for this code
    assert response.status_code == 422 and "Too many wrong tries for this code." in response.text
    assert phone_row(app, learner.id).verified_at is None

    clock.shift(timedelta(seconds=31))
    assert resend(client).status_code == 302
    assert enter_code(client, twilio.code_for(ANA_MOBILE_E164)).status_code == 302
    assert phone_row(app, learner.id).verified_at is not None


def test_a_code_older_than_ten_minutes_is_refused(app, logged_in, twilio, clock):
    client, learner = logged_in()
    add_number(client)
    code = twilio.code_for(ANA_MOBILE_E164)

    clock.shift(timedelta(minutes=10, seconds=1))
    response = enter_code(client, code)
    assert response.status_code == 422 and "That code has expired." in response.text
    assert phone_row(app, learner.id).verified_at is None


def test_a_new_code_waits_thirty_seconds_and_five_an_hour_is_the_most(app, logged_in, twilio, clock):
    client, learner = logged_in()
    add_number(client)

    response = resend(client)
    assert response.status_code == 429 and "You can ask for a new code in" in response.text
    for _ in range(4):
        clock.shift(timedelta(seconds=31))
        assert resend(client).status_code == 302
    assert len(twilio.to(ANA_MOBILE_E164)) == 5

    clock.shift(timedelta(seconds=31))
    response = resend(client)
    assert response.status_code == 429 and "all the codes we can send for now" in response.text
    # Removing the number and adding it (or another) again does not start the count over.
    post_form(client, "/account/phone", {}, action="/account/phone/remove")
    response = add_number(client, OTHER_MOBILE)
    assert response.status_code == 429 and twilio.to(OTHER_MOBILE_E164) == []
    assert phone_row(app, learner.id).number == ""

    clock.shift(timedelta(hours=1))
    assert add_number(client, OTHER_MOBILE).status_code == 302
    assert len(twilio.to(OTHER_MOBILE_E164)) == 1


def test_only_the_newest_code_works(app, logged_in, twilio, clock):
    client, learner = logged_in()
    add_number(client)
    first = twilio.code_for(ANA_MOBILE_E164)
    clock.shift(timedelta(seconds=31))
    resend(client)
    second = twilio.code_for(ANA_MOBILE_E164)

    if first != second:  # one in a million they are the same
        assert enter_code(client, first).status_code == 422
    assert enter_code(client, second).status_code == 302


def test_changing_the_number_unverifies_it_until_the_new_one_is_verified(app, logged_in, twilio, clock):
    client, learner = verified_learner(logged_in, twilio)

    clock.shift(timedelta(seconds=31))
    assert add_number(client, OTHER_MOBILE).status_code == 302
    row = phone_row(app, learner.id)
    assert (row.number, row.verified_at) == (OTHER_MOBILE_E164, None)
    assert len(twilio.to(OTHER_MOBILE_E164)) == 1 and twilio.to(ANA_MOBILE_E164) == []
    with app.app_context():
        assert not channels.adapter("sms").reachable(learner)

    enter_code(client, twilio.code_for(OTHER_MOBILE_E164))
    with app.app_context():
        assert channels.adapter("sms").reachable(learner)


def test_entering_the_same_verified_number_again_sends_nothing(app, logged_in, twilio):
    client, learner = verified_learner(logged_in, twilio)
    response = add_number(client, "+34612345678")
    assert response.status_code == 302 and twilio.requests == 0
    assert phone_row(app, learner.id).verified_at is not None


def test_removing_the_number_stops_texts(app, logged_in, twilio):
    client, learner = verified_learner(logged_in, twilio)
    response = post_form(client, "/account/phone", {}, action="/account/phone/remove")
    assert response.status_code == 302
    with app.app_context():
        assert not channels.adapter("sms").reachable(learner)
    assert "Add your mobile number" in client.get("/account/phone").text


def test_a_learners_code_verifies_only_their_own_number(app, logged_in, twilio):
    ana_client, ana = logged_in()
    ben_client, ben = logged_in()
    add_number(ana_client, ANA_MOBILE)
    add_number(ben_client, OTHER_MOBILE)

    assert enter_code(ben_client, twilio.code_for(ANA_MOBILE_E164)).status_code == 422
    assert phone_row(app, ben.id).verified_at is None and phone_row(app, ana.id).verified_at is None
    ben_page = ben_client.get("/account/phone").text
    assert '<span dir="ltr">+44 7911 123456</span>' in ben_page
    assert '<span dir="ltr">+34 612 34 56 78</span>' not in ben_page


def test_a_boosted_form_gets_the_page_back_with_the_message(logged_in, twilio):
    client, _ = logged_in()
    response = post_form(client, "/account/phone", {"number": "abc"},
                         headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 422 and response.text.startswith("<!doctype html>")
    assert "That is not a phone number we can read." in response.text


def test_a_code_without_a_number_or_a_valid_csrf_token_is_refused_without_a_500(logged_in):
    client, _ = logged_in()
    response = enter_code(client, "123456")
    assert response.status_code == 422 and "Add your number first." in response.text
    assert resend(client).status_code == 422
    response = client.post("/account/phone", data={"number": ANA_MOBILE, "csrf_token": "forged"})
    assert response.status_code == 400 and "This form expired" in response.text


# --- Notifications by text ----------------------------------------------------------------------------------

def test_a_kind_switched_on_for_sms_is_texted_once_in_the_learners_language(app, logged_in, twilio):
    client, learner = verified_learner(logged_in, twilio, locale="es")
    post_form(client, "/account/notifications", {"on": ["promoted:sms"]})

    promote(app, learner.id)
    [text] = twilio.to(ANA_MOBILE_E164)
    assert text == "Puchi: ¡Has subido de liga!\nhttp://localhost/leagues"
    assert sms_delivery(app).status == "sent"
    with app.app_context():  # the job delivered again (a retry, a dead worker) sends nothing more
        channels.deliver({"source": f"league.promoted:{learner.id}:2026-05-04", "channel": "sms"})
    assert len(twilio.to(ANA_MOBILE_E164)) == 1


def test_sms_is_off_until_the_learner_chooses_it(app, logged_in, twilio):
    _, learner = verified_learner(logged_in, twilio)
    promote(app, learner.id)
    assert twilio.requests == 0 and sms_delivery(app) is None


def test_an_unverified_number_receives_no_notifications(app, logged_in, twilio):
    client, learner = logged_in()
    post_form(client, "/account/notifications", {"on": ["promoted:sms"]})
    add_number(client)
    twilio.clear()

    promote(app, learner.id)
    assert twilio.requests == 0 and sms_delivery(app) is None


def test_a_gateway_outage_is_retried_by_the_outbox_and_the_text_arrives_once(app, logged_in, twilio, clock):
    client, learner = verified_learner(logged_in, twilio)
    post_form(client, "/account/notifications", {"on": ["promoted:sms"]})
    twilio.fail_next(500, 20500, "Internal Server Error")

    promote(app, learner.id)
    failed = sms_delivery(app)
    assert (failed.status, failed.attempts) == ("retrying", 1) and "twilio 500" in failed.last_error
    assert twilio.to(ANA_MOBILE_E164) == []

    clock.shift(timedelta(seconds=5))  # past the first retry interval
    with app.app_context():
        assert outbox.relay_due() >= 1
    assert len(twilio.to(ANA_MOBILE_E164)) == 1
    delivered = sms_delivery(app)
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    clock.shift(timedelta(seconds=60))
    with app.app_context():
        outbox.relay_due()
    assert len(twilio.to(ANA_MOBILE_E164)) == 1


def test_throttling_is_retried_too(app, logged_in, twilio):
    client, learner = verified_learner(logged_in, twilio)
    post_form(client, "/account/notifications", {"on": ["promoted:sms"]})
    twilio.fail_next(429, 20429, "Too Many Requests")
    promote(app, learner.id)
    assert sms_delivery(app).status == "retrying"


def test_a_number_twilio_calls_invalid_is_dropped_and_not_retried(app, logged_in, twilio, clock):
    client, learner = verified_learner(logged_in, twilio)
    post_form(client, "/account/notifications", {"on": ["promoted:sms"]})
    twilio.fail_next(400, 21211, "The 'To' number +34612345678 is not a valid phone number.")

    promote(app, learner.id)
    dropped = sms_delivery(app)
    assert dropped.status == "dropped" and "21211" in dropped.last_error
    clock.shift(timedelta(minutes=10))
    with app.app_context():
        assert outbox.relay_due() == 0
    assert twilio.requests == 1


def test_a_learner_who_replied_stop_gets_no_more_texts_until_they_verify_again(app, logged_in, twilio):
    client, learner = verified_learner(logged_in, twilio)
    post_form(client, "/account/notifications", {"on": ["promoted:sms", "demoted:sms"]})
    twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    promote(app, learner.id)
    assert sms_delivery(app).status == "dropped"
    with app.app_context():
        phone = db.session.get(PhoneNumber, learner.id)
        assert phone.verified_at is None  # the number stays on file, to be verified again
    with app.app_context(), action():
        events.record(LeagueDemoted(from_tier=2, to_tier=1, rank=30, week_start=date.fromisoformat("2026-06-01")),
                      actor_id=learner.id, subject=("league_cohort", 1))
    assert twilio.requests == 1  # nothing more was even tried


@pytest.mark.parametrize("app_settings", [{"SMS_GATEWAY": "twilio", "SMS_ACCOUNT_SID": None,
                                           "SMS_AUTH_TOKEN": None, "SMS_FROM": None}])
def test_a_twilio_gateway_without_credentials_fails_loudly(app, logged_in, twilio):
    client, learner = logged_in()
    assert add_number(client).status_code == 302  # the learner's request succeeds; the job fails and retries
    with app.app_context():
        [message] = db.session.scalars(select(outbox.OutboxMessage).where(
            outbox.OutboxMessage.job == "notifications.phone_code"))
        assert message.status == "pending"
        assert "SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM is not set" in message.last_error
    assert twilio.requests == 0


@pytest.mark.parametrize("app_settings", [{"SMS_GATEWAY": "twilio", "SMS_API_BASE": f"http://127.0.0.1:{free_port()}",
                                           "SMS_ACCOUNT_SID": SID, "SMS_AUTH_TOKEN": TOKEN, "SMS_FROM": SENDER}])
def test_an_unreachable_gateway_is_retried(app, logged_in):
    client, learner = logged_in()
    assert add_number(client).status_code == 302
    with app.app_context():
        [message] = db.session.scalars(select(outbox.OutboxMessage).where(
            outbox.OutboxMessage.job == "notifications.phone_code"))
        assert message.status == "pending" and "twilio unreachable" in message.last_error


# --- Development ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("app_settings", [{"SMS_GATEWAY": "console"}])
def test_the_console_gateway_shows_the_code_to_the_developer(app, logged_in, tmp_path, capsys):
    app.config["SMS_DIR"] = str(tmp_path)
    client, learner = logged_in()
    add_number(client)

    saved = (tmp_path / "messages.txt").read_text(encoding="utf-8")
    code = re.search(r"Your Puchi code is (\d{6})", saved).group(1)
    assert f"to {ANA_MOBILE_E164}" in saved
    assert code in capsys.readouterr().out
    assert enter_code(client, code).status_code == 302
