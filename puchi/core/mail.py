"""Outgoing email: multipart text + HTML from templates/emails/, in the recipient's locale.

With ``SMTP_URL`` set (``smtp://user:pass@host:port``, ``smtps://…`` for TLS, ``?starttls=1``), mail
goes through that server; without it, each message is printed to the console and saved as an .eml
file under ``instance/mail/`` so a developer can read it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from puchi.core.db import now

log = logging.getLogger(__name__)


def render_message(template: str, *, to: str, locale: str, subject: str | None = None,
                   headers: dict[str, str] | None = None, **context: Any) -> EmailMessage:
    """Build the message from ``emails/<template>.txt`` and ``.html`` rendered in ``locale``.

    The subject is the first line of the text template's ``subject`` block, rendered in the same locale.
    """
    with force_locale(locale):
        context = {"base_url": current_app.config["BASE_URL"], "locale": locale, **context}
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
        if subject is None:
            subject, _, text = text.partition("\n")
            subject = subject.removeprefix("Subject:").strip()
            text = text.lstrip("\n")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Date"] = format_datetime(now())
    message["Message-ID"] = make_msgid(domain="puchi.localhost")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = locale  # after the body: set_content drops Content-* headers
    return message


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full link into the site for an email, built from BASE_URL (jobs have no request to go by)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send(message: EmailMessage) -> None:
    """Deliver a message through SMTP, or to the console and the mail folder when none is configured."""
    smtp_url = current_app.config.get("SMTP_URL")
    if smtp_url:
        _send_smtp(smtp_url, message)
    else:
        _save_locally(message)


def _send_smtp(smtp_url: str, message: EmailMessage) -> None:
    url = urlsplit(smtp_url)
    options = parse_qs(url.query)
    host, secure = url.hostname or "localhost", url.scheme == "smtps"
    port = url.port or (465 if secure else 25)
    context = ssl.create_default_context()
    client_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    kwargs: dict[str, Any] = {"timeout": 20}
    if secure:
        kwargs["context"] = context
    with client_class(host, port, **kwargs) as client:
        if options.get("starttls", ["0"])[0] in {"1", "true"}:
            client.starttls(context=context)
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)


def _save_locally(message: EmailMessage) -> None:
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now().strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{message['To'].replace('@', '_at_')}.eml"
    path.write_bytes(bytes(message))
    text_part = message.get_body(preferencelist=("plain",))
    body = text_part.get_content() if text_part is not None else ""
    log.info("email to %s: %s\n%s\n(saved as %s)", message["To"], message["Subject"], body, path)
    print(f"\n--- email to {message['To']}: {message['Subject']}\n{body}--- saved as {path}\n", flush=True)
