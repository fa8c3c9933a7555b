"""learning hints: hint use and FSRS review kind per attempt, per-learner and per-course FSRS weights

Revision ID: 0020_learning_hints
Revises: 0019_accounts_roles
Create Date: 2026-12-07 03:00:00

Issue 13 (scheduling): an attempt records whether a hint was opened (it lowers the rating), whether FSRS
counted it (a new card's first review, a due card's one review of the learner's day, or practice) and the
rating given. FSRS weights fitted to a learner's review log, and to a course's as the prior, are kept apart.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0020_learning_hints'
down_revision = '0019_accounts_roles'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hinted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('review_kind', sa.String(length=8), nullable=False,
                                      server_default='practice'))
        batch_op.add_column(sa.Column('rating', sa.Integer(), nullable=True))

    op.create_table('learner_fsrs_parameters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('weights', JSON, nullable=False),
    sa.Column('review_count', sa.Integer(), nullable=False),
    sa.Column('fitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_learner_fsrs_parameters_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_fsrs_parameters')),
    sa.UniqueConstraint('user_id', name=op.f('uq_learner_fsrs_parameters_user_id'))
    )
    op.create_table('course_fsrs_parameters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('weights', JSON, nullable=False),
    sa.Column('review_count', sa.Integer(), nullable=False),
    sa.Column('fitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_fsrs_parameters_course_id_courses'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_fsrs_parameters')),
    sa.UniqueConstraint('course_id', name=op.f('uq_course_fsrs_parameters_course_id'))
    )


def downgrade():
    op.drop_table('course_fsrs_parameters')
    op.drop_table('learner_fsrs_parameters')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('rating')
        batch_op.drop_column('review_kind')
        batch_op.drop_column('hinted')
