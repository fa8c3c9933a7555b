"""Billing's addresses: Stripe's webhook endpoint (phase 1 has no pages of its own yet)."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from puchi.billing import webhooks
from puchi.core.csrf import csrf_exempt
from puchi.core.inputs import accepts_json

bp = Blueprint("billing", __name__)


@bp.post("/billing/stripe/webhook")
@csrf_exempt  # Stripe posts without a session; its signature over the raw body is the proof
@accepts_json
def stripe_webhook() -> ResponseReturnValue:
    webhooks.receive(request.get_data(), request.headers.get("Stripe-Signature"))
    return "", 200
