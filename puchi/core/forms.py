"""Glue between service errors and WTForms: messages land next to the field they concern."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm

from puchi.core.csrf import rerenders_on_csrf_error
from puchi.core.errors import ServiceError

__all__ = ["apply_errors", "form_errors", "rerenders_on_csrf_error"]


def apply_errors(form: FlaskForm, error: ServiceError) -> None:
    """Attach each service message to its field; messages for unknown fields go to the form as a whole."""
    form_errors: list[str] = list(getattr(form, "form_errors", []))
    for name, messages in error.fields.items():
        field = form._fields.get(name)
        if field is None or name == "form":
            form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages] if isinstance(field.errors, list) else list(messages)
    form.form_errors = form_errors


def form_errors(form: FlaskForm) -> list[str]:
    """Messages about the form as a whole, including an expired or forged CSRF token."""
    messages = list(getattr(form, "form_errors", []))
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        messages.insert(0, _("This form expired or was sent from another site. Please check it and send it "
                             "again."))
    return messages
