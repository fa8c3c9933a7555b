"""The installable app: the web manifest, the service worker served from the root, and the offline page."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from puchi.core.extensions import limiter
from puchi.core.templating import HTMX_VERSION

bp = Blueprint("pwa", __name__)

ICON_SIZES = (192, 512)
GENERATED = "icons/generated"
THEME_LIGHT, THEME_DARK, BACKGROUND = "#0f766e", "#0b1f1d", "#f4f7f6"
_PRECACHE_KEY = "puchi.precached_endpoints"


def init_app(app: Flask) -> None:
    app.extensions[_PRECACHE_KEY] = ["pwa.offline"]
    app.register_blueprint(bp)


def add_precached_page(app: Flask, endpoint: str) -> None:
    """Have the service worker keep a domain's page for offline use (learning: the offline lesson player)."""
    if endpoint not in app.extensions[_PRECACHE_KEY]:
        app.extensions[_PRECACHE_KEY].append(endpoint)


def build_icons(static_folder: str | Path) -> list[Path]:
    """Render the PNG icons (plain and maskable, 192 and 512 px) from the project's SVGs."""
    import cairosvg

    static = Path(static_folder)
    out = static / GENERATED
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source, prefix in (("icons/puchi.svg", "icon"), ("icons/puchi-maskable.svg", "maskable")):
        svg = (static / source).read_bytes()
        for size in ICON_SIZES:
            target = out / f"{prefix}-{size}.png"
            png = cairosvg.svg2png(bytestring=svg, output_width=size, output_height=size)
            # Written aside and moved into place, so a process reading the icons never sees half a file.
            partial = target.with_name(f"{target.name}.{os.getpid()}")
            partial.write_bytes(png)
            os.replace(partial, target)
            written.append(target)
    return written


@cache
def _asset_version(static_folder: str) -> str:
    """A hash of every static file: a new deploy gets a new service worker and fresh caches."""
    digest = hashlib.sha256()
    for path in sorted(Path(static_folder).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def precached_assets() -> list[str]:
    files = ["css/puchi.css", "css/lesson.css", "js/app.js", "js/lesson.js", "js/pwa.js", "js/offline.js", "js/push.js",
             "js/grading.js", "js/csrf.js",
             f"vendor/htmx-{HTMX_VERSION}.min.js", "icons/puchi.svg", f"{GENERATED}/icon-192.png"]
    return [url_for("static", filename=name) for name in files]


@bp.get("/manifest.webmanifest")
@limiter.exempt
def manifest() -> ResponseReturnValue:
    icons = [{"src": url_for("static", filename=f"{GENERATED}/icon-{size}.png"), "sizes": f"{size}x{size}",
              "type": "image/png", "purpose": "any"} for size in ICON_SIZES]
    icons += [{"src": url_for("static", filename=f"{GENERATED}/maskable-{size}.png"), "sizes": f"{size}x{size}",
               "type": "image/png", "purpose": "maskable"} for size in ICON_SIZES]
    data = {
        "id": "/",
        "name": "Puchi",
        "short_name": "Puchi",
        "description": _("Learn a language a few minutes a day with Puchi."),
        "lang": "en",
        "start_url": "/home?source=pwa",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_LIGHT,
        "background_color": BACKGROUND,
        "icons": icons,
        "shortcuts": [
            {"name": _("Continue learning"), "short_name": _("Continue"), "url": "/continue",
             "icons": [icons[0]]},
            {"name": _("Practice"), "short_name": _("Practice"), "url": "/practice", "icons": [icons[0]]},
        ],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
@limiter.exempt
def service_worker() -> ResponseReturnValue:
    body = render_template("sw.js", version=_asset_version(current_app.static_folder or "static"),
                           precache=[*(url_for(endpoint) for endpoint in current_app.extensions[_PRECACHE_KEY]),
                                     *precached_assets()])
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # browsers must see a new worker as soon as it exists
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
@limiter.exempt
def offline() -> ResponseReturnValue:
    """Shown by the service worker when a page cannot be reached; it holds nothing personal."""
    response = current_app.make_response(render_template("offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response
