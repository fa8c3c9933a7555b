"""This process's real-time listener: it hands each published fragment to the learner's local sockets at once,
and it can be stopped before its Redis goes away (the test harness does), quietly."""

from __future__ import annotations

import logging
import queue

from flask import Flask

from puchi.core import realtime
from tests.conftest import wait_until


class _Tab:
    """A socket as the listener sees one: something to send text to."""

    def __init__(self) -> None:
        self.received: queue.Queue[str] = queue.Queue()

    def send(self, html: str) -> None:
        self.received.put(html)


def _app(redis_url: str) -> Flask:
    app = Flask(__name__)
    app.config["REDIS_URL"] = redis_url
    realtime.init_app(app)
    return app


def _listeners_in_redis(redis_url: str) -> list[dict]:
    from redis import Redis

    return [client for client in Redis.from_url(redis_url).client_list()
            if client["name"].startswith(f"{realtime.LISTENER_NAME}-") and int(client.get("psub", 0)) > 0]


def _delivered(app: Flask, user_id: int, html: str) -> str:
    """Publish ``html`` to ``user_id`` through ``app``'s Redis and return what a tab of theirs here received."""
    tab = _Tab()
    realtime.sockets.add(user_id, tab)
    try:
        assert realtime.start_listener(app, timeout=10)
        with app.app_context():
            realtime.publish(user_id, html)
        return tab.received.get(timeout=10)
    finally:
        realtime.sockets.remove(user_id, tab)


def test_a_published_fragment_reaches_the_learners_tab_through_the_listener(redis_server):
    assert _delivered(_app(redis_server.url), 4242, "<p id='cheer'>Well done</p>") == "<p id='cheer'>Well done</p>"


def test_a_stopped_listener_ends_without_a_word_and_a_new_one_starts_on_demand(redis_server, caplog):
    app = _app(redis_server.url)
    assert realtime.start_listener(app, timeout=10)
    assert wait_until(lambda: _listeners_in_redis(redis_server.url))
    with caplog.at_level(logging.WARNING, logger="puchi.core.realtime"):
        assert realtime.stop_listeners(wait=10 * realtime.LISTENER_POLL_SECONDS)
    assert wait_until(lambda: not _listeners_in_redis(redis_server.url))
    assert [r.getMessage() for r in caplog.records] == []  # no "lost Redis; reconnecting"
    # The next socket that needs it starts a listener again.
    assert realtime.start_listener(app, timeout=10)
    assert wait_until(lambda: _listeners_in_redis(redis_server.url))


def test_after_redis_comes_back_the_listener_subscribes_again_and_fragments_flow():
    from tests.services import RedisServer

    server = RedisServer()  # its own Redis, stopped and started again: the session's stays up
    server.start()
    app = _app(server.url)
    try:
        assert realtime.start_listener(app, timeout=10)
        server.stop()
        server.start()
        # The new Redis sees the listener subscribed again (it retries after 1 s, then 2 s, ...).
        assert wait_until(lambda: _listeners_in_redis(server.url), timeout=30)
        assert _delivered(app, 4343, "<p>back</p>") == "<p>back</p>"
    finally:
        realtime.stop_listeners()
        server.destroy()
