"""learning difficulty: the P(correct) model's versions, and each answer's exercise direction

Revision ID: 0021_learning_difficulty
Revises: 0020_learning_hints
Create Date: 2026-12-07 03:00:00

difficulty_models keeps each trained version of the model that aims lessons at a target success rate
(coefficients as JSON, never a pickle); attempts.direction records which way a step was asked (to the
learner's language or to the one learned), a feature of that model.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0021_learning_difficulty'
down_revision = '0020_learning_hints'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=10), nullable=True))

    op.create_table('difficulty_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts_used', sa.Integer(), nullable=False),
    sa.Column('learners_used', sa.Integer(), nullable=False),
    sa.Column('coefficients', JSON, nullable=False),
    sa.Column('item_rates', JSON, nullable=False),
    sa.Column('metrics', JSON, nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_difficulty_models')),
    sa.UniqueConstraint('version', name=op.f('uq_difficulty_models_version'))
    )
    with op.batch_alter_table('difficulty_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_difficulty_models_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('difficulty_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_difficulty_models_status'))
    op.drop_table('difficulty_models')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('direction')
