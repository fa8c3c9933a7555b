"""Real-time delivery: HTML fragments pushed to a learner's open tabs over ``/ws``.

The socket is only a nudge; the database stays the source of truth (the page shows the same counts when
loaded). With ``REDIS_URL`` set, fragments travel over Redis pub/sub, so one raised in a worker or in
another web process reaches the process that holds the learner's socket; without Redis they are handed
to the sockets of this process directly.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "puchi:user:"
HEARTBEAT_SECONDS = 25
# What a page can ask to follow beyond the learner's own news (the bell, toasts, messages): each topic
# is sent only to tabs that show it, so a busy league does not talk to every page.
TOPICS = frozenset({"league"})


class LocalSockets:
    """The sockets open in this process, by user, with the topics each tab follows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[int, dict[Any, frozenset[str]]] = defaultdict(dict)

    def add(self, user_id: int, socket: Any, topics: frozenset[str] = frozenset()) -> None:
        with self._lock:
            self._sockets[user_id][socket] = topics & TOPICS

    def remove(self, user_id: int, socket: Any) -> None:
        with self._lock:
            self._sockets[user_id].pop(socket, None)
            if not self._sockets[user_id]:
                del self._sockets[user_id]

    def deliver(self, user_id: int, html: str, topic: str | None = None) -> int:
        with self._lock:
            sockets = [socket for socket, topics in self._sockets.get(user_id, {}).items()
                       if topic is None or topic in topics]
        sent = 0
        for socket in sockets:
            try:
                socket.send(html)
                sent += 1
            except Exception:  # a tab that went away: its handler removes it
                log.debug("socket of user %s closed", user_id)
        return sent

    def count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._sockets.values())


sockets = LocalSockets()
_listener_started: set[str] = set()
_listener_lock = threading.Lock()


def publish(user_id: int, html: str, topic: str | None = None) -> None:
    """Send ``html`` (fragments with hx-swap-oob) to every open tab of the learner, in any process
    (given a ``topic``, only to the tabs following it)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        sockets.deliver(user_id, html, topic)
        return
    from puchi.core.jobs import redis_connection

    redis_connection(url).publish(f"{CHANNEL_PREFIX}{user_id}", json.dumps({"html": html, "topic": topic}))


def start_listener(app: Flask) -> None:
    """Subscribe this process to Redis once, forwarding each message to the local sockets of its user."""
    url = app.config.get("REDIS_URL")
    if not url:
        return
    with _listener_lock:
        if url in _listener_started:
            return
        _listener_started.add(url)

    def listen() -> None:
        import time

        from redis import Redis

        backoff = 1.0
        while True:
            try:
                pubsub = Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                backoff = 1.0
                for message in pubsub.listen():
                    channel = message["channel"].decode() if isinstance(message["channel"], bytes) \
                        else message["channel"]
                    user_id = int(channel.removeprefix(CHANNEL_PREFIX))
                    data = json.loads(message["data"])
                    sockets.deliver(user_id, data["html"], data.get("topic"))
            except Exception:
                log.warning("real-time listener lost Redis; reconnecting in %.0fs", backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30)

    threading.Thread(target=listen, name="realtime-listener", daemon=True).start()
