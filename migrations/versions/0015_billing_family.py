"""billing: the Family plan's members and invitations

Revision ID: 0015_billing_family
Revises: 0014_billing_ledger
Create Date: 2026-12-07 00:10:00

A learner is in one family at most (unique member); invitations are emailed links that work once, until
they expire.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_billing_family'
down_revision = '0014_billing_ledger'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_family_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_billing_family_members_member_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_billing_family_members_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_family_members')),
    sa.UniqueConstraint('member_id', name=op.f('uq_billing_family_members_member_id'))
    )
    with op.batch_alter_table('billing_family_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_family_members_owner_id'), ['owner_id'], unique=False)

    op.create_table('billing_family_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('accepted_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by'], ['users.id'], name=op.f('fk_billing_family_invitations_accepted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_billing_family_invitations_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_family_invitations'))
    )
    with op.batch_alter_table('billing_family_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_family_invitations_accepted_by'), ['accepted_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_family_invitations_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_family_invitations_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('billing_family_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_family_invitations_status'))
        batch_op.drop_index(batch_op.f('ix_billing_family_invitations_owner_id'))
        batch_op.drop_index(batch_op.f('ix_billing_family_invitations_accepted_by'))

    op.drop_table('billing_family_invitations')
    with op.batch_alter_table('billing_family_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_family_members_owner_id'))

    op.drop_table('billing_family_members')
