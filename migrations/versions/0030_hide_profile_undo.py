"""moderation hides reported profiles; the content studio keeps each draft's recent edits for undo

Revision ID: 0030_hide_profile_undo
Revises: 0029_drop_search_key
Create Date: 2026-12-07 06:30:00

users.profile_hidden_at: set when a moderator hides a reported profile (others see a neutral name), cleared when
the owner changes their name or username, or support shows it again. Added in place (no batch copy of users).

course_draft_revisions: the last edits of a draft (bounded), each with the document as it was before the edit,
its editor, time and a one-line summary; undo and restore read them. Deleted with their draft.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0030_hide_profile_undo'
down_revision = '0029_drop_search_key'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('profile_hidden_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'course_draft_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                  nullable=False),
        sa.Column('change', sa.String(length=40), nullable=False),
        sa.Column('summary', sa.String(length=200), nullable=False),
        sa.Column('editor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['course_drafts.id'],
                                name=op.f('fk_course_draft_revisions_draft_id_course_drafts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_course_draft_revisions_editor_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_draft_revisions')),
    )
    with op.batch_alter_table('course_draft_revisions') as batch_op:
        batch_op.create_index(batch_op.f('ix_course_draft_revisions_draft_id'), ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_draft_revisions_editor_id'), ['editor_id'], unique=False)


def downgrade():
    op.drop_table('course_draft_revisions')
    op.drop_column('users', 'profile_hidden_at')
