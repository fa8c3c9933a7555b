"""What Puchi's plans cost, as Stripe says: read from Stripe's prices and kept for a while.

The price lives at Stripe (the amount a learner is charged is Stripe's, never a copy of ours), but a page
must not wait on Stripe at every view: each price is kept ``STRIPE_PRICE_CACHE_SECONDS`` (an hour), in Redis
when it is configured (shared by every process) or else in this app's memory. When Stripe cannot answer, the
plans page says prices are unavailable and still renders; a failure is not kept, so the next view asks again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from babel.numbers import get_currency_precision
from flask import Flask, current_app
from redis.exceptions import RedisError

from puchi.billing import services
from puchi.billing.services import Plan
from puchi.billing.stripe_client import client, leave_transaction
from puchi.core.jobs import redis_connection

log = logging.getLogger(__name__)
CACHE_PREFIX = "puchi:billing:price:"
_MEMORY_KEY = "puchi.billing.price_cache"


@dataclass(frozen=True)
class Price:
    """One plan's price: ``amount`` in the currency's main unit (Stripe counts the smallest one), ``interval``
    ``month`` or ``year`` (None for a one-off price)."""

    plan: Plan
    amount: Decimal
    currency: str  # ISO 4217, upper case
    interval: str | None
    interval_count: int = 1


class _MemoryCache:
    """The in-process cache of an app without Redis: price id → (expiry on the monotonic clock, fields)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[float, dict[str, Any]]] = {}


def prices() -> dict[Plan, Price | None]:
    """Every configured plan's price (None: not configured, or Stripe could not say). Once Stripe fails, the
    other plans are not asked for in this call: a slow Stripe costs a page one timeout, not three."""
    found: dict[Plan, Price | None] = {}
    stripe_failed = False
    for plan in Plan:
        price_id = services.price_id(plan)
        fields = _cached(price_id) if price_id else None
        if price_id and fields is None and not stripe_failed:
            fields = _fetch(price_id)
            stripe_failed = fields is None
        found[plan] = _price(plan, fields) if fields else None
    return found


def _price(plan: Plan, fields: dict[str, Any]) -> Price | None:
    amount, currency = fields.get("unit_amount"), fields.get("currency")
    if not isinstance(amount, int) or not isinstance(currency, str):
        return None  # a tiered or custom price: nothing one number can honestly say
    currency = currency.upper()
    recurring = fields.get("recurring") or {}
    return Price(plan=plan, amount=Decimal(amount).scaleb(-get_currency_precision(currency)), currency=currency,
                 interval=recurring.get("interval"), interval_count=int(recurring.get("interval_count") or 1))


def _fetch(price_id: str) -> dict[str, Any] | None:
    """Ask Stripe for the price and keep the fields a page needs; None when Stripe could not answer."""
    leave_transaction()
    try:
        price = client().v1.prices.retrieve(price_id).to_dict()
    except stripe.StripeError as error:
        log.warning("Stripe price %s unavailable: %s", price_id, error)
        return None
    fields = {"unit_amount": price.get("unit_amount"), "currency": price.get("currency"),
              "recurring": price.get("recurring")}
    _keep(price_id, fields)
    return fields


def _ttl() -> int:
    ttl: int = current_app.config["STRIPE_PRICE_CACHE_SECONDS"]
    return ttl


def _cached(price_id: str) -> dict[str, Any] | None:
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            raw = redis_connection(url).get(CACHE_PREFIX + price_id)
        except RedisError:
            return None  # Redis down: ask Stripe, as if nothing were kept
        return json.loads(raw) if raw else None
    cache = _memory()
    with cache.lock:
        entry = cache.entries.get(price_id)
    return entry[1] if entry and entry[0] > time.monotonic() else None


def _keep(price_id: str, fields: dict[str, Any]) -> None:
    if _ttl() <= 0:
        return
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            redis_connection(url).set(CACHE_PREFIX + price_id, json.dumps(fields), ex=_ttl())
        except RedisError:
            log.warning("could not keep Stripe price %s in Redis", price_id)
        return
    cache = _memory()
    with cache.lock:
        cache.entries[price_id] = (time.monotonic() + _ttl(), fields)


def init_app(app: Flask) -> None:
    app.extensions[_MEMORY_KEY] = _MemoryCache()  # each app its own: two apps in one process share nothing


def _memory() -> _MemoryCache:
    cache: _MemoryCache = current_app.extensions[_MEMORY_KEY]
    return cache
