"""Real-time delivery: HTML fragments pushed to a learner's open tabs over ``/ws``.

The socket is only a nudge; the database stays the source of truth (the page shows the same counts when
loaded). With ``REDIS_URL`` set, fragments travel over Redis pub/sub, so one raised in a worker or in
another web process reaches the process that holds the learner's socket; without Redis they are handed
to the sockets of this process directly. A socket's first message, the catch-up, is sent once this
process is subscribed, so a tab misses nothing raised after it arrives.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import defaultdict
from typing import Any

from flask import Flask, current_app

from puchi.core.jobs import redis_connection

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "puchi:user:"
HEARTBEAT_SECONDS = 25
_TOPICS_KEY = "puchi.socket_topics"


def init_app(app: Flask) -> None:
    app.extensions[_TOPICS_KEY] = set()


def add_topic(app: Flask, topic: str) -> None:
    """Let pages follow ``topic`` beyond the learner's own news (the bell, toasts, messages): each topic is
    sent only to tabs that show it, so a busy league does not talk to every page."""
    app.extensions[_TOPICS_KEY].add(topic)


def topics() -> frozenset[str]:
    return frozenset(current_app.extensions[_TOPICS_KEY])


class LocalSockets:
    """The sockets open in this process, by user, with the topics each tab follows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[int, dict[Any, frozenset[str]]] = defaultdict(dict)

    def add(self, user_id: int, socket: Any, topics: frozenset[str] = frozenset()) -> None:
        with self._lock:
            self._sockets[user_id][socket] = topics

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
# One listener per Redis URL and process; its event is set while its pattern subscription is live.
_listening: dict[str, threading.Event] = {}
_stopping: dict[str, threading.Event] = {}  # set by stop_listeners: the listener of that URL ends
LISTENER_POLL_SECONDS = 1.0  # how long a listener waits for a message before it looks whether to stop
_listener_lock = threading.Lock()
LISTENER_NAME = "puchi-realtime"  # Redis CLIENT LIST shows each process's listener as puchi-realtime-<pid>
SUBSCRIBE_WAIT_SECONDS = 2.0


def publish(user_id: int, html: str, topic: str | None = None) -> None:
    """Send ``html`` (fragments with hx-swap-oob) to every open tab of the learner, in any process
    (given a ``topic``, only to the tabs following it)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        sockets.deliver(user_id, html, topic)
        return
    redis_connection(url).publish(f"{CHANNEL_PREFIX}{user_id}", json.dumps({"html": html, "topic": topic}))


def start_listener(app: Flask, timeout: float = SUBSCRIBE_WAIT_SECONDS) -> bool:
    """Subscribe this process to Redis once, forwarding each message to the local sockets of its user.

    Returns once the subscription is live (True), so whatever is published after the caller's catch-up
    reaches its socket: nothing falls between the catch-up and the subscription. Waits at most ``timeout``
    seconds (False: Redis is unreachable meanwhile; the listener keeps reconnecting).
    """
    url = app.config.get("REDIS_URL")
    if not url:
        return True
    with _listener_lock:
        listening = _listening.get(url)
        if listening is None:
            listening = _listening[url] = threading.Event()
            stopping = _stopping[url] = threading.Event()
            threading.Thread(target=_listen, args=(url, listening, stopping), name="realtime-listener",
                             daemon=True).start()
    if listening.wait(timeout):
        return True
    log.warning("real-time listener is not subscribed after %.1fs; this tab may miss fragments", timeout)
    return False


def stop_listeners(wait: float = 5 * LISTENER_POLL_SECONDS) -> bool:
    """End this process's listeners (before their Redis goes away, as the tests' does: a listener left running
    would only log reconnection attempts), waiting up to ``wait`` seconds for each; True when all have ended.
    A later ``start_listener`` starts afresh."""
    with _listener_lock:
        for stopping in _stopping.values():
            stopping.set()
        _listening.clear()
        _stopping.clear()
    threads = [thread for thread in threading.enumerate() if thread.name == "realtime-listener"]
    for thread in threads:
        thread.join(timeout=wait)
    return not any(thread.is_alive() for thread in threads)


def _listen(url: str, listening: threading.Event, stopping: threading.Event) -> None:
    import os

    from redis import Redis

    backoff = 1.0
    while not stopping.is_set():
        pubsub = Redis.from_url(url, client_name=f"{LISTENER_NAME}-{os.getpid()}").pubsub()
        try:
            pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
            while not stopping.is_set():
                # A message is handed on as soon as it comes; the timeout only bounds how late a stop is seen.
                message = pubsub.get_message(timeout=LISTENER_POLL_SECONDS)
                if message is None:
                    continue
                if message["type"] == "psubscribe":  # Redis confirmed: from now on nothing is missed
                    backoff = 1.0
                    listening.set()
                    continue
                if message["type"] != "pmessage":
                    continue
                channel = message["channel"].decode() if isinstance(message["channel"], bytes) \
                    else message["channel"]
                user_id = int(channel.removeprefix(CHANNEL_PREFIX))
                data = json.loads(message["data"])
                sockets.deliver(user_id, data["html"], data.get("topic"))
            pubsub.close()
        except Exception:
            listening.clear()
            with contextlib.suppress(Exception):
                pubsub.close()
            if stopping.is_set():
                return
            log.warning("real-time listener lost Redis; reconnecting in %.0fs", backoff)
            if stopping.wait(backoff):
                return
            backoff = min(backoff * 2, 30)
