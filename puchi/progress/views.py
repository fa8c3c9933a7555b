"""Progress pages: the home panel, the lesson reward, leagues, statistics and the shop."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.core import charts
from puchi.core.errors import Conflict, Invalid, PaymentRequired
from puchi.core.htmx import render_page
from puchi.core.redirects import safe_next
from puchi.progress import achievements, leagues, rules, services, statistics

bp = Blueprint("progress", __name__)

SHOP_ALREADY_FULL = {"hearts_full", "freezes_full"}  # refusals the shop shows as information, not errors


def _user():
    return current_user._get_current_object()


class _Lazy:
    """Computed on first use: an HTMX fragment that never shows the header never pays its queries."""

    def __init__(self, compute) -> None:
        self._compute = compute
        self._value = None

    def __getattr__(self, name: str):
        if self._value is None:
            self._value = self._compute()
        return getattr(self._value, name)


@bp.app_context_processor
def stats_bar() -> dict[str, object]:
    """The streak, gems and hearts in the header of every signed-in page."""
    if not (current_user and current_user.is_authenticated):
        return {}
    user = _user()
    return {"progress_overview": _Lazy(lambda: services.overview(user))}


@bp.get("/progress/lesson-reward/<int:session_id>")
@login_required
def lesson_reward(session_id: int) -> ResponseReturnValue:
    """What a finished lesson earned, swapped into its completion screen."""
    reward = services.lesson_reward(_user(), session_id)
    overview = services.overview(_user())
    return render_page("progress/lesson_reward.html", reward=reward, overview=overview,
                       ring=charts.ring(overview.goal_fraction),
                       league=leagues.table_for(_user().id) if _user().leagues_enabled else None,
                       definitions=achievements.BY_CODE)


@bp.get("/leagues")
@login_required
def league() -> ResponseReturnValue:
    return render_page("progress/leagues.html", "league_table", table=leagues.table_for(_user().id),
                       tier_names=services.tier_names(), realtime_watch="league")


@bp.get("/progress")
@login_required
def stats() -> ResponseReturnValue:
    user = _user()
    data = statistics.statistics_for(user)
    month = data.today.replace(day=1)
    heatmap = charts.heatmap(data.daily_xp, data.today)
    return render_page(
        "progress/stats.html", stats=data, overview=services.overview(user),
        bars_7=charts.bar_chart([(format_date(day, "EEE"), xp) for day, xp in data.last_days(7)]),
        bars_30=charts.bar_chart([(day.isoformat(), xp) for day, xp in data.last_days(30)]),
        heatmap=heatmap, heatmap_months=charts.month_starts(heatmap), calendar=services.streak_calendar(user, month),
        month=month, achievements=services.achievement_levels(user), definitions=achievements.DEFINITIONS,
    )


@bp.get("/achievements")
@login_required
def achievements_page() -> ResponseReturnValue:
    return render_page("progress/achievements.html", rows=services.achievement_progress(_user()))


@bp.app_template_global()
def achievement_name(code: str) -> str:
    """An achievement's name in the reader's language (the notification centre names what was unlocked)."""
    found = achievements.BY_CODE.get(code)
    return str(found.title) if found else ""


@bp.route("/shop", methods=["GET", "POST"])
@login_required
def shop() -> ResponseReturnValue:
    if request.method == "POST":
        item = request.form.get("item", "")
        try:
            services.buy(_user(), item)
        except (Conflict, Invalid, PaymentRequired) as error:
            # Already full is news, not a mistake; the service's message says which item and why.
            flash(str(error.message), "info" if error.code in SHOP_ALREADY_FULL else "error")
        else:
            flash(_("Bought! Enjoy."), "success")
        # A refill bought from a lesson's out-of-hearts sheet goes straight back to the lesson.
        return redirect(safe_next(request.form.get("next"), url_for("progress.shop")))
    return render_page("progress/shop.html", overview=services.overview(_user()), prices=rules.SHOP,
                       history=services.gem_history(_user()))


def calendar_weeks(month: date) -> list[list[date | None]]:
    import calendar

    return [[day if day.month == month.month else None for day in week]
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)]


@bp.app_template_global()
def month_weeks(month: date) -> list[list[date | None]]:
    return calendar_weeks(month)


@bp.app_template_global()
def weekday_names() -> list[tuple[str, str]]:
    """The calendar's column heads, Monday first as its weeks are: (narrow, wide) names in the current locale."""
    from babel.dates import get_day_names
    from flask_babel import get_locale

    locale = get_locale() or "en"
    narrow, wide = get_day_names("narrow", locale=locale), get_day_names("wide", locale=locale)
    return [(narrow[day], wide[day]) for day in range(7)]  # babel numbers Monday 0
