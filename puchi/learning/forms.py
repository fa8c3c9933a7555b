"""The lesson's answer form: the step it answers, the answer, and how long the learner took."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField


class AnswerForm(FlaskForm):
    step = HiddenField()
    answer = StringField()
    duration_ms = HiddenField()
    skip = HiddenField()
