"""practice mode: a practice session remembers which practice it is (due, mistakes, hardest)

Revision ID: 0032_practice_mode
Revises: 0031_guests
Create Date: 2026-12-08 01:20:00

lesson_sessions.practice_mode holds the mode a practice session was built for, so asking for another mode while
one is in progress starts that one instead of resuming the other. NULL for lessons and test-outs, and for
practices started before it was kept (they were all of due reviews).
"""
import sqlalchemy as sa
from alembic import op

revision = '0032_practice_mode'
down_revision = '0031_guests'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('lesson_sessions', sa.Column('practice_mode', sa.String(length=12), nullable=True))


def downgrade():
    # Not in batch mode on SQLite: its copy of the table would cascade deletes to the sessions' attempts.
    op.execute("ALTER TABLE lesson_sessions DROP COLUMN practice_mode")
