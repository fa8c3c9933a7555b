"""billing: Stripe events, customers and subscriptions

Revision ID: 0013_billing
Revises: 0012_cheers_nudges
Create Date: 2026-12-06 21:50:00

Billing's own record, kept from Stripe's webhooks: every event once (unique Stripe id), which Stripe customer
is which learner, and each subscription's newest state.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0013_billing'
down_revision = '0012_cheers_nudges'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_stripe_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_stripe_events')),
    sa.UniqueConstraint('stripe_id', name=op.f('uq_billing_stripe_events_stripe_id'))
    )
    op.create_table('billing_customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_billing_customers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_customers')),
    sa.UniqueConstraint('stripe_customer_id', name=op.f('uq_billing_customers_stripe_customer_id'))
    )
    with op.batch_alter_table('billing_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_customers_user_id'), ['user_id'], unique=False)

    op.create_table('billing_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('price_id', sa.String(length=255), nullable=True),
    sa.Column('plan', sa.String(length=32), nullable=True),
    sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('trial_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('past_due_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_billing_subscriptions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_subscriptions')),
    sa.UniqueConstraint('stripe_subscription_id', name=op.f('uq_billing_subscriptions_stripe_subscription_id'))
    )
    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_subscriptions_stripe_customer_id'), ['stripe_customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_subscriptions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_subscriptions_user_id'))
        batch_op.drop_index(batch_op.f('ix_billing_subscriptions_stripe_customer_id'))

    op.drop_table('billing_subscriptions')
    with op.batch_alter_table('billing_customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_customers_user_id'))

    op.drop_table('billing_customers')
    op.drop_table('billing_stripe_events')
