"""Progress's parts of pages other domains own: the home page's goal ring, streak and league."""

from __future__ import annotations

from puchi.accounts.models import User
from puchi.core import charts
from puchi.progress import leagues, rules, services


def home_section(user: User) -> tuple[str, dict[str, object]]:
    overview = services.overview(user)
    return "progress/_home_section.html", {
        "overview": overview, "ring": charts.ring(overview.goal_fraction),
        "league": leagues.table_for(user.id) if user.leagues_enabled else None,
    }


def out_of_hearts_section(user: User) -> tuple[str, dict[str, object]]:
    """The ways back to a lesson when the hearts ran out: refill with gems (price and balance), and the time to
    the next heart (billing adds unlimited hearts with premium, when it is on)."""
    return "progress/_out_of_hearts.html", {"overview": services.overview(user),
                                            "refill_price": rules.SHOP["heart_refill"]}
