"""The /ws loop: a tab that closes its socket ends it quietly; any other failure is logged, never swallowed.

The loop is driven with a stand-in for simple_websocket's server object (the library's, not ours), so the
failure happens exactly where the test says, in this thread, and the app's own logger is read directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from simple_websocket import ConnectionClosed

from puchi.core import realtime
from puchi.notifications.views import stay_connected


class Socket:
    """What the loop uses of simple_websocket.Server: send, receive (here it fails as told) and close."""

    def __init__(self, failure: BaseException) -> None:
        self.failure = failure
        self.sent: list[str] = []
        self.closed: tuple[Any, Any] | None = None

    def send(self, data: str) -> None:
        self.sent.append(data)

    def receive(self, timeout: float | None = None) -> str:
        raise self.failure

    def close(self, reason: Any = None, message: Any = None) -> None:
        self.closed = (reason, message)


@contextmanager
def app_log(app: Any) -> Iterator[list[logging.LogRecord]]:
    """Every record the app's logger emits while open (a handler on app.logger itself: no propagation needed)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    app.logger.addHandler(handler)
    try:
        yield records
    finally:
        app.logger.removeHandler(handler)


def run_loop(app: Any, user: Any, socket: Socket) -> list[logging.LogRecord]:
    with app_log(app) as records, app.test_request_context("/ws"):
        stay_connected(socket, user)
    return records


def test_a_tab_that_closes_its_socket_ends_the_loop_quietly(app, make_user):
    learner = make_user()
    socket = Socket(ConnectionClosed())

    open_elsewhere = realtime.sockets.count()  # a live server of another test may hold one

    records = run_loop(app, learner, socket)

    assert 'id="bell_count"' in socket.sent[0]  # the catch-up went out first
    assert [r for r in records if r.levelno >= logging.WARNING] == []
    assert realtime.sockets.count() == open_elsewhere  # and the socket is forgotten


@pytest.mark.parametrize("failure", [RuntimeError("the broker went away"), ValueError("bad frame")])
def test_any_other_failure_is_logged_with_its_traceback_and_the_socket_closed(app, make_user, failure):
    learner = make_user()
    socket = Socket(failure)

    open_elsewhere = realtime.sockets.count()  # a live server of another test may hold one

    records = run_loop(app, learner, socket)

    [record] = [r for r in records if r.levelno >= logging.ERROR]
    assert str(learner.id) in record.getMessage()
    assert record.exc_info is not None and record.exc_info[1] is failure
    assert socket.closed is not None and socket.closed[0] == 1011  # "internal error": the tab reconnects
    assert realtime.sockets.count() == open_elsewhere


def test_a_socket_that_cannot_even_be_closed_still_gets_its_failure_logged(app, make_user):
    learner = make_user()

    class Broken(Socket):
        def close(self, reason: Any = None, message: Any = None) -> None:
            raise OSError("the connection is gone")

    open_elsewhere = realtime.sockets.count()  # a live server of another test may hold one
    records = run_loop(app, learner, Broken(RuntimeError("boom")))

    assert [str(r.exc_info[1]) for r in records if r.exc_info] == ["boom"]
    assert realtime.sockets.count() == open_elsewhere
