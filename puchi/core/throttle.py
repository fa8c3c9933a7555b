"""Counters of things that must not happen too often, such as failed log-ins for one account.

They live in the rate limiter's storage (``RATELIMIT_STORAGE_URI``): Redis when ``REDIS_URL`` is set, so
every web process and worker counts together; otherwise this process's memory, so each gunicorn worker
keeps its own counts. A storage outage must not lock anyone out: counting falls back to memory meanwhile.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from limits.util import WindowStats

log = logging.getLogger(__name__)
T = TypeVar("T")


class Throttle:
    def __init__(self, storage_uri: str) -> None:
        self._shared = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._local = MovingWindowRateLimiter(MemoryStorage())

    def _run(self, call: Callable[[MovingWindowRateLimiter], T]) -> T:
        try:
            return call(self._shared)
        except Exception:  # any storage failure: count locally rather than fail the request
            log.warning("rate limit storage unavailable; counting in this process", exc_info=True)
            return call(self._local)

    def retry_after(self, limits: list[RateLimitItem], key: str) -> int:
        """Seconds until ``key`` may happen again under every one of ``limits`` (0: now)."""
        wait = 0.0
        for item in limits:
            if not self._test(item, key):
                wait = max(wait, self._window(item, key).reset_time - time.time())
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def hit(self, limits: list[RateLimitItem], key: str) -> None:
        for item in limits:
            self._hit(item, key)

    def clear(self, limits: list[RateLimitItem], key: str) -> None:
        for item in limits:
            self._clear(item, key)

    # One limit each: the limit is a parameter, so no lambda closes over a loop variable.
    def _test(self, item: RateLimitItem, key: str) -> bool:
        return self._run(lambda limiter: limiter.test(item, key))

    def _window(self, item: RateLimitItem, key: str) -> WindowStats:
        return self._run(lambda limiter: limiter.get_window_stats(item, key))

    def _hit(self, item: RateLimitItem, key: str) -> None:
        self._run(lambda limiter: limiter.hit(item, key))

    def _clear(self, item: RateLimitItem, key: str) -> None:
        self._run(lambda limiter: limiter.clear(item, key))


def init_app(app: Flask) -> None:
    app.extensions["puchi_throttle"] = Throttle(app.config["RATELIMIT_STORAGE_URI"])


def _throttle() -> Throttle:
    return current_app.extensions["puchi_throttle"]


def _limits(setting: str) -> list[RateLimitItem]:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return []
    return parse_many(current_app.config[setting])


def retry_after(setting: str, key: str) -> int:
    """Seconds before ``key`` may happen again under the limits named by config ``setting``; 0 if now."""
    return _throttle().retry_after(_limits(setting), f"{setting}:{key}")


def hit(setting: str, key: str) -> None:
    """Count one occurrence of ``key`` against the limits named by ``setting``."""
    _throttle().hit(_limits(setting), f"{setting}:{key}")


def clear(setting: str, key: str) -> None:
    """Forget every occurrence of ``key`` (a success that proves the right person is back)."""
    _throttle().clear(_limits(setting), f"{setting}:{key}")

