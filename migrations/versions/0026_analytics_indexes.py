"""analytics: indexes that keep the staff's figures bounded (per-day counts read from indexes)

Revision ID: 0026_analytics_indexes
Revises: 0025_course_drafts
Create Date: 2026-12-07 04:00:00

Sign-ups, lesson starts and completions, attempts (accuracy per item), daily activity (active learners),
progress profiles (retention cohorts) and deliveries (sends per channel), each by time.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_analytics_indexes'
down_revision = '0025_course_drafts'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_users_created_at', 'users', ['created_at']),
    ('ix_progress_profiles_created_at', 'progress_profiles', ['created_at']),
    ('ix_daily_activity_date_user', 'daily_activity', ['local_date', 'user_id']),
    ('ix_deliveries_created_at', 'deliveries', ['created_at']),
    ('ix_lesson_sessions_started', 'lesson_sessions', ['started_at', 'user_id', 'completed_at']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    # Answers per item and day, kept with each attempt; filled here from the attempts so far.
    op.create_table(
        'item_day_stats',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('correct', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_day_stats_item_id_items'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'item_id', name=op.f('pk_item_day_stats')),
    )
    op.create_index(op.f('ix_item_day_stats_item_id'), 'item_day_stats', ['item_id'], unique=False)
    day = ("(created_at AT TIME ZONE 'UTC')::date" if op.get_bind().dialect.name == 'postgresql'
           else "date(created_at)")
    op.execute(f"""
        INSERT INTO item_day_stats (day, item_id, attempts, correct)
        SELECT {day}, item_id, count(*), sum(CASE WHEN verdict IN ('correct', 'almost') THEN 1 ELSE 0 END)
        FROM attempts WHERE item_id IS NOT NULL GROUP BY {day}, item_id""")


def downgrade():
    op.drop_index(op.f('ix_item_day_stats_item_id'), table_name='item_day_stats')
    op.drop_table('item_day_stats')
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
