"""profiles for every account

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:10:00.000000

Pages no longer make a learner's progress row or username on first view (a GET never writes): new
accounts get both when they are created, and this gives older accounts theirs.
"""
import re
import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _base_username(display_name: str, email: str) -> str:
    # The same rule as puchi.social.services._base_username at the time of writing (copied: a migration
    # must not change when the app does).
    ascii_name = unicodedata.normalize("NFKD", display_name or "").encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9_]+", "", ascii_name.lower().replace(" ", "_"))[:20]
    if len(base) < 3:
        base = re.sub(r"[^a-z0-9]+", "", (email or "").split("@")[0].lower())[:20] or "learner"
    return base.ljust(3, "0")


def upgrade():
    bind = op.get_bind()
    current = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        current = current.replace(tzinfo=None)
    bind.execute(sa.text(
        "INSERT INTO progress_profiles (user_id, total_xp, lessons_completed, perfect_lessons, current_streak, "
        "longest_streak, streak_freezes, hearts, hearts_updated_at, gems, league_tier, created_at) "
        "SELECT id, 0, 0, 0, 0, 0, 0, 5, :now, 0, 1, :now FROM users "
        "WHERE id NOT IN (SELECT user_id FROM progress_profiles)"), {"now": current})
    missing = bind.execute(sa.text(
        "SELECT id, display_name, email FROM users WHERE id NOT IN (SELECT user_id FROM social_profiles) "
        "ORDER BY id")).all()
    if not missing:
        return
    taken = set(bind.execute(sa.text("SELECT username FROM social_profiles")).scalars())
    for user_id, display_name, email in missing:
        base = _base_username(display_name, email)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}{n}"
        taken.add(candidate)
        bind.execute(sa.text("INSERT INTO social_profiles (user_id, username, visibility, created_at) "
                             "VALUES (:id, :username, 'public', :now)"),
                     {"id": user_id, "username": candidate, "now": current})


def downgrade():
    pass  # the rows are valid under the previous revision too
