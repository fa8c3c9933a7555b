"""The staff's one search box: content (courses, skills, words and phrases) for those who edit it, learners
for those who look after them; each domain's service checks its own capability."""

from __future__ import annotations

from dataclasses import dataclass

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.learning import services as learning

MAX_QUERY = 200
MAX_LEARNERS = 30


@dataclass(frozen=True)
class Results:
    query: str
    content: list[learning.ContentHit] | None  # None: the viewer may not search content
    learners: list[User] | None  # None: the viewer may not search learners


def search(viewer: User, query: str) -> Results:
    """Whatever the viewer's role lets them find. :raises Forbidden: a role with neither capability."""
    capabilities = accounts.capabilities_of(viewer)
    may_content = accounts.Capability.CONTENT in capabilities
    may_learners = accounts.Capability.LEARNERS in capabilities
    if not (may_content or may_learners):
        accounts.require_capability(viewer, accounts.Capability.CONTENT)  # refuses
    query = query.strip()[:MAX_QUERY]
    content = (learning.search_content(viewer, query) if query else []) if may_content else None
    learners = ((accounts.search_learners(viewer, query, per_page=MAX_LEARNERS).users if query else [])
                if may_learners else None)
    return Results(query, content, learners)
