"""The lesson's answer form: the step it answers, the answer, how long the learner took and whether they
opened a hint (set by static/js/lesson.js; absent counts as no)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField


class AnswerForm(FlaskForm):
    step = HiddenField()
    answer = StringField()
    duration_ms = HiddenField()
    skip = HiddenField()
    hinted = HiddenField()
