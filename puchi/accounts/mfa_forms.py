"""Forms of the two-step verification pages (CSRF token and raw fields; the rules live in ``mfa``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField


class SecondStepForm(FlaskForm):
    code = StringField()
    remember_device = BooleanField()


class CodeForm(FlaskForm):
    code = StringField()


class DisableTotpForm(FlaskForm):
    password = PasswordField()
    code = StringField()
