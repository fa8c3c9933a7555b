"""The front door: what Puchi is for a visitor, and the signed-in learner's home, each made of the sections
the domains contribute (core knows none of them by name)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from puchi.core import hooks
from puchi.core.htmx import render_page

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Visitors see what Puchi is; signed-in learners go straight to their home."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    return render_page("pages/landing.html", sections=hooks.sections("landing", None))


@bp.get("/home")
@login_required
def home() -> ResponseReturnValue:
    """The learner's start page; each domain contributes its section (continue learning, goal, streak…)."""
    return render_page("pages/home.html", sections=hooks.sections("home", current_user._get_current_object()))
