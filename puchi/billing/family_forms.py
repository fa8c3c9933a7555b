"""The family page's forms (fields only: ``billing.family`` checks the values and says what is wrong)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField


class InviteForm(FlaskForm):
    email = StringField()


class ActionForm(FlaskForm):
    """Cancel, remove, leave, join: nothing but the CSRF token."""
