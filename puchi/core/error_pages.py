"""How errors look to a person: a page (or the fragment HTMX swaps) in their language, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from puchi.core.errors import Message, ServiceError
from puchi.core.htmx import render_page

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 413, 429, 500}
CSRF = "csrf"  # the code of a failed CSRF token: the 400 page and the JSON problem explain it


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _http_code(status: int) -> str:
    """The machine code of an HTTP error raised outside the services (a route that does not exist, a
    method it does not take): its reason phrase in snake case, e.g. ``method_not_allowed``."""
    return HTTP_STATUS_CODES.get(status, "error").lower().replace(" ", "_").replace("-", "_").replace("'", "")


def _problem(status: int, code: str, message: Message | None,
             fields: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    """An RFC 9457 problem document, for clients that speak JSON; ``code`` is the stable member to compare."""
    body: dict[str, object] = {"type": "about:blank", "status": status,
                               "title": HTTP_STATUS_CODES.get(status, "Error"), "code": code}
    if code == CSRF:
        body["detail"] = _("This form expired or was sent from another site. Reload the page and try again.")
    elif message:
        body["detail"] = str(message)
    if fields:
        body["errors"] = fields
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _render_error(status: int, code: str, message: Message | None = None,
                  fields: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    if _wants_json():
        return _problem(status, code, message, fields)
    template = f"errors/{status if status in PAGES else 400 if status < 500 else 500}.html"
    return render_page(template, status=status, status_code=status, error_code=code, message=message)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> ResponseReturnValue:
        # Never re-run the view from here: a form that can show itself again opts in before it runs
        # (core.csrf.rerenders_on_csrf_error), and a refusal raised inside an error handler is a 500.
        return _render_error(400, CSRF)

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> ResponseReturnValue:
        return _render_error(error.status_code, error.code, error.message, error.fields)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if error.code is None or error.code < 400:
            return error
        if isinstance(error, InternalServerError):
            log.exception("unhandled error on %s %s", request.method, request.path)
        return _render_error(error.code, _http_code(error.code))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render_error(500, _http_code(500))
