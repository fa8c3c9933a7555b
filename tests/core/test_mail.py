"""Without an SMTP server, mail is printed and saved as .eml files a developer can open."""

from email import message_from_bytes, policy

import pytest

from tests.conftest import AuthActions


@pytest.fixture
def app_settings(tmp_path):
    return {"SMTP_URL": None, "MAIL_DIR": str(tmp_path / "mail")}


def test_without_smtp_the_email_is_saved_and_printed(app, client, tmp_path, capsys):
    AuthActions(client).sign_up("ana@example.com", locale="fr")

    [saved] = list((tmp_path / "mail").glob("*.eml"))
    message = message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert message["To"] == "ana@example.com"
    assert message["Content-Language"] == "fr"
    assert message.get_body(preferencelist=("html",)) is not None
    assert "/verify-email/" in message.get_body(preferencelist=("plain",)).get_content()
    assert "email to ana@example.com" in capsys.readouterr().out
