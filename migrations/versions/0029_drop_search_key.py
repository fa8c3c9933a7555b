"""accounts: drop users.search_key (the learner search is the full-text one of 0027)

Revision ID: 0029_drop_search_key
Revises: 0028_lesson_days
Create Date: 2026-12-07 06:40:00

The admin's Learners page searched a case-folded copy of name and email with LIKE '%…%'; it now uses the
same indexed, accent-insensitive search as the staff's search box (puchi/accounts/search.py), so the copy
goes. A plain DROP COLUMN on both databases (SQLite ≥ 3.35): users is never recreated, since the tables
that reference it cascade their deletes.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029_drop_search_key'
down_revision = '0028_lesson_days'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column('users', 'search_key')


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def downgrade():
    op.add_column('users', sa.Column('search_key', sa.String(length=320), nullable=False, server_default=''))
    connection = op.get_bind()  # filled again as 0022 did
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String),
                     sa.column('display_name', sa.String), sa.column('search_key', sa.String))
    for row in connection.execute(sa.select(users.c.id, users.c.email, users.c.display_name)).all():
        connection.execute(users.update().where(users.c.id == row.id)
                           .values(search_key=_fold(f"{row.display_name} {row.email or ''}")[:320]))
