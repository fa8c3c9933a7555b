"""learning: an optional picture and recording for each item, by storage key

Revision ID: 0024_learning_media
Revises: 0023_social_reports
Create Date: 2026-12-07 04:00:00

items.image_key and items.audio_key name files in the media storage (puchi.core.storage).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_learning_media'
down_revision = '0023_social_reports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_key', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('audio_key', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('audio_key')
        batch_op.drop_column('image_key')
