"""Locale and timezone selection for flask-babel: the user's preference, then the browser, then English."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_login import current_user

from puchi.core.extensions import babel

LOCALE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "ja": "日本語", "ar": "العربية"}
RTL_LOCALES = {"ar", "he", "fa", "ur"}
LOCALE_COOKIE = "puchi_locale"


def direction_of(language: str) -> str:
    """"rtl" or "ltr": how text in ``language`` (a tag such as "ar" or "pt-BR") runs."""
    return "rtl" if language.replace("-", "_").split("_")[0].lower() in RTL_LOCALES else "ltr"


def supported_locales() -> list[str]:
    return list(current_app.config["SUPPORTED_LOCALES"])


def select_locale() -> str:
    if not has_request_context():  # a CLI command or a job without force_locale
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.locale in supported_locales():
        return str(current_user.locale)
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in supported_locales():  # a visitor picked a language in the footer
        return str(chosen)
    return request.accept_languages.best_match(supported_locales()) or "en"


def select_timezone() -> str:
    if not has_request_context():
        return "UTC"
    if current_user and current_user.is_authenticated and current_user.timezone:
        return str(current_user.timezone)
    return "UTC"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # A global, not only context: the lesson's macros (imported without context) need it too.
    app.jinja_env.globals["direction_of"] = direction_of  # of a course's languages, for text not in the page's

    @app.context_processor
    def locale_context() -> dict[str, object]:
        from flask_babel import get_locale

        locale = str(get_locale() or "en")
        return {
            "current_locale": locale,
            "text_direction": direction_of(locale),
            "locale_names": {code: LOCALE_NAMES.get(code, code) for code in supported_locales()},
        }
