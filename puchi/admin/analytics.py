"""The staff's analytics pages, composed from each domain's figures (each service checks the viewer may see
them): every figure is a table (also offered as CSV) and, where it reads as one, a server-drawn bar chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.admin.figures import Chart
from puchi.core import charts
from puchi.core.periods import Range
from puchi.learning import services as learning
from puchi.notifications import services as notifications
from puchi.progress import services as progress

HARDEST_SHOWN = 50
MIN_ATTEMPTS = 10  # fewer answers than this say too little about an item to rank it


@dataclass(frozen=True)
class Table:
    key: str  # the CSV's name and the element ids' stem
    title: str
    header: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    figures: list[tuple[str, Any]] = field(default_factory=list)  # headline numbers: (label, value)


SECTIONS = {"usage": _l("Usage"), "learning": _l("Learning"), "retention": _l("Retention and streaks"),
            "notifications": _l("Notifications")}


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _series_chart(key: str, title: str, days: Range, values: dict[date, int]) -> Chart:
    return Chart(key, title, charts.bar_chart([(format_date(d, "d MMM"), values.get(d, 0)) for d in days.days()]))


def usage(viewer: User, days: Range) -> Section:
    active = progress.active_learners(viewer, days)
    sign_ups = accounts.sign_ups_per_day(viewer, days)
    lessons = learning.lesson_activity(viewer, days)
    per_day = Table("daily", _("Day by day"), [_("Day"), _("Active learners"), _("Sign-ups"), _("Lessons started"),
                                               _("Lessons completed")],
                    [[d.isoformat(), active.daily.get(d, 0), sign_ups.get(d, 0), lessons.starts.get(d, 0),
                      lessons.completions.get(d, 0)] for d in days.days()])
    total_sign_ups, started, completed = (sum(sign_ups.values()), sum(lessons.starts.values()),
                                          sum(lessons.completions.values()))
    funnel = Table("funnel", _("Funnel"), [_("Stage"), _("Count"), _("Of the stage before")], [
        [_("Sign-ups"), total_sign_ups, "—"],
        [_("Learners who started a lesson"), lessons.learners_started, "—"],
        [_("Learners who completed a lesson"), lessons.learners_completed,
         _percent(lessons.learners_completed, lessons.learners_started)],
        [_("Lessons started"), started, "—"],
        [_("Lessons completed"), completed, _percent(completed, started)],
    ])
    dau = active.daily.get(days.last, 0)
    figures = [(_("Daily active learners (last day)"), dau), (_("Weekly active learners"), active.weekly),
               (_("Monthly active learners"), active.monthly),
               (_("Stickiness (daily ÷ monthly)"), _percent(dau, active.monthly))]
    return Section("usage", [per_day, funnel], [
        _series_chart("dau", _("Daily active learners"), days, active.daily),
        _series_chart("sign-ups", _("Sign-ups"), days, sign_ups),
        _series_chart("starts", _("Lessons started"), days, lessons.starts),
        _series_chart("completions", _("Lessons completed"), days, lessons.completions)], figures)


def learning_figures(viewer: User, days: Range) -> Section:
    skills, items = learning.accuracy(viewer, days)

    def hardest(rows: list[learning.Accuracy]) -> list[learning.Accuracy]:
        ranked = [r for r in rows if r.attempts >= MIN_ATTEMPTS]
        return sorted(ranked, key=lambda r: (r.rate, -r.attempts))[:HARDEST_SHOWN]

    note = _("The hardest first: at most %(count)d rows, each with at least %(attempts)d answers in the range.",
             count=HARDEST_SHOWN, attempts=MIN_ATTEMPTS)
    per_skill = Table("skills", _("Accuracy per skill"), [_("Course"), _("Skill"), _("Answers"), _("Right"),
                                                         _("Accuracy")],
                      [[r.course_title, r.skill_title, r.attempts, r.correct, _percent(r.correct, r.attempts)]
                       for r in hardest(skills)], note)
    per_item = Table("items", _("Accuracy per item"), [_("Course"), _("Skill"), _("Item"), _("Answers"), _("Right"),
                                                       _("Accuracy")],
                     [[r.course_title, r.skill_title, r.text, r.attempts, r.correct, _percent(r.correct, r.attempts)]
                      for r in hardest(items)], note)
    return Section("learning", [per_skill, per_item])


def retention(viewer: User, days: Range) -> Section:
    cohorts = progress.retention_cohorts(viewer, days.last)
    weeks = max((len(c.retained) for c in cohorts), default=0)
    cohort_table = Table("cohorts", _("Week-N retention by sign-up week"),
                         [_("Sign-up week"), _("Learners")] + [_("Week %(n)d", n=n) for n in range(weeks)],
                         [[c.week.isoformat(), c.size] + [_percent(r, c.size) for r in c.retained]
                          + [""] * (weeks - len(c.retained)) for c in cohorts],
                         _("Weeks start on Monday (UTC); week 0 is the week of sign-up."))
    buckets = progress.streak_distribution(viewer)

    def label(low: int, high: int | None) -> str:
        if high is None:
            return _("%(low)d or more days", low=low)
        return str(low) if low == high else f"{low}–{high}"

    streak_table = Table("streaks", _("Current streaks"), [_("Days"), _("Learners")],
                         [[label(low, high), count] for low, high, count in buckets])
    streak_chart = Chart("streaks", _("Current streaks"),
                         charts.bar_chart([(label(low, high), count) for low, high, count in buckets]))
    return Section("retention", [cohort_table, streak_table], [streak_chart])


def notification_figures(viewer: User, days: Range) -> Section:
    rows = notifications.sends_by_channel(viewer, days)
    table = Table("sends", _("Sends by channel and outcome"), [_("Channel"), _("Outcome"), _("Sends")],
                  [[channel, status, count] for channel, status, count in rows])
    per_channel: dict[str, int] = {}
    for channel, _status, count in rows:
        per_channel[channel] = per_channel.get(channel, 0) + count
    chart = Chart("sends", _("Sends by channel"), charts.bar_chart(sorted(per_channel.items())))
    return Section("notifications", [table], [chart])


BUILDERS: dict[str, Callable[[User, Range], Section]] = {
    "usage": usage, "learning": learning_figures, "retention": retention, "notifications": notification_figures}


def section(viewer: User, key: str, days: Range) -> Section:
    """One analytics page's figures. :raises KeyError: no such section. :raises Forbidden:"""
    return BUILDERS[key](viewer, days)
