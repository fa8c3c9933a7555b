"""Billing: Puchi's own truthful record of Stripe subscriptions, kept from Stripe's webhooks, and the
entitlements it grants. Other domains use ``billing.services`` and ``billing.events`` only."""
