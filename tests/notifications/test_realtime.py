"""/ws: only a signed-in learner from this site connects; fragments reach them through Redis pub/sub."""

import contextlib
import json
import time

import pytest
import simple_websocket

from tests.conftest import AuthActions
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


def _connect(live_server, cookie=None, origin=None):
    headers = {"Origin": origin or live_server}  # browsers always send it
    if cookie:
        headers["Cookie"] = f"puchi_session={cookie}"
    return simple_websocket.Client.connect(live_server.replace("http", "ws") + "/ws", headers=headers)


def test_a_fragment_published_elsewhere_reaches_the_open_socket_through_redis(app, live_server, make_user,
                                                                             redis_server):
    from puchi.core.jobs import redis_connection

    learner = make_user("ana@example.com")
    socket = _connect(live_server, _session_cookie(app, "ana@example.com"))
    try:
        first = socket.receive(timeout=5)
        assert 'id="bell_count"' in first  # catch-up on connect: the current unread count
        time.sleep(0.3)  # the process's Redis listener subscribes on the first socket
        started = time.monotonic()
        # As a worker or another web process would: publish on the learner's channel.
        redis_connection(redis_server.url).publish(f"puchi:user:{learner.id}", json.dumps({"html": "<p>hi</p>"}))
        message = socket.receive(timeout=5)
        elapsed = time.monotonic() - started
        assert message == "<p>hi</p>"
        assert elapsed < 1.0, f"{elapsed:.3f}s"
    finally:
        socket.close()


def test_an_anonymous_or_cross_site_socket_is_refused(app, live_server, make_user):
    make_user("ana@example.com")
    for cookie, origin in ((None, None), (_session_cookie(app, "ana@example.com"), "https://evil.example")):
        socket = _connect(live_server, cookie, origin)
        with pytest.raises(simple_websocket.ConnectionClosed):
            for _ in range(3):
                socket.receive(timeout=3)


def test_the_league_table_goes_live_only_to_tabs_that_show_it(app, live_server, enrolled, worker):  # noqa: F811
    ana = enrolled(email="ana@example.com", display_name="Ana")
    ben = enrolled(email="ben@example.com", display_name="Benedikt")
    finish_lesson(app, ana.id)  # Ana joins this week's league
    cookie = _session_cookie(app, "ana@example.com")
    league_tab = simple_websocket.Client.connect(live_server.replace("http", "ws") + "/ws?watch=league",
                                                 headers={"Origin": live_server, "Cookie": f"puchi_session={cookie}"})
    other_tab = _connect(live_server, cookie)
    try:
        for tab in (league_tab, other_tab):
            assert 'id="bell_count"' in tab.receive(timeout=5)  # the catch-up count
        time.sleep(0.3)  # the process's Redis listener subscribes on the first socket

        finish_lesson(app, ben.id)  # Ben earns XP in the same cohort

        table = league_tab.receive(timeout=5)
        while 'id="league_table"' not in table:  # toasts (a first achievement) may come first
            table = league_tab.receive(timeout=5)
        assert 'hx-swap-oob="true"' in table and "Benedikt" in table
        assert "league-row--me" in table  # Ana's own row is marked in her copy
        others = []
        with contextlib.suppress(TimeoutError):
            while (message := other_tab.receive(timeout=1)) is not None:
                others.append(message)
        assert not any('id="league_table"' in message for message in others)
    finally:
        league_tab.close()
        other_tab.close()
