"""accounts: identities at OpenID Connect providers (social login)

Revision ID: 0017_accounts_identities
Revises: 0016_mfa
Create Date: 2026-12-07 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_accounts_identities'
down_revision = '0016_mfa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_verified', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_accounts_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts_identities')),
    sa.UniqueConstraint('provider', 'subject', name=op.f('uq_accounts_identities_provider'))
    )
    with op.batch_alter_table('accounts_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('accounts_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_identities_user_id'))
    op.drop_table('accounts_identities')
