"""accounts: roles (learner, editor, support, admin) instead of an admin flag

Revision ID: 0019_accounts_roles
Revises: 0018_privacy
Create Date: 2026-12-07 03:10:00

users.role replaces users.is_admin: admins keep the admin role, everyone else is a learner.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_accounts_roles'
down_revision = '0018_privacy'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=False, server_default='learner'))
    op.execute("UPDATE users SET role = 'admin' WHERE is_admin")
    op.create_index('ix_users_role', 'users', ['role'], unique=False)
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it): batch mode would copy the table and drop the
    # old one, and on SQLite that drop would cascade to every row that references an account.
    op.drop_column('users', 'is_admin')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE users SET is_admin = (role = 'admin')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))
        batch_op.drop_column('role')
