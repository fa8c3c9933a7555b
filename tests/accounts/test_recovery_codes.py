"""Recovery codes: ten single-use codes shown once when the second factor is turned on, stored as digests,
each accepted once, counted on the security page, and replaced as a whole when the learner asks."""

import hashlib

import pytest
from sqlalchemy import select

from puchi.accounts import mfa, recovery
from puchi.accounts.mfa_models import RecoveryCode
from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.errors import Invalid
from tests.accounts.mfa_support import enrol_totp, prove_it_is_me


def test_ten_codes_are_issued_and_only_their_digests_are_kept(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    assert len(enrolled.recovery_codes) == len(set(enrolled.recovery_codes)) == 10
    with app.app_context():
        stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in enrolled.recovery_codes}
    assert not any(code in " ".join(stored) for code in enrolled.recovery_codes)


def test_a_code_is_118_random_bits_grouped_for_reading():
    code = recovery.new_codes()[0]
    assert len(code) == 29 and code.count("-") == 5
    assert recovery.normalize(" " + code.upper() + " ") == code.replace("-", "")


def test_each_code_works_once_and_the_count_goes_down(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    with app.app_context():
        user = db.session.get(User, ana.id)
        assert mfa.verify_code(user, enrolled.recovery_codes[0], purpose="step_up") == "recovery_code"
        with pytest.raises(Invalid):
            mfa.verify_code(user, enrolled.recovery_codes[0], purpose="step_up")
    assert "9 recovery codes left." in client.get("/account/security").text


def test_asking_for_new_codes_retires_every_old_one(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    prove_it_is_me(client, enrolled)  # spends one: 9 left
    assert "9 recovery codes left." in client.get("/account/security").text
    with app.app_context():
        user = db.session.get(User, ana.id)
        fresh = mfa.regenerate_recovery_codes(user)
        with pytest.raises(Invalid):
            mfa.verify_code(user, enrolled.recovery_codes[0], purpose="step_up")
        assert mfa.verify_code(user, fresh[3], purpose="step_up") == "recovery_code"
    assert "9 recovery codes left." in client.get("/account/security").text
