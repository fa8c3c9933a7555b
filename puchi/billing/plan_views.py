"""The learner's billing pages: the plans, going to Stripe's checkout and portal, and coming back.

Forms that lead to Stripe are posted without HTMX (a real navigation: the answer is a 303 to Stripe's own
site, which a boosted XMLHttpRequest could not follow). A refusal or a Stripe outage shows the plans page
again with the reason, under the refusal's status.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from puchi.billing import checkout, offers, portal, prices, services
from puchi.billing.plan_status import check_checkout_session, plan_status
from puchi.billing.services import Plan
from puchi.core.errors import ServiceError
from puchi.core.htmx import render_page

bp = Blueprint("plans", __name__)
UNPAID = frozenset({"open", "expired"})  # a checkout left before paying: nothing to wait for


def _user() -> Any:
    return current_user._get_current_object()


def _plans_page(status: int = 200, error: ServiceError | None = None) -> ResponseReturnValue:
    user = _user()
    found = prices.prices()
    cards = offers.offers(found, checkout.trial_days_for(user.id, Plan.SUPER_MONTHLY))
    return render_page("billing/plans.html", status=status, offers=cards, error=error,
                       plan=plan_status(user), plan_names=offers.PLAN_NAMES,
                       prices_missing=any(found[plan] is None for plan in Plan if services.price_id(plan)))


@bp.get("/plans")
@login_required
def index() -> ResponseReturnValue:
    """Free, Super and Family side by side, with Stripe's prices in the learner's currency format."""
    checkout.require_billing()
    return _plans_page()


@bp.post("/billing/checkout")
@login_required
def start_checkout() -> ResponseReturnValue:
    """Go to Stripe's checkout for the chosen plan."""
    try:
        url = checkout.start_checkout(_user(), request.form.get("plan", ""))
    except ServiceError as error:
        if error.code == "billing_off":
            raise
        return _plans_page(status=error.status_code, error=error)
    return redirect(url, code=303)


@bp.get("/billing/success")
@login_required
def success() -> ResponseReturnValue:
    """Back from Stripe: grants nothing, shows "confirming…" until Stripe's webhook has made the plan ours."""
    session_status = check_checkout_session(_user(), request.args.get("session_id"))
    return render_page("billing/success.html", plan=plan_status(_user()), plan_names=offers.PLAN_NAMES,
                       unpaid=session_status in UNPAID)


@bp.get("/billing/status")
@login_required
def status() -> ResponseReturnValue:
    """The success page's status, polled by HTMX until the plan is confirmed (then the poll stops)."""
    checkout.require_billing()
    return render_page("billing/success.html", block="plan_status", plan=plan_status(_user()),
                       plan_names=offers.PLAN_NAMES)


@bp.post("/billing/portal")
@login_required
def open_portal() -> ResponseReturnValue:
    """Go to Stripe's customer portal (card, plan switch, cancellation, invoices)."""
    try:
        url = portal.portal_url(_user())
    except ServiceError as error:
        if error.code == "billing_off":
            raise
        return _plans_page(status=error.status_code, error=error)
    return redirect(url, code=303)
