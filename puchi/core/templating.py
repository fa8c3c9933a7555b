"""What every template can use: the signed-in user's theme, form error helpers, asset URLs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision
from flask import Flask
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    format_timedelta,
    get_locale,
)
from flask_login import current_user
from markupsafe import Markup

from puchi.core import hooks
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


def money(amount: int, currency: str) -> str:
    """An amount in the currency's minor unit (cents, yen), as the reader's locale writes it: "€8.39",
    "8,39 €", "￥839"."""
    code = (currency or "").upper()
    try:
        digits = get_currency_precision(code)
    except (KeyError, ValueError):
        digits = 2
    return str(format_currency(Decimal(int(amount)).scaleb(-digits), code))


def from_iso(value: Any) -> datetime | None:
    """A datetime written as ISO 8601 text (as event payloads and notification data keep them), or None."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def page_sections(page: str) -> list[tuple[str, dict[str, Any]]]:
    """The sections other domains add to ``page`` for the signed-in learner (``hooks.add_section``): how the
    base template shows, say, billing's banner without knowing billing."""
    user = current_user._get_current_object() if current_user and current_user.is_authenticated else None
    return hooks.sections(page, user) if user is not None else []


def bdi(text: object) -> Markup:
    """Course text (a skill's title) inside an interface sentence, isolated so that it keeps its own direction:
    "¡Hola!" stays "¡Hola!" in an Arabic page (escaped, as any variable)."""
    return Markup("<bdi>{}</bdi>").format(text)


def plural_samples() -> dict[str, int]:
    """One number for each plural category of the current language (CLDR: zero, one, two, few, many,
    other): a template renders ``ngettext(..., n, num="%(num)s")`` for each, as ``data-…-<category>``
    attributes, and a script picks one with ``Intl.PluralRules`` once it knows the count."""
    rule = get_locale().plural_form if get_locale() else Locale("en").plural_form
    samples: dict[str, int] = {}
    for number in range(0, 200):
        samples.setdefault(rule(number), number)
    return samples


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        plural_samples=plural_samples,
        bdi=bdi,
        form_errors=form_errors,
        htmx_file=f"vendor/htmx-{HTMX_VERSION}.min.js",
        format_datetime=format_datetime,
        format_date=format_date,
        format_decimal=format_decimal,
        format_percent=format_percent,
        format_timedelta=format_timedelta,
        format_time=format_time,
        now_utc=now,
        language_name=language_name,
        slot_urls=slot_urls,
        money=money,
        from_iso=from_iso,
        page_sections=page_sections,
    )

    @app.context_processor
    def theme_context() -> dict[str, object]:
        theme = current_user.theme if current_user and current_user.is_authenticated else "system"
        return {"theme": theme}
