"""Every email the app sends escapes what users wrote, in every part.

Names are chosen by learners (any text up to 50 characters), and so are the addresses typed into forms: in
the HTML part they must read as text, never become a tag, an attribute or a link; in the text part they
read as written (no entities). Each email kind is made the way the app makes it (a form posted, a friend's
action, a domain event, the notification services) and read from the SMTP server it went through.

The cases are listed from ``templates/emails/`` and from the notification kinds that can go to email, so a
new email (or a new kind of notification) fails here until it has a case below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.notifications import services as notifications
from puchi.notifications.models import KIND_CHANNELS
from puchi.progress.events import AchievementUnlocked, LeagueDemoted, LeaguePromoted
from puchi.social import services as social
from puchi.social.events import UserNudged
from tests.conftest import DEFAULT_PASSWORD, AuthActions, post_form

EMAIL_TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "emails"
TEMPLATES = sorted(path.stem for path in EMAIL_TEMPLATES.glob("*.html") if not path.name.startswith("_"))
EMAIL_KINDS = sorted(kind for kind, channels in KIND_CHANNELS.items() if "email" in channels)

HOSTILE_NAMES = [
    "<a href=//evil.example>Verify account</a>",  # the finding: a live link in a friend's email
    "\"'><img src=x onerror=alert(1)>&copy",  # breaking out of an attribute, an event handler, an entity
    "<script>alert(1)</script>",
]
# Addresses are typed by whoever fills in a form; "&copy" would turn into © if it reached HTML unescaped.
HOSTILE_ADDRESS = "o'hara&copy@example.com"
BASE_URL = "http://localhost"  # tests' BASE_URL: every link in our emails leads there


@dataclass
class World:
    app: Any
    mailbox: Any
    make_user: Callable[..., Any]
    name: str

    def client_of(self, user: Any) -> Any:
        client = self.app.test_client()
        assert AuthActions(client).log_in(user.email).status_code == 302
        return client

    def username(self, user: Any) -> str:
        with self.app.app_context():
            return social.profile_of(db.session.get(User, user.id)).username

    def email_on(self, client: Any, kind: str) -> None:
        """The learner switches this kind of notification to email (on the settings page)."""
        assert post_form(client, "/account/notifications", {"on": [f"{kind}:email"]}).status_code == 302

    def record(self, event: events.DomainEvent, actor_id: int, subject: tuple[str, int]) -> None:
        with self.app.app_context(), action():
            events.record(event, actor_id=actor_id, subject=subject)

    def notify(self, user_id: int, kind: str, data: dict[str, Any]) -> None:
        with self.app.app_context(), action():
            notifications.notify(user_id, kind, data, f"{kind}:hostile-test:{user_id}")


# --- How each email comes about (returns the address it goes to and the user-written text it shows) ------

Made = tuple[str, list[str]]


def _verify_email(w: World) -> Made:
    AuthActions(w.app.test_client()).sign_up("new@example.com", display_name=w.name)
    return "new@example.com", [w.name]


def _account_exists(w: World) -> Made:
    w.make_user("ana@example.com", display_name=w.name)
    AuthActions(w.app.test_client()).sign_up("ana@example.com", display_name="Someone Else")
    return "ana@example.com", [w.name]


def _reset_password(w: World) -> Made:
    w.make_user("ana@example.com", display_name=w.name)
    post_form(w.app.test_client(), "/forgot-password", {"email": "ana@example.com"})
    return "ana@example.com", [w.name]


def _no_account(w: World) -> Made:
    post_form(w.app.test_client(), "/forgot-password", {"email": HOSTILE_ADDRESS})
    return HOSTILE_ADDRESS, [HOSTILE_ADDRESS]


def _password_changed(w: World) -> Made:
    client = w.client_of(w.make_user("ana@example.com", display_name=w.name))
    response = post_form(client, "/account", {"current_password": DEFAULT_PASSWORD,
                                              "new_password": "a-brand-new-passphrase-77"}, action="/account/password")
    assert response.status_code == 302, response.text
    return "ana@example.com", [w.name]


def _change_email(w: World) -> None:
    client = w.client_of(w.make_user("ana@example.com", display_name=w.name))
    response = post_form(client, "/account", {"new_email": HOSTILE_ADDRESS, "password": DEFAULT_PASSWORD},
                         action="/account/email")
    assert response.status_code == 302, response.text


def _change_email_verify(w: World) -> Made:
    _change_email(w)
    return HOSTILE_ADDRESS, [w.name]


def _email_change_notice(w: World) -> Made:
    _change_email(w)
    return "ana@example.com", [w.name, HOSTILE_ADDRESS]


def _data_export_ready(w: World) -> Made:
    client = w.client_of(w.make_user("ana@example.com", display_name=w.name))
    assert post_form(client, "/account/privacy", {}, action="/account/export").status_code == 302
    return "ana@example.com", [w.name]


def _ask_to_delete(w: World) -> Any:
    client = w.client_of(w.make_user("ana@example.com", display_name=w.name))
    response = post_form(client, "/account/privacy", {"password": DEFAULT_PASSWORD, "confirmation": "DELETE"},
                         action="/account/delete")
    assert response.status_code == 302, response.text
    return client


def _deletion_scheduled(w: World) -> Made:
    _ask_to_delete(w)
    return "ana@example.com", [w.name]


def _deletion_cancelled(w: World) -> Made:
    client = _ask_to_delete(w)
    w.mailbox.clear()
    assert post_form(client, "/account/privacy", {}, action="/account/delete/cancel").status_code == 302
    return "ana@example.com", [w.name]


def _new_device(w: World) -> Made:
    learner = w.make_user("ana@example.com", display_name=w.name)
    w.client_of(learner)
    phone = w.app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "<img src=x onerror=alert(1)> Chrome/126.0 Mobile Safari/537.36"
    assert AuthActions(phone).log_in("ana@example.com").status_code == 302
    return "ana@example.com", [w.name]


def _weekly_report(w: World) -> Made:
    learner = w.make_user("ana@example.com", display_name=w.name)
    w.notify(learner.id, "weekly", {"xp": 60, "lessons": 4, "minutes": 15, "days": 3, "streak": 4,
                                    "from": "2026-11-22", "to": "2026-11-28"})
    return "ana@example.com", [w.name]


def _family_invitation(w: World) -> Made:
    """An owner with a hostile name invites an address someone typed; billing is switched on for it here,
    with the owner's Family subscription as billing's webhooks would have recorded it."""
    from puchi.billing.models import Subscription
    from puchi.core.db import now

    w.app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x",
                        STRIPE_PRICE_FAMILY_YEARLY="price_family_yearly")
    owner = w.make_user("ana@example.com", display_name=w.name)
    with w.app.app_context(), action():
        db.session.add(Subscription(stripe_subscription_id="sub_family", stripe_customer_id="cus_ana",
                                    user_id=owner.id, status="active", price_id="price_family_yearly",
                                    plan="family_yearly", state_at=now()))
    response = post_form(w.client_of(owner), "/billing/family", {"email": HOSTILE_ADDRESS},
                         action="/billing/family/invitations")
    assert response.status_code == 302, response.text
    return HOSTILE_ADDRESS, [w.name]


def _link_identity(w: World) -> Made:
    """A provider's account with Ana's address asks to be linked: the provider (configured here, its name
    chosen by whoever runs Puchi) and Ana's name both appear in the email."""
    from puchi.accounts import identities
    from puchi.accounts.oidc import VerifiedIdentity

    w.app.config["OIDC_PROVIDERS"] = {"google": {"issuer": "https://accounts.example", "client_id": "puchi",
                                                 "secret": "s", "name": w.name}}
    learner = w.make_user("ana@example.com", display_name=w.name)
    with w.app.app_context():
        identities.request_link_by_email(VerifiedIdentity(provider="google", subject="g-1", email=learner.email,
                                                          email_verified=True, name=w.name))
    return "ana@example.com", [w.name]


def _notification(kind: str) -> Callable[[World], Made]:
    """A notification of ``kind`` by email; the recipient and the friend who caused it both have hostile names."""

    def make(w: World) -> Made:
        learner = w.make_user("ana@example.com", display_name=w.name)
        friend = w.make_user("ben@example.com", display_name=w.name[::-1])
        learner_client, friend_client = w.client_of(learner), w.client_of(friend)
        w.email_on(learner_client, kind)
        learner_name, friend_name = w.username(learner), w.username(friend)
        shown = [w.name]
        if kind in ("followed", "cheer"):
            post_form(friend_client, "/people", {}, action=f"/u/{learner_name}/follow")
            shown.append(friend.display_name)
        if kind == "cheer":
            post_form(learner_client, "/people", {}, action=f"/u/{friend_name}/follow")  # friends now
            w.mailbox.clear()  # the follow-back notice goes elsewhere; only the cheer counts here
            assert post_form(friend_client, "/people", {}, action=f"/u/{learner_name}/cheer").status_code == 302
        elif kind == "nudge":
            w.record(UserNudged(source="nudge:hostile-test", days=5), friend.id, ("user", learner.id))
            shown.append(friend.display_name)
        elif kind == "achievement":
            w.record(AchievementUnlocked(code="first_lesson", tier=1), learner.id, ("user", learner.id))
        elif kind in ("promoted", "demoted"):
            move = LeaguePromoted if kind == "promoted" else LeagueDemoted
            w.record(move(from_tier=2, to_tier=3 if kind == "promoted" else 1, rank=1, week_start=date(2026, 5, 4)),
                     learner.id, ("league_cohort", 1))
        elif kind == "reminder":
            w.notify(learner.id, "reminder", {"streak": 12, "day": "2026-11-26"})
        elif kind in BILLING_DATA:  # billing's notices: the learner's own name is the user-written text
            w.notify(learner.id, kind, BILLING_DATA[kind])
        elif kind == "moderation_warning":  # moderators' notices: likewise the learner's own name
            w.notify(learner.id, kind, {"reason": "spam"})
        elif kind == "report_outcome":
            w.notify(learner.id, kind, {"actioned": True})
        elif kind != "followed":
            pytest.fail(f"no way to make a {kind!r} notification here: add one")
        return "ana@example.com", shown

    return make


# What billing's events put in its notifications (see notifications.services.on_invoice_paid and friends).
BILLING_DATA: dict[str, dict[str, Any]] = {
    "billing_welcome": {"plan": "super_monthly", "trialing": False},
    "trial_ending": {"trial_end": "2026-12-01T10:00:00+00:00", "manage": "/account"},
    "payment_failed": {"invoice_id": 1, "amount": 699, "currency": "eur", "grace_until": "2026-12-08T10:00:00+00:00",
                       "manage": "/account"},
    "payment_action": {"invoice_id": 1, "amount": 699, "currency": "eur", "manage": "/account"},
    "receipt": {"invoice_id": 1, "amount": 699, "currency": "eur"},
}

MAKERS: dict[str, Callable[[World], Made]] = {
    "verify_email": _verify_email,
    "account_exists": _account_exists,
    "reset_password": _reset_password,
    "no_account": _no_account,
    "password_changed": _password_changed,
    "change_email_verify": _change_email_verify,
    "email_change_notice": _email_change_notice,
    "weekly_report": _weekly_report,
    "family_invitation": _family_invitation,
    "link_identity": _link_identity,
    "data_export_ready": _data_export_ready,
    "deletion_scheduled": _deletion_scheduled,
    "deletion_cancelled": _deletion_cancelled,
    "new_device": _new_device,
    **{f"notification:{kind}": _notification(kind) for kind in EMAIL_KINDS if kind != "weekly"},
}
# Every email template on disk, and every kind of notification that can go out by email (the weekly report
# has a template of its own; every other kind uses "notification").
CASES = [f"notification:{kind}" for kind in EMAIL_KINDS if kind != "weekly"] + [
    name for name in TEMPLATES if name != "notification"]


# --- Reading what arrived ---------------------------------------------------------------------------------

class _Html(HTMLParser):
    """The tags and attributes an email client would build, and the text it would show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


# What our email templates use: anything else in an email came from somewhere else.
OUR_TAGS = {"html", "head", "meta", "title", "body", "div", "p", "a", "br", "span", "table", "tr", "td", "strong"}


def assert_html_shows_as_text(html: str, written: list[str]) -> None:
    parsed = _Html()
    parsed.feed(html)
    parsed.close()
    for tag, attrs in parsed.tags:
        assert tag in OUR_TAGS, f"a <{tag}> in the email: {html}"
        for name, value in attrs:
            assert not name.startswith("on"), f"an event handler on <{tag}>: {html}"
            assert "evil.example" not in (value or ""), f"an injected attribute on <{tag}>: {html}"
            if tag == "a" and name == "href":
                assert (value or "").startswith(BASE_URL), f"a link out of the site: {value}"
    text = " ".join(" ".join(parsed.text).split())
    for value in written:
        assert value in text, f"{value!r} is not shown as written in: {text}"


def assert_text_reads_as_written(message: EmailMessage, written: list[str]) -> None:
    body = message.get_body(preferencelist=("plain",)).get_content()
    for value in written:
        assert value in body, f"{value!r} is not in the text part: {body}"
    assert "&lt;" not in body and "&#" not in body and "&amp;" not in body  # plain text, not HTML-escaped
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=["link", "attribute", "script"])
@pytest.mark.parametrize("case", CASES)
def test_every_email_escapes_what_users_wrote(app, mailbox, make_user, case, name):
    maker = MAKERS.get(case)
    if maker is None:
        pytest.fail(f"the {case!r} email has no case with hostile input here: add one to MAKERS")
    address, written = maker(World(app, mailbox, make_user, name))

    message = mailbox.wait_for(address)[-1]

    html = message.get_body(preferencelist=("html",)).get_content()
    assert_html_shows_as_text(html, written)
    assert_text_reads_as_written(message, written)


def test_the_cases_are_every_email_the_app_sends():
    """A template or a kind without a case fails above; a case without either is a leftover."""
    made_by_template = {case for case in MAKERS if not case.startswith("notification:")}
    assert made_by_template | {"notification"} == set(TEMPLATES)
    assert {case.split(":", 1)[1] for case in MAKERS if case.startswith("notification:")} | {"weekly"} == set(
        EMAIL_KINDS)


def test_no_html_template_includes_a_text_template():
    """Jinja autoescapes by the included template's own name: a .txt partial inside HTML is not escaped."""
    root = EMAIL_TEMPLATES.parent
    including = re.compile(r"{%-?\s*(?:include|import|from|extends)\s+[\"']([^\"']+)[\"']")
    offenders = [(str(path.relative_to(root)), target) for path in root.rglob("*.html")
                 for target in including.findall(path.read_text(encoding="utf-8")) if not target.endswith(".html")]
    assert offenders == []
