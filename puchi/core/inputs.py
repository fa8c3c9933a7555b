"""Reading what a client sends: integers, JSON bodies and the shape of a request, refused clearly when hostile.

Whatever arrives, the answer is a 4xx that says what is wrong, never a 500: a Unicode digit that
``str.isdigit()`` accepts and ``int()`` refuses, an integer too large for the database, JSON nested deep
enough to exhaust the parser's recursion, a file where a text field belongs, a NUL byte PostgreSQL cannot
store. Views read integers with :func:`parse_int` and JSON with :func:`json_body`; :func:`init_app` checks
the request's shape for every view before it runs (views that take JSON or files say so with
:func:`accepts_json` / :func:`accepts_files`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_babel import gettext as _

from puchi.core.errors import BadRequest, TooLarge, UnsupportedMediaType

F = TypeVar("F", bound=Callable[..., Any])

# The database's integer columns are 32-bit on both backends; an id or a step beyond that is simply wrong.
MAX_INT32 = 2**31 - 1
MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 20
_ASCII_INTEGER = re.compile(r"-?[0-9]{1,18}")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# --- Integers --------------------------------------------------------------------------------------------

def parse_int(value: object, *, minimum: int, maximum: int) -> int | None:
    """The integer ``value`` spells in ASCII digits (or a JSON integer), if it lies in [minimum, maximum].

    Anything else gives None: Unicode digits ('²', '٣'), signs other than a leading minus, underscores,
    decimals, booleans, and numbers outside the range (which the database would refuse with an error).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip(" \t\r\n")
        if not _ASCII_INTEGER.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


# --- JSON bodies -----------------------------------------------------------------------------------------

def json_body() -> Any:
    """The request's JSON document, read safely.

    Checked before it is parsed, so that no document can exhaust memory or the parser's recursion:
    at most MAX_JSON_BYTES bytes, nested at most MAX_JSON_DEPTH deep; then it must be UTF-8 JSON whose
    strings hold no NUL and no lone surrogate (neither database can store them), and no NaN or Infinity.

    :raises TooLarge: the body is larger than MAX_JSON_BYTES.
    :raises BadRequest: the body is not ``application/json``, not valid JSON, nested too deep, or holds
        text no database stores.
    """
    if not request.is_json:
        raise BadRequest(_("Send this as JSON (Content-Type: application/json)."), code="json_expected")
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise _too_large()
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise _too_large()
    if json_depth(raw, stop_after=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise BadRequest(_("That JSON is nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH),
                         code="json_too_deep")
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError, as are huge numbers
        raise BadRequest(_("That is not valid JSON."), code="json_malformed") from error
    if any(not storable_text(text) for text in _strings(document)):
        raise BadRequest(_("That JSON holds characters that cannot be stored."), code="json_unstorable")
    return document


def json_depth(raw: bytes, stop_after: int | None = None) -> int:
    """How deep the arrays and objects of a JSON text nest, counted without parsing (strings skipped).

    With ``stop_after``, counting stops as soon as the depth exceeds it.
    """
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if stop_after is not None and deepest > stop_after:
                break
        else:
            depth -= 1
    return deepest


def storable_text(text: str) -> bool:
    """False for text holding a NUL (PostgreSQL refuses it) or a lone surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_large() -> TooLarge:
    return TooLarge(_("That JSON is larger than %(size)s KB.", size=MAX_JSON_BYTES // 1024), code="json_too_large")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _strings(document: Any) -> Iterator[str]:
    """Every string in a parsed JSON document, keys included, walked without recursion."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())


# --- What a view accepts -------------------------------------------------------------------------------

def accepts_json(view: F) -> F:
    """Mark a view that reads a JSON body (with :func:`json_body`); every other view refuses JSON with 415."""
    view.accepts_json = True  # type: ignore[attr-defined]
    return view


def accepts_files(view: F) -> F:
    """Mark a view that takes file uploads; every other view refuses a file part with 400."""
    view.accepts_files = True  # type: ignore[attr-defined]
    return view


def view_is_marked(view: Callable[..., Any] | None, mark: str) -> bool:
    """Whether ``view`` or any function it wraps (through functools.wraps) carries ``mark``."""
    while view is not None:
        if getattr(view, mark, False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def check_request_shape() -> None:
    """Refuse a request whose shape no view of ours can read, before any view runs.

    :raises UnsupportedMediaType: a JSON body to a view that reads forms.
    :raises BadRequest: a file part to a view that takes no files, or a NUL byte in a form or query value.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    in_address = [*request.args.items(multi=True), *(request.view_args or {}).items()]
    if any(not storable_text(key) or not storable_text(str(value)) for key, value in in_address):
        raise BadRequest(_("The address holds a character that cannot be stored (NUL)."), code="nul_in_address")
    if view is None or request.method in _SAFE_METHODS:
        return
    if request.is_json and not view_is_marked(view, "accepts_json"):
        raise UnsupportedMediaType(_("This address takes a form, not JSON."), code="form_expected")
    if request.files and not view_is_marked(view, "accepts_files"):
        raise BadRequest(_("This form takes no files."), code="files_not_taken")
    if any(not storable_text(key) or not storable_text(value) for key, value in request.form.items(multi=True)):
        raise BadRequest(_("The form holds a character that cannot be stored (NUL)."), code="nul_in_form")


def init_app(app: Flask) -> None:
    """Check every request's shape; call before any other extension registers its hooks, so that nothing
    (the CSRF check, rate limits, the view) reads a body that is refused."""
    app.before_request(check_request_shape)
