"""What social adds to other domains' pages (``hooks.add_section``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from puchi.social import services

if TYPE_CHECKING:
    from puchi.accounts.models import User


def account_section(user: User) -> tuple[str, dict[str, Any]] | None:
    """The account page's "Your public profile": the learner's username, who sees their profile, and the way to
    it and to its settings (a guest has no profile yet)."""
    if user.is_guest:
        return None
    profile = services.my_profile(user)
    return "social/_account_section.html", {"username": profile.username, "visibility": profile.visibility}
