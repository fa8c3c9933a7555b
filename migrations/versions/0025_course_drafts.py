"""learning: course drafts edited in the content studio

Revision ID: 0025_course_drafts
Revises: 0024_learning_media
Create Date: 2026-12-07 03:40:00

One draft per course: the course as a document (the course format's model, as JSON), the published
version it was started from, and who changed it last. Learners keep seeing the published rows.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0025_course_drafts'
down_revision = '0024_learning_media'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'course_drafts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                  nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_drafts_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_course_drafts_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_drafts')),
        sa.UniqueConstraint('course_id', name=op.f('uq_course_drafts_course_id')),
    )


def downgrade():
    op.drop_table('course_drafts')
