"""The notification settings' forms (fields only: the services check the values and say what is wrong)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from puchi.notifications.schedule import Schedule


class ScheduleForm(FlaskForm):
    reminders_on = BooleanField()
    reminder_time = StringField()
    quiet_start = StringField()
    quiet_end = StringField()
    weekly_on = BooleanField()
    weekly_day = StringField()

    @classmethod
    def showing(cls, chosen: Schedule) -> ScheduleForm:
        """The form filled with the learner's current choices (times as HH:MM, as <input type=time> wants)."""

        def clock(value) -> str:
            return value.strftime("%H:%M") if value else ""

        return cls(formdata=None, reminders_on=chosen.reminders_on, reminder_time=clock(chosen.reminder_time),
                   quiet_start=clock(chosen.quiet_start), quiet_end=clock(chosen.quiet_end),
                   weekly_on=chosen.weekly_on, weekly_day=str(chosen.weekly_day))


class PhoneForm(FlaskForm):
    number = StringField()


class CodeForm(FlaskForm):
    code = StringField()


class ActionForm(FlaskForm):
    """Resend and remove: nothing but the CSRF token."""
