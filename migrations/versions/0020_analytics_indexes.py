"""analytics: indexes that keep the staff's figures bounded (per-day counts read from indexes)

Revision ID: 0020_analytics_indexes
Revises: 0019_accounts_roles
Create Date: 2026-12-07 04:00:00

Sign-ups, lesson starts and completions, attempts (accuracy per item), daily activity (active learners),
progress profiles (retention cohorts) and deliveries (sends per channel), each by time.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020_analytics_indexes'
down_revision = '0019_accounts_roles'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_users_created_at', 'users', ['created_at']),
    ('ix_progress_profiles_created_at', 'progress_profiles', ['created_at']),
    ('ix_daily_activity_date_user', 'daily_activity', ['local_date', 'user_id']),
    ('ix_deliveries_created_at', 'deliveries', ['created_at']),
    ('ix_lesson_sessions_started', 'lesson_sessions', ['started_at', 'user_id']),
    ('ix_lesson_sessions_completed', 'lesson_sessions', ['completed_at', 'user_id']),
    ('ix_attempts_created_item_verdict', 'attempts', ['created_at', 'item_id', 'verdict']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
