"""billing ledger: invoices, charges, and what analytics and refunds need on subscriptions

Revision ID: 0014_billing_ledger
Revises: 0013_billing
Create Date: 2026-12-06 23:50:00

One ledger row per Stripe invoice and per charge (refunds, disputes), however often and in whatever order
their events come; subscriptions learn when a refund or dispute ended their perks, and their start, trial,
end and monthly amount for billing analytics.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_billing_ledger'
down_revision = '0013_billing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_invoice_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=False),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('price_id', sa.String(length=255), nullable=True),
    sa.Column('amount_due', sa.Integer(), nullable=False),
    sa.Column('amount_paid', sa.Integer(), nullable=False),
    sa.Column('tax', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hosted_invoice_url', sa.String(length=2000), nullable=True),
    sa.Column('invoice_pdf', sa.String(length=2000), nullable=True),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('action_required_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refunded', sa.Integer(), nullable=False),
    sa.Column('disputed', sa.Boolean(), nullable=False),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_billing_invoices_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_invoices')),
    sa.UniqueConstraint('stripe_invoice_id', name=op.f('uq_billing_invoices_stripe_invoice_id'))
    )
    with op.batch_alter_table('billing_invoices', schema=None) as batch_op:
        for column in ('user_id', 'stripe_customer_id', 'stripe_subscription_id', 'payment_intent_id', 'charge_id',
                       'paid_at', 'first_failed_at'):
            batch_op.create_index(batch_op.f(f'ix_billing_invoices_{column}'), [column], unique=False)

    op.create_table('billing_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_charge_id', sa.String(length=255), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_invoice_id', sa.String(length=255), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('amount_refunded', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('dispute_status', sa.String(length=32), nullable=True),
    sa.Column('dispute_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_charges')),
    sa.UniqueConstraint('stripe_charge_id', name=op.f('uq_billing_charges_stripe_charge_id'))
    )
    with op.batch_alter_table('billing_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_charges_payment_intent_id'), ['payment_intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_charges_stripe_invoice_id'), ['stripe_invoice_id'], unique=False)

    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('access_revoked_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('trial_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('monthly_amount', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_billing_subscriptions_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_subscriptions_ended_at'), ['ended_at'], unique=False)


def downgrade():
    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_subscriptions_ended_at'))
        batch_op.drop_index(batch_op.f('ix_billing_subscriptions_started_at'))
        for column in ('monthly_amount', 'currency', 'ended_at', 'trial_start', 'started_at',
                       'access_revoked_reason', 'access_revoked_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('billing_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_charges_stripe_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_billing_charges_payment_intent_id'))
    op.drop_table('billing_charges')
    with op.batch_alter_table('billing_invoices', schema=None) as batch_op:
        for column in ('first_failed_at', 'paid_at', 'charge_id', 'payment_intent_id', 'stripe_subscription_id',
                       'stripe_customer_id', 'user_id'):
            batch_op.drop_index(batch_op.f(f'ix_billing_invoices_{column}'))
    op.drop_table('billing_invoices')
