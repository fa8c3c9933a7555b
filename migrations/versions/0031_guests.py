"""guests: a visitor tries a lesson as a guest account, which becomes theirs at sign-up

Revision ID: 0031_guests
Revises: 0030_hide_profile_undo
Create Date: 2026-12-07 06:40:00

users.is_guest marks an account made for a visitor trying the first lesson (no usable email or password; the
"remove idle guests" chore deletes those never claimed). users.course_interest now holds the slug of the course
chosen at sign-up (was a 2-letter language code): widened on PostgreSQL; SQLite does not enforce lengths (and
users must not be rebuilt in batch mode, its copy would cascade deletes).
"""
import sqlalchemy as sa
from alembic import op

revision = '0031_guests'
down_revision = '0030_hide_profile_undo'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('is_guest', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index('ix_users_is_guest', 'users', ['is_guest'])
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('users', 'course_interest', type_=sa.String(length=80), existing_nullable=True)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE users SET course_interest = left(course_interest, 8)")
        op.alter_column('users', 'course_interest', type_=sa.String(length=8), existing_nullable=True)
    op.drop_index('ix_users_is_guest', table_name='users')
    op.drop_column('users', 'is_guest')
