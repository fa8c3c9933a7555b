"""learning: lesson_learner_days, the per-learner, per-day rollup of lesson sessions for the usage figures

Revision ID: 0028_lesson_days
Revises: 0027_admin_search
Create Date: 2026-12-07 06:30:00

The staff's usage page counted lesson starts, completions and distinct learners by scanning every session of
the range (hundreds of milliseconds at 500 000 sessions). This table holds one row per learner and UTC day with
a session: how many they started that day, how many of those are completed, and the learner's previous day
with a session and with a completed one (so the learners of a range are counted without grouping by learner). The lesson player keeps it in
the transaction that starts or completes a session (puchi/learning/lessons.py); here it is filled from the
sessions so far. The index on (started_at, user_id, completed_at) that the old queries read goes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_lesson_days'
down_revision = '0027_admin_search'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lesson_learner_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('started', sa.Integer(), nullable=False),
        sa.Column('completed', sa.Integer(), nullable=False),
        sa.Column('previous_day', sa.Date(), nullable=True),
        sa.Column('previous_completed_day', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lesson_learner_days_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'user_id', name=op.f('pk_lesson_learner_days')),
    )
    op.create_index('ix_lesson_learner_days_user_day', 'lesson_learner_days', ['user_id', 'day'], unique=False)
    day = ("(started_at AT TIME ZONE 'UTC')::date" if op.get_bind().dialect.name == 'postgresql'
           else "date(started_at)")
    op.execute(f"""
        INSERT INTO lesson_learner_days (day, user_id, started, completed, previous_day, previous_completed_day)
        SELECT day, user_id, started, completed,
               lag(day) OVER (PARTITION BY user_id ORDER BY day),
               max(CASE WHEN completed > 0 THEN day END) OVER (
                   PARTITION BY user_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        FROM (SELECT {day} AS day, user_id, count(*) AS started, count(completed_at) AS completed
              FROM lesson_sessions GROUP BY {day}, user_id) AS per_day""")
    op.drop_index('ix_lesson_sessions_started', table_name='lesson_sessions')


def downgrade():
    op.create_index('ix_lesson_sessions_started', 'lesson_sessions', ['started_at', 'user_id', 'completed_at'],
                    unique=False)
    op.drop_index('ix_lesson_learner_days_user_day', table_name='lesson_learner_days')
    op.drop_table('lesson_learner_days')
