"""pending email expiry

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_email_expires_at', sa.DateTime(timezone=True), nullable=True))
    # A change asked for before expiry existed has waited long enough: it lapses now.
    op.execute("UPDATE users SET pending_email = NULL")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('pending_email_expires_at')
