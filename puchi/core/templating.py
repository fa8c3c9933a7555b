"""What every template can use: the signed-in user's theme, form error helpers, asset URLs."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal
from flask_login import current_user

from puchi.core.forms import form_errors

HTMX_VERSION = "2.0.11"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        form_errors=form_errors,
        htmx_file=f"vendor/htmx-{HTMX_VERSION}.min.js",
        format_datetime=format_datetime,
        format_date=format_date,
        format_decimal=format_decimal,
    )

    @app.context_processor
    def theme_context() -> dict[str, object]:
        theme = current_user.theme if current_user and current_user.is_authenticated else "system"
        return {"theme": theme}
