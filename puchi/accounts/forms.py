"""Forms of the accounts pages. They carry the CSRF token and the raw fields; the rules live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField


class SignUpForm(FlaskForm):
    email = StringField()
    display_name = StringField()
    password = PasswordField()
    locale = StringField()
    timezone = StringField()
    course_interest = StringField()


class LogInForm(FlaskForm):
    email = StringField()
    password = PasswordField()
    remember = BooleanField()


class ForgotPasswordForm(FlaskForm):
    email = StringField()


class ResetPasswordForm(FlaskForm):
    password = PasswordField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField()
    new_password = PasswordField()


class ChangeEmailForm(FlaskForm):
    new_email = StringField()
    password = PasswordField()


class ProfileForm(FlaskForm):
    display_name = StringField()
    avatar_color = StringField()


class PreferencesForm(FlaskForm):
    locale = StringField()
    timezone = StringField()
    daily_goal = StringField()
    theme = StringField()
    sound_effects = BooleanField()
    desired_retention = StringField()
    relaxed_mode = BooleanField()
    leagues_enabled = BooleanField()


class LinkWithPasswordForm(FlaskForm):
    """Social login: the password of the account a new identity's address belongs to (proof it is yours)."""

    password = PasswordField()
class DeleteAccountForm(FlaskForm):  # puchi/accounts/privacy_views.py
    password = PasswordField()
    confirmation = StringField()
