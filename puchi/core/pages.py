"""The front door: what Puchi is for a visitor, and the signed-in learner's home."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from puchi.core import hooks
from puchi.core.htmx import render_page
from puchi.core.redirects import safe_next

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Visitors see what Puchi is; signed-in learners go straight to their home."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    from puchi.accounts.validation import COURSE_LANGUAGES

    return render_page("pages/landing.html", course_languages=COURSE_LANGUAGES)


@bp.post("/language")
def choose_language() -> ResponseReturnValue:
    """The footer's language switcher: a signed-in learner's preference, a visitor's cookie."""
    from puchi.accounts import services as accounts
    from puchi.core.i18n import LOCALE_COOKIE, supported_locales

    locale = request.form.get("locale", "")
    response = redirect(safe_next(request.form.get("next"), url_for("pages.index")))
    if locale in supported_locales():
        if current_user.is_authenticated:
            accounts.set_locale(current_user._get_current_object(), locale)
        response.set_cookie(LOCALE_COOKIE, locale, max_age=60 * 60 * 24 * 365, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.get("/home")
@login_required
def home() -> ResponseReturnValue:
    """The learner's start page; each domain contributes its section (continue learning, goal, streak…)."""
    return render_page("pages/home.html", sections=hooks.sections("home", current_user._get_current_object()))
