"""Chores that run every minute (closing league weeks, daily reminders, weekly reports), and the loop
that runs them with the outbox relay.

Domains register their chores at start-up; the worker runs :func:`relay_and_chores_forever` in a thread. In
the embedded mode (no Redis, no worker) the web process can run the same loop (``PUCHI_INLINE_CHORES=1``,
set by ``scripts/run``), so a laptop sees reminders and league weeks close as production does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from puchi.core import outbox
from puchi.core.db import db, now

log = logging.getLogger(__name__)

Chore = Callable[[datetime], Any]
_KEY = "puchi.chores"


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = {}


def _chores(app: Flask | None = None) -> dict[str, Chore]:
    chores: dict[str, Chore] = (app or current_app).extensions[_KEY]
    return chores


def add(app: Flask, name: str, chore: Chore) -> None:
    """Run ``chore(now)`` every minute; it must be idempotent (it may run twice, or late)."""
    _chores(app)[name] = chore


def names() -> list[str]:
    return list(_chores())


def run_chores(at: datetime) -> dict[str, Any]:
    """Run every chore once; one failing does not stop the others. Returns what each returned (or None)."""
    results: dict[str, Any] = {}
    for name, chore in _chores().items():
        try:
            results[name] = chore(at)
        except Exception:
            db.session.rollback()
            log.exception("chore %r failed; it runs again next time", name)
            results[name] = None
    return results


def relay_and_chores_forever(app: Flask, stopping: threading.Event, relay_every: float, chores_every: float) -> None:
    """Hand over stranded outbox messages every ``relay_every`` seconds and run the chores every
    ``chores_every`` seconds, until ``stopping`` is set."""
    last_chores = 0.0
    while not stopping.wait(relay_every):
        with app.app_context():
            try:
                count = outbox.relay_due()
                if count:
                    log.info("relay handed over %s outbox message(s)", count)
                if time.monotonic() - last_chores >= chores_every:
                    last_chores = time.monotonic()
                    done = {name: result for name, result in run_chores(now()).items() if result}
                    if done:
                        log.info("chores: %s", done)
            except Exception:
                log.exception("relay failed; trying again in %ss", relay_every)
            finally:
                db.session.remove()


class InProcessChores:
    """The loop in a daemon thread of this process (the embedded mode)."""

    def __init__(self, app: Flask) -> None:
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=relay_and_chores_forever, name="puchi-chores", daemon=True,
                                       args=(app, self.stopping, app.config["RELAY_INTERVAL"],
                                             app.config["CHORES_EVERY"]))
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)
