""""Download your data": a job builds a zip of every table's rows and a readable summary, the learner is emailed
(in their language) a link that works once for seven days, and nobody else can use it."""

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.accounts.privacy_models import DataExport
from puchi.core import periodic
from puchi.core.db import db
from puchi.social import messages
from puchi.social import services as social
from tests.conftest import link_in, post_form

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def app_settings(tmp_path):
    return {"EXPORT_DIR": str(tmp_path / "exports")}


def _ask_for_export(client):
    return post_form(client, "/account", {}, action="/account/export")


def _files(app):
    folder = Path(app.config["EXPORT_DIR"])
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def ana(app, logged_in, make_user):
    """Ana (who reads Spanish) has a friend she wrote to; his name is hostile HTML."""
    client, ana = logged_in(email="ana@example.com", display_name="Ana", locale="es")
    ben = make_user(email="ben@example.com", display_name=HOSTILE)
    with app.app_context():
        ana_user, ben_user = db.session.get(User, ana.id), db.session.get(User, ben.id)
        social.follow(ana_user, social.profile_of(ben_user).username)
        social.follow(ben_user, social.profile_of(ana_user).username)
        messages.send(ana_user, social.profile_of(ben_user).username, "¡Hola! <b>negrita</b>")
    return client, ana


def test_the_learner_is_emailed_a_link_to_a_zip_of_all_their_data(app, ana, mailbox):
    client, _ = ana
    assert _ask_for_export(client).status_code == 302

    email = mailbox.wait_for("ana@example.com")[-1]
    assert email["Subject"] == "Tus datos de Puchi están listos para descargar"  # in her language
    link = link_in(email, "/account/exports/")
    page = client.get(link)
    assert page.status_code == 200 and "Download the zip file" not in page.text  # the page is in Spanish too
    response = post_form(client, link, {})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"puchi-data-")

    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    for table in ("users", "user_sessions", "consents", "events", "enrollments", "cards", "attempts", "xp_entries",
                  "daily_activity", "user_achievements", "follows", "direct_messages", "notifications",
                  "deliveries", "push_subscriptions", "billing_subscriptions", "billing_customers"):
        assert f"{table}.json" in names, table
    profile = json.loads(archive.read("users.json"))
    assert profile[0]["email"] == "ana@example.com" and profile[0]["locale"] == "es"
    assert "password_hash" not in profile[0]
    assert all("key_hash" not in row for row in json.loads(archive.read("user_sessions.json")))
    assert [m["body"] for m in json.loads(archive.read("direct_messages.json"))] == ["¡Hola! <b>negrita</b>"]
    assert len(json.loads(archive.read("follows.json"))) == 2  # whom she follows, and who follows her
    assert [c["kind"] for c in json.loads(archive.read("consents.json"))] == []  # made by the CLI: no sign-up

    summary = archive.read("summary.html").decode()
    assert "¡Hola! &lt;b&gt;negrita&lt;/b&gt;" in summary and "<b>negrita" not in summary
    assert "Tus datos y tu privacidad" in summary


def test_the_link_works_once_and_the_file_is_deleted(app, ana, mailbox):
    client, _ = ana
    _ask_for_export(client)
    link = link_in(mailbox.wait_for("ana@example.com")[-1], "/account/exports/")
    assert len(_files(app)) == 1

    assert post_form(client, link, {}).status_code == 200
    assert _files(app) == []
    assert post_form(client, link, {}).status_code == 410
    assert client.get(link).status_code == 410


def test_another_learner_cannot_fetch_it(app, ana, logged_in, mailbox):
    client, _ = ana
    _ask_for_export(client)
    link = link_in(mailbox.wait_for("ana@example.com")[-1], "/account/exports/")
    carl, _ = logged_in(email="carl@example.com")

    assert carl.get(link).status_code == 404
    assert post_form(carl, link, {}).status_code == 404
    assert app.test_client().get(link).headers["Location"].startswith("/login")
    assert carl.get("/account/exports/made-up-token").status_code == 404
    assert len(_files(app)) == 1  # still hers to download
    assert post_form(client, link, {}).status_code == 200


def test_an_unused_link_expires_after_seven_days_and_its_file_is_deleted(app, ana, mailbox):
    client, user = ana
    _ask_for_export(client)
    link = link_in(mailbox.wait_for("ana@example.com")[-1], "/account/exports/")
    with app.app_context():
        export = db.session.scalar(select(DataExport).where(DataExport.user_id == user.id))
        assert export.expires_at - export.ready_at == timedelta(days=7)
        periodic.run_chores(export.expires_at - timedelta(minutes=1))
        assert len(_files(app)) == 1
        periodic.run_chores(export.expires_at + timedelta(minutes=1))
    assert _files(app) == []
    assert post_form(client, link, {}).status_code == 410


def test_the_privacy_page_shows_the_export_being_ready(app, ana, mailbox):
    client, _ = ana
    _ask_for_export(client)
    mailbox.wait_for("ana@example.com")
    assert "Listo: revisa tu correo" in client.get("/account/privacy").text


@pytest.mark.redis
class TestWithTheWorker:
    """In production the export is built by the worker (RQ), from the outbox row the request wrote."""

    @pytest.fixture
    def app_settings(self, redis_server, tmp_path):
        return {"REDIS_URL": redis_server.url, "EXPORT_DIR": str(tmp_path / "exports")}

    @pytest.fixture
    def worker_env(self, tmp_path):
        return {"PUCHI_EXPORT_DIR": str(tmp_path / "exports")}

    def test_the_worker_builds_the_zip_and_emails_the_link(self, app, logged_in, worker, mailbox):
        client, _ = logged_in(email="ana@example.com")
        assert _ask_for_export(client).status_code == 302
        link = link_in(mailbox.wait_for("ana@example.com", timeout=60)[-1], "/account/exports/")
        assert len(_files(app)) == 1, worker.log()
        response = post_form(client, link, {})
        assert response.status_code == 200
        assert "users.json" in zipfile.ZipFile(io.BytesIO(response.data)).namelist()
