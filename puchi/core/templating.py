"""What every template can use: the signed-in user's theme, form error helpers, asset URLs."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_percent, format_timedelta, get_locale
from flask_login import current_user

from puchi.core.db import now
from puchi.core.forms import form_errors
from puchi.core.hooks import slot_urls

HTMX_VERSION = "2.0.11"


def language_name(code: str, fallback: str = "") -> str:
    """A language's name in the reader's own language ("Spanish", "español", "スペイン語")."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(str(get_locale() or "en"))
    except (UnknownLocaleError, ValueError):
        name = None
    return name or fallback or code


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        form_errors=form_errors,
        htmx_file=f"vendor/htmx-{HTMX_VERSION}.min.js",
        format_datetime=format_datetime,
        format_date=format_date,
        format_decimal=format_decimal,
        format_percent=format_percent,
        format_timedelta=format_timedelta,
        now_utc=now,
        language_name=language_name,
        slot_urls=slot_urls,
    )

    @app.context_processor
    def theme_context() -> dict[str, object]:
        theme = current_user.theme if current_user and current_user.is_authenticated else "system"
        return {"theme": theme}
