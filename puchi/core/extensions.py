"""Flask extensions, created unbound here and initialised by create_app()."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sock import Sock
from flask_wtf.csrf import CSRFProtect

babel = Babel()
compress = Compress()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
sock = Sock()
limiter = Limiter(key_func=get_remote_address)


class _WebSocketEnded(Response):
    """What a finished WebSocket answers under Werkzeug's server (development, the browser tests): nothing.

    Flask-Sock hands Werkzeug an ordinary response once the socket's handler returns, and Werkzeug writes its
    status line and headers ("HTTP/1.1 200 OK ...") into the connection that has become a WebSocket; the
    browser reads them as a frame and logs "Invalid frame header" on every boosted page change (each one
    closes the page's socket). Raising a connection error instead makes Werkzeug drop the connection quietly.
    Under gunicorn Flask-Sock's own response already ends the request without writing anything."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        raise ConnectionAbortedError("the WebSocket has ended")


def _end_websocket_quietly(response: Response) -> Response:
    if type(response).__name__ == "WebSocketResponse" and "werkzeug.socket" in request.environ:
        return _WebSocketEnded()
    return response


def init_sock(app: Flask) -> None:
    sock.init_app(app)
    # Registered first, so it runs after every other after-request hook (they run in reverse order).
    app.after_request(_end_websocket_quietly)
