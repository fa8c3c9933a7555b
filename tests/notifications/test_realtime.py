"""/ws: only a signed-in learner from this site connects; fragments reach them through Redis pub/sub."""

import json
import time

import pytest
import simple_websocket

from tests.conftest import AuthActions

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
