"""/ws: only a signed-in learner from this site connects; fragments reach them through Redis pub/sub."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import simple_websocket

from tests.conftest import AuthActions, outbox_settled, wait_until
from tests.learning.conftest import spanish  # noqa: F401 - fixture
from tests.progress.conftest import enrolled, finish_lesson  # noqa: F401 - fixture

pytestmark = pytest.mark.redis


@pytest.fixture
def app_settings(redis_server):
    return {"REDIS_URL": redis_server.url, "RATELIMIT_STORAGE_URI": "memory://"}


def _session_cookie(app, email):
    client = app.test_client()
    assert AuthActions(client).log_in(email).status_code == 302
    return client.get_cookie("puchi_session").value


def _connect(live_server, cookie=None, origin=None, path="/ws"):
    headers = {"Origin": origin or live_server}  # browsers always send it
    if cookie:
        headers["Cookie"] = f"puchi_session={cookie}"
    return simple_websocket.Client.connect(live_server.replace("http", "ws") + path, headers=headers)


def receive_until(socket: Any, wanted: Callable[[str], bool], timeout: float = 10.0) -> tuple[str, list[str]]:
    """Read the socket until a message ``wanted`` accepts arrives (within ``timeout`` seconds in all); returns
    it and the messages read before it. Fails the test if none does."""
    deadline = time.monotonic() + timeout
    before: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        message = socket.receive(timeout=left)
        if message is None:
            break
        if wanted(message):
            return message, before
        before.append(message)
    raise AssertionError(f"no wanted message within {timeout}s; got {before}")


def test_a_fragment_published_elsewhere_reaches_the_open_socket_through_redis(app, live_server, make_user,
                                                                             redis_server):
    from puchi.core.jobs import redis_connection

    learner = make_user("ana@example.com")
    socket = _connect(live_server, _session_cookie(app, "ana@example.com"))
    try:
        first = socket.receive(timeout=5)
        # The catch-up on connect (the current unread count) comes once the process listens on Redis: from
        # then on nothing published is missed, so publishing right away must reach the socket.
        assert 'id="bell_count"' in first
        # As a worker or another web process would: publish on the learner's channel. (How fast it arrives
        # is bench/realtime_latency.py's figure; a timed assertion here would fail on a busy machine.)
        redis_connection(redis_server.url).publish(f"puchi:user:{learner.id}", json.dumps({"html": "<p>hi</p>"}))
        assert socket.receive(timeout=10) == "<p>hi</p>"
    finally:
        socket.close()


def test_an_anonymous_or_cross_site_socket_is_refused(app, live_server, make_user):
    make_user("ana@example.com")
    for cookie, origin in ((None, None), (_session_cookie(app, "ana@example.com"), "https://evil.example")):
        # Refused at the handshake: no socket is ever accepted, so none can linger open.
        with pytest.raises(simple_websocket.ConnectionError) as refused:
            _connect(live_server, cookie, origin)
        assert refused.value.status_code == 403


def test_the_league_table_goes_live_only_to_tabs_that_show_it(app, live_server, enrolled, worker,  # noqa: F811
                                                              redis_server):
    from puchi.core.jobs import redis_connection

    ana = enrolled(email="ana@example.com", display_name="Ana")
    ben = enrolled(email="ben@example.com", display_name="Benedikt")
    finish_lesson(app, ana.id)  # Ana joins this week's league
    # The worker has sent Ana's own new table (and any toast) before a tab opens: a tab reads only Ben's news.
    assert wait_until(lambda: outbox_settled(app), timeout=20), worker.log()
    cookie = _session_cookie(app, "ana@example.com")
    league_tab = _connect(live_server, cookie, path="/ws?watch=league")
    other_tab = _connect(live_server, cookie)
    try:
        for tab in (league_tab, other_tab):
            # The catch-up count: it comes once the process listens, so the tab misses nothing after it.
            assert 'id="bell_count"' in tab.receive(timeout=5)

        finish_lesson(app, ben.id)  # Ben earns XP in the same cohort

        # Toasts (a first achievement) may come first.
        table, _ = receive_until(league_tab, lambda message: 'id="league_table"' in message)
        assert 'hx-swap-oob="true"' in table and "Benedikt" in table, worker.log()
        assert "league-row--me" in table  # Ana's own row is marked in her copy
        # Once the worker has carried out all of Ben's news, a marker published after it reaches the other tab
        # after anything it was sent for Ben's lesson (one Redis, one listener, in order): read up to it.
        assert wait_until(lambda: outbox_settled(app), timeout=20), worker.log()
        marker = '<template id="test-marker"></template>'
        redis_connection(redis_server.url).publish(f"puchi:user:{ana.id}", json.dumps({"html": marker}))
        _, others = receive_until(other_tab, lambda message: message == marker)
        assert not any('id="league_table"' in message for message in others)
    finally:
        league_tab.close()
        other_tab.close()
