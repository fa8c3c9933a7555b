"""The app is installable: a valid manifest whose icons really are the sizes it says, and a root service worker."""

import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_the_manifest_has_what_browsers_require_to_install(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.json
    for field in ("name", "short_name", "description", "start_url", "display", "theme_color", "background_color",
                  "icons", "scope"):
        assert manifest.get(field), field
    assert manifest["display"] == "standalone"
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= purposes
    assert {s["url"] for s in manifest["shortcuts"]} == {"/continue", "/practice"}


def test_each_icon_file_is_really_the_size_the_manifest_says(client):
    for icon in client.get("/manifest.webmanifest").json["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.mimetype == "image/png"
        path = ROOT / icon["src"].lstrip("/")
        width, height = _png_size(path)
        assert f"{width}x{height}" == icon["sizes"]


def test_the_service_worker_is_served_from_the_root_and_never_cached_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.text
    assert "/offline" in body and "/static/css/puchi.css" in body
    assert "skipWaiting" in body and "PRIVATE" in body


def test_the_service_worker_never_caches_private_areas(client):
    body = client.get("/sw.js").text
    private = body.split("const PRIVATE = ")[1].split(";")[0]
    for area in ("login", "signup", "account", "billing", "admin", "api", "webhooks"):
        assert area in private


def test_the_offline_page_holds_nothing_personal(logged_in):
    client, user = logged_in(display_name="Secret Name")
    page = client.get("/offline").text
    assert "You are offline" in page
    assert "Secret Name" not in page and user.email not in page and "csrf" not in page.lower()
