"""accounts: suspended accounts, and an accent-free search key for finding learners

Revision ID: 0022_accounts_suspension
Revises: 0021_learning_difficulty
Create Date: 2026-12-07 03:40:00

users.suspended_at / suspension_reason: support suspends an account (it cannot log in, its sessions end).
users.search_key: the display name and email, case-folded and without accents ("Zoë" is found as "zoe"),
kept up to date by the model; filled here for the accounts that exist.
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_accounts_suspension'
down_revision = '0021_learning_difficulty'
branch_labels = None
depends_on = None


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('search_key', sa.String(length=320), nullable=False, server_default=''))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_suspended_at'), ['suspended_at'], unique=False)
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String),
                     sa.column('display_name', sa.String), sa.column('search_key', sa.String))
    rows = connection.execute(sa.select(users.c.id, users.c.email, users.c.display_name)).all()
    for row in rows:
        connection.execute(users.update().where(users.c.id == row.id)
                           .values(search_key=_fold(f"{row.display_name} {row.email or ''}")[:320]))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_suspended_at'))
        batch_op.drop_column('search_key')
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')
