"""Page or fragment: one view answers a full page, or just the block an HTMX request swaps."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request
from flask.typing import ResponseReturnValue
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """An HTMX request that is neither boosted navigation nor a history restore wants a fragment."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(template: str, block: str | None = None, status: int = 200,
                **context: Any) -> ResponseReturnValue:
    """Render ``template`` whole, or only ``block`` (the id of the element it replaces) for HTMX."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
