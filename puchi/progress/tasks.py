"""Outbox handlers of the progress domain: the live league table in the tabs that show it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app
from flask_babel import force_locale
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core import realtime
from puchi.core.db import db
from puchi.progress import leagues, services


def push_table(payload: dict[str, Any]) -> None:
    """Send the cohort's new standings to every member's open league page, each in their language with
    their own row marked (the page's ``league_table`` block, swapped out of band)."""
    table = leagues.cohort_table(int(payload["cohort_id"]))
    members = [standing.user_id for standing in table.standings]
    locales = {user_id: locale for user_id, locale in db.session.execute(
        select(User.id, User.locale).where(User.id.in_(members)))}
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        for standing in table.standings:
            with force_locale(locales.get(standing.user_id, "en")):
                html = render_block("progress/leagues.html", "league_table",
                                    table=replace(table, me=standing, tier=standing.tier),
                                    tier_names=services.tier_names(), oob=True)
            realtime.publish(standing.user_id, html, topic="league")
