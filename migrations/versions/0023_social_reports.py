"""social: learners' reports of a profile or a message, and messages hidden by moderators

Revision ID: 0023_social_reports
Revises: 0022_accounts_suspension
Create Date: 2026-12-07 04:05:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_social_reports'
down_revision = '0022_accounts_suspension'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'social_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reporter_id', sa.Integer(), nullable=False),
        sa.Column('reported_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('content_key', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_social_reports_reporter_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reported_id'], ['users.id'], name=op.f('fk_social_reports_reported_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['direct_messages.id'],
                                name=op.f('fk_social_reports_message_id_direct_messages'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'],
                                name=op.f('fk_social_reports_resolved_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_social_reports')),
    )
    with op.batch_alter_table('social_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_reports_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_social_reports_reported_id'), ['reported_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_social_reports_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_social_reports_resolved_by_id'), ['resolved_by_id'], unique=False)
        batch_op.create_index('ix_social_reports_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('uq_social_reports_open', ['reporter_id', 'content_key'], unique=True,
                              postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    with op.batch_alter_table('direct_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('direct_messages', schema=None) as batch_op:
        batch_op.drop_column('hidden_at')
    op.drop_table('social_reports')
