"""Platform behaviour every page shares: headers, health probes, errors, configuration, migrations."""

import pytest

from puchi import create_app
from puchi.config import load_config
from tests.conftest import post_form


def test_every_response_carries_the_security_headers(client):
    for url in ("/", "/login", "/healthz", "/static/css/puchi.css", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_use_no_inline_script_or_style(client, logged_in):
    learner, _ = logged_in()
    pages = [client.get(url).text for url in ("/", "/signup", "/login", "/forgot-password")]
    pages += [learner.get(url).text for url in ("/home", "/account", "/account/preferences")]
    for html in pages:
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_healthz_and_readyz_answer(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok"}


def test_readyz_reports_an_unreachable_redis():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"].startswith("error")


def test_unknown_pages_and_methods_get_friendly_error_pages(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "We can't find that page" in missing.text
    wrong_method = client.delete("/login")
    assert wrong_method.status_code == 405


def test_production_refuses_to_start_with_the_default_secret():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(load_config("/tmp", {"PUCHI_ENV": "production"}))


def test_production_cookies_are_secure_and_host_prefixed():
    config = load_config("/tmp", {"PUCHI_ENV": "production", "SECRET_KEY": "s" * 40})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert config["REMEMBER_COOKIE_NAME"].startswith("__Host-")


def test_configuration_comes_from_the_environment():
    config = load_config("/srv/puchi", {
        "DATABASE_URL": "postgresql://u:p@db:5432/puchi", "REDIS_URL": "redis://cache:6379/0",
        "SMTP_URL": "smtp://mail:25", "PUCHI_BASE_URL": "https://puchi.example/",
    })
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/puchi"
    assert config["REDIS_URL"] == "redis://cache:6379/0"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert config["SMTP_URL"] == "smtp://mail:25"
    assert config["BASE_URL"] == "https://puchi.example"
    embedded = load_config("/srv/puchi", {})
    assert embedded["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/puchi/puchi.db"
    assert embedded["REDIS_URL"] is None and embedded["SMTP_URL"] is None


def test_the_models_match_the_migrations(app):
    """A model change without its Alembic migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from puchi.core.db import db

    with app.app_context(), db.engine.connect() as connection:
        from puchi.core.db import include_in_schema_comparison

        context = MigrationContext.configure(connection, opts={"compare_type": False,
                                                               "include_object": include_in_schema_comparison})
        assert compare_metadata(context, db.metadata) == []


def test_log_in_is_rate_limited(app, client, make_user):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    make_user("ana@example.com")
    statuses = [post_form(client, "/login", {"email": "ana@example.com", "password": "wrong-guess"}).status_code
                for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    limited = post_form(client, "/login", {"email": "ana@example.com", "password": "wrong-guess"})
    assert "Too many attempts" in limited.text
    assert "Retry-After" in limited.headers


def test_sign_up_and_reset_are_rate_limited(app, client):
    app.config["RATELIMIT_SIGNUP"] = "2 per minute"
    app.config["RATELIMIT_RESET"] = "2 per minute"
    assert [post_form(client, "/signup", {}).status_code for _ in range(3)][-1] == 429
    assert [post_form(client, "/forgot-password", {}).status_code for _ in range(3)][-1] == 429


def test_a_boosted_form_gets_the_whole_page_back_with_its_messages(htmx, client):
    """Forms ride hx-boost: a refused form answers the page (HTMX swaps the body), never a lone fragment."""
    client.get("/signup")
    boosted = htmx.get("/signup", boosted=True)
    assert boosted.text.startswith("<!doctype html>")
    assert "HX-Request" in boosted.headers["Vary"]

    token = boosted.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = htmx.post("/signup", boosted=True, data={"csrf_token": token, "email": "nope"})
    assert refused.status_code == 422
    assert refused.text.startswith("<!doctype html>") and '<form id="sign_up_form"' in refused.text
    assert "Enter a valid email address" in refused.text
    assert "HX-Request" in refused.headers["Vary"]


def test_an_unexpected_error_shows_the_500_page_without_details(app):
    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_pages_and_static_files_are_sent_compressed(client):
    for url in ("/", "/static/css/puchi.css", "/static/vendor/htmx-2.0.11.min.js"):
        response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert response.headers.get("Content-Encoding") in {"br", "gzip"}, url
        assert "Accept-Encoding" in response.headers.get("Vary", "")
