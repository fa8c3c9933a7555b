"""Cross-site request forgery: every unsafe request carries the session's token, checked before the view runs.

The order, for a POST (PUT, PATCH, DELETE):

1. The request's shape (``core.inputs``): a file, a NUL or JSON where a form belongs is refused first.
2. A visitor on a view that needs a login gets the login redirect, token or not (what ``login_required``
   would answer): a forged token tells them nothing the redirect does not.
3. The token (flask-wtf's check: the form's ``csrf_token`` or the ``X-CSRFToken`` header, plus the
   Referer on HTTPS). A failure is a 400 page (or a JSON problem), and the view never runs: views that
   *show* something on failure and can be re-run with the same input are not re-run inside an error
   handler, where their own refusals (404, 429) would turn into 500s.
4. A form view marked :func:`rerenders_on_csrf_error` runs instead, so it can show the form again with
   what the person typed and a message (its FlaskForm fails on the same token). It may only render:
   ``core.db`` refuses to write in a request whose token failed (:func:`refuse_writes_if_forged`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from puchi.core.extensions import csrf
from puchi.core.inputs import view_is_marked

F = TypeVar("F", bound=Callable[..., Any])

# Every function flask-login's decorator returns shares this code object: how a view that needs a login
# is recognised without each view saying so twice.
_LOGIN_REQUIRED_CODE = login_required(lambda: None).__code__


def rerenders_on_csrf_error(view: F) -> F:
    """Mark a form view that shows its form again, with a message, when the CSRF token fails.

    The view runs with the failure noted: its FlaskForm's own token check fails, and any write it
    attempts is refused.
    """
    view.rerenders_on_csrf_error = True  # type: ignore[attr-defined]
    return view


def csrf_exempt(view: F) -> F:
    """Mark a view that proves the request another way (a signed token in the URL) and takes no CSRF token."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def refuse_writes_if_forged() -> None:
    """Called by ``core.db`` before every write: a request whose CSRF token failed changes nothing.

    :raises CSRFError: the token of this request failed.
    """
    if has_request_context() and (error := g.get("csrf_error")) is not None:
        raise error


def _chain(function: Callable[..., Any] | None) -> Iterator[Callable[..., Any]]:
    while function is not None:
        yield function
        function = getattr(function, "__wrapped__", None)


def needs_login(app: Flask, endpoint: str) -> bool:
    """Whether the view at ``endpoint``, or a ``before_request`` of its blueprints, is ``login_required``."""
    view = app.view_functions.get(endpoint)
    blueprint = endpoint.rpartition(".")[0]
    hooks = [hook for name in _blueprint_and_parents(blueprint) for hook in app.before_request_funcs.get(name, ())]
    return any(getattr(function, "__code__", None) is _LOGIN_REQUIRED_CODE
               for candidate in (view, *hooks) for function in _chain(candidate))


def _blueprint_and_parents(name: str) -> list[str]:
    # Nested blueprints are named "parent.child"; each level may have its own hooks.
    parts = name.split(".") if name else []
    return [".".join(parts[:index]) for index in range(len(parts), 0, -1)]


def check_csrf() -> ResponseReturnValue | None:
    """The before_request hook (see the module's docstring for the order)."""
    app = current_app
    if not app.config["WTF_CSRF_ENABLED"] or request.method not in app.config["WTF_CSRF_METHODS"]:
        return None
    view = app.view_functions.get(request.endpoint or "")
    if view is None or view_is_marked(view, "csrf_exempt"):
        return None
    if not current_user.is_authenticated and needs_login(app, request.endpoint or ""):
        return app.login_manager.unauthorized()  # type: ignore[attr-defined]
    try:
        csrf.protect()
    except CSRFError as error:
        if not view_is_marked(view, "rerenders_on_csrf_error"):
            raise
        g.csrf_error = error
    return None


def init_app(app: Flask) -> None:
    """Bind flask-wtf for its token helpers and do the check here, in our order, instead of its own hook."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(check_csrf)
