"""Who may open what: one table for every route, checked for a visitor, the owner, another learner and an admin.

A new route fails ``test_every_route_has_an_access_rule`` until it is added to ACCESS below.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from puchi.accounts import exports, identities, recovery
from puchi.accounts import services as accounts
from puchi.accounts import tokens as account_tokens
from puchi.accounts.mfa_models import Passkey, RecoveryCode, RememberedDevice
from puchi.accounts.models import Identity, User, UserSession
from puchi.accounts.oidc import VerifiedIdentity
from puchi.accounts.privacy_models import DataExport
from puchi.billing.models import Invoice
from puchi.core.db import action, db, now
from puchi.core.events import Event
from puchi.learning import lessons
from puchi.learning import services as learning
from puchi.learning.models import Course, Skill, Unit
from puchi.notifications import channels
from puchi.notifications.models import Delivery, Notification
from puchi.social import messages
from puchi.social import services as social
from tests.accounts.mfa_support import enrol_totp, prove_it_is_me
from tests.admin.access_table import ADMIN_ACCESS
from tests.conftest import DEFAULT_PASSWORD, post_form
from tests.learning.conftest import spanish  # noqa: F401 - fixture

ANONYMOUS, OWNER, OTHER, ADMIN = "anonymous", "owner", "another learner", "admin"
ANA_CODE = "abcd-efgh-jkmn-pqrs-tuvw-xyz2"  # a recovery code of Ana's, to prove her second factor
WHO = (ANONYMOUS, OWNER, OTHER, ADMIN)

# (method, rule) → the status for (a visitor, the owner of the objects in the URL, another learner, an admin).
# A visitor's 302 must lead to /login ("log in first"); other 302s are the redirect after a form or for
# someone already signed in. 403 is "not yours to do" (a lesson of a course you are not in, a stranger's
# conversation); 404 hides what another learner owns (their lesson, their notification).
ACCESS: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/"):                                                  (200, 302, 302, 302),
    ("GET", "/home"):                                              (302, 200, 200, 200),
    ("GET", "/healthz"):                                           (200, 200, 200, 200),
    ("POST", "/language"):                                         (302, 302, 302, 302),
    ("GET", "/readyz"):                                            (200, 200, 200, 200),
    ("GET", "/signup"):                                            (200, 302, 302, 302),
    ("POST", "/signup"):                                           (422, 302, 302, 302),
    ("GET", "/login"):                                             (200, 302, 302, 302),
    ("POST", "/login"):                                            (422, 302, 302, 302),
    ("POST", "/logout"):                                           (302, 302, 302, 302),
    ("GET", "/verify-email/<token>"):                              (200, 200, 200, 200),
    ("POST", "/verify-email/<token>"):                             (302, 410, 410, 410),  # once: the visitor used it
    ("POST", "/verify-email/resend"):                              (302, 302, 302, 302),
    ("GET", "/forgot-password"):                                   (200, 200, 200, 200),
    ("POST", "/forgot-password"):                                  (422, 422, 422, 422),
    ("GET", "/reset-password/<token>"):                            (200, 200, 200, 200),  # the link is the key
    ("POST", "/reset-password/<token>"):                           (422, 422, 422, 422),
    ("GET", "/account"):                                           (302, 200, 200, 200),
    ("POST", "/account/profile"):                                  (302, 422, 422, 422),
    ("POST", "/account/email"):                                    (302, 422, 422, 422),
    ("POST", "/account/email/cancel"):                             (302, 302, 302, 302),
    ("POST", "/account/password"):                                 (302, 422, 422, 422),
    ("POST", "/account/sessions/revoke-others"):                   (302, 302, 302, 302),
    ("GET", "/account/preferences"):                               (302, 200, 200, 200),
    # MFA: the admin has an authenticator app on (admins must), Ana a passkey, and both proved it (step-up);
    # Carl has no second factor.
    ("GET", "/login/verify"):                                      (302, 302, 302, 302),  # no pending log-in
    ("POST", "/login/verify"):                                     (302, 302, 302, 302),
    ("GET", "/account/security"):                                  (302, 200, 200, 200),
    ("POST", "/account/security/totp/start"):                      (302, 302, 302, 302),  # admin: already on
    ("GET", "/account/security/totp"):                             (302, 302, 302, 302),  # none being set up
    ("POST", "/account/security/totp"):                            (302, 302, 302, 302),
    ("POST", "/account/security/totp/disable"):                    (302, 302, 302, 422),  # admin: wrong password
    ("POST", "/account/security/recovery-codes"):                  (302, 200, 302, 200),  # needs MFA on
    ("POST", "/account/security/devices/<int:device_id>/forget"):  (302, 302, 404, 404),
    ("GET", "/account/security/confirm"):                          (302, 200, 302, 200),  # Carl has nothing to confirm
    ("POST", "/account/security/confirm"):                         (302, 422, 302, 422),
    ("GET", "/account/security/required"):                         (302, 200, 200, 200),
    ("POST", "/account/security/passkeys/options"):                (302, 200, 200, 200),
    ("POST", "/account/security/passkeys"):                        (302, 400, 400, 400),  # a form, not JSON
    ("POST", "/account/security/passkeys/<int:passkey_id>/rename"): (302, 302, 404, 404),
    ("POST", "/account/security/passkeys/<int:passkey_id>/delete"): (302, 302, 404, 404),
    ("POST", "/account/security/confirm/passkey"):                 (302, 400, 400, 400),  # likewise
    ("POST", "/login/passkey/options"):                            (200, 200, 200, 200),
    ("POST", "/login/passkey"):                                    (400, 400, 400, 400),  # likewise
    ("POST", "/account/preferences"):                              (302, 422, 422, 422),
    # Social login (OpenID Connect). No provider is configured here ("google" is unknown: 404);
    # tests/accounts/test_social_login.py runs each route against a configured local provider.
    ("POST", "/login/oidc/<provider>"):                            (404, 302, 302, 302),
    ("GET", "/login/oidc/<provider>/callback"):                    (404, 404, 404, 404),
    ("POST", "/login/oidc/continue"):                              (400, 400, 400, 400),  # no sign-in under way
    ("GET", "/login/oidc/link"):                                   (302, 302, 302, 302),  # likewise: to /login
    ("POST", "/login/oidc/link/password"):                         (400, 302, 302, 302),  # likewise; a learner: home
    ("POST", "/login/oidc/link/email"):                            (400, 302, 302, 302),
    ("GET", "/link-identity/<token>"):                             (200, 200, 200, 200),  # the link is the key
    ("POST", "/link-identity/<token>"):                            (302, 410, 410, 410),  # once: the visitor used it
    ("POST", "/account/identities/<provider>/link"):               (302, 404, 404, 404),
    ("POST", "/account/identities/<int:identity_id>/unlink"):      (302, 302, 404, 404),
    ("GET", "/courses"):                                           (302, 200, 200, 200),
    ("GET", "/media/<path:key>"):                                  (404, 404, 404, 404),  # public; no item names it
    ("GET", "/items/<int:item_id>/speech/<digest>"):               (404, 404, 404, 404),  # public; speech is off here
    ("POST", "/courses/<slug>/enroll"):                            (302, 302, 302, 302),
    ("GET", "/courses/<slug>"):                                    (302, 200, 200, 200),
    ("POST", "/courses/<slug>/practice"):                          (302, 302, 404, 404),
    ("GET", "/skills/<int:skill_id>"):                             (302, 200, 403, 403),
    ("POST", "/skills/<int:skill_id>/lessons"):                    (302, 302, 403, 403),
    ("POST", "/units/<int:unit_id>/test-out"):                     (302, 302, 404, 404),  # enrolled learners only
    ("GET", "/lessons/<int:session_id>"):                          (302, 200, 404, 404),
    ("POST", "/lessons/<int:session_id>/answer"):                  (302, 422, 404, 404),  # no answer sent: refused
    ("GET", "/dictionary"):                                        (302, 200, 200, 200),
    ("GET", "/continue"):                                          (302, 302, 302, 302),
    ("POST", "/try/<slug>"):                                       (302, 302, 302, 302),  # a visitor: as a guest
    ("GET", "/welcome/goal"):                                      (302, 200, 200, 200),
    ("POST", "/welcome/goal"):                                     (302, 422, 422, 422),  # no goal chosen
    ("GET", "/welcome/level"):                                     (302, 200, 302, 302),  # no course yet: catalogue
    ("POST", "/courses/<slug>/placement"):                         (302, 302, 302, 302),
    ("GET", "/courses/<slug>/placement"):                          (302, 200, 200, 200),
    ("POST", "/courses/<slug>/placement/answer"):                  (302, 302, 302, 302),  # no test under way
    ("GET", "/people"):                                            (302, 200, 200, 200),
    ("GET", "/messages"):                                          (302, 200, 200, 200),
    ("GET", "/messages/<username>"):                               (302, 200, 403, 403),
    ("POST", "/messages/<username>"):                              (302, 422, 403, 403),
    ("POST", "/messages/<username>/read"):                         (302, 302, 403, 403),
    # Reports: a blank form (no reason) is refused with a note on the page it came from, before anything else.
    ("POST", "/messages/report/<int:message_id>"):                 (302, 302, 302, 302),
    ("POST", "/u/<username>/report"):                              (302, 302, 302, 302),
    ("POST", "/u/<username>/cheer"):                               (302, 302, 403, 403),
    ("POST", "/u/<username>/nudge"):                               (302, 302, 403, 403),
    ("GET", "/feed"):                                              (302, 200, 200, 200),
    ("POST", "/feed/<int:event_id>/cheer"):                        (302, 302, 403, 403),
    ("GET", "/ws"):                                                (400, 400, 400, 400),  # no WebSocket handshake
    ("GET", "/u/<username>"):                                      (302, 200, 200, 200),
    ("GET", "/u/<username>/<any(followers, following):which>"):    (302, 200, 200, 200),
    ("POST", "/u/<username>/follow"):                              (302, 302, 302, 302),
    ("POST", "/u/<username>/unfollow"):                            (302, 302, 302, 302),
    ("POST", "/u/<username>/block"):                               (302, 302, 302, 302),
    ("POST", "/u/<username>/unblock"):                             (302, 302, 302, 302),
    ("GET", "/account/social"):                                    (302, 200, 200, 200),
    ("POST", "/account/social"):                                   (302, 422, 422, 422),
    ("GET", "/notifications"):                                     (302, 200, 200, 200),
    ("GET", "/account/notifications"):                             (302, 200, 200, 200),
    ("POST", "/account/notifications"):                            (302, 302, 302, 302),
    ("POST", "/account/notifications/schedule"):                   (302, 422, 422, 422),
    ("GET", "/unsubscribe/<token>"):                               (200, 200, 200, 200),
    ("POST", "/unsubscribe/<token>"):                              (200, 200, 200, 200),
    ("POST", "/notifications/<int:notification_id>/read"):         (302, 302, 404, 404),
    ("POST", "/notifications/read-all"):                           (302, 302, 302, 302),
    ("POST", "/push/subscriptions"):                               (302, 400, 400, 400),  # a form, not JSON
    ("POST", "/push/subscriptions/delete"):                        (302, 400, 400, 400),  # likewise
    ("GET", "/account/phone"):                                     (302, 200, 200, 200),
    ("POST", "/account/phone"):                                    (302, 422, 422, 422),
    ("POST", "/account/phone/verify"):                             (302, 422, 422, 422),
    ("POST", "/account/phone/resend"):                             (302, 422, 422, 422),
    ("POST", "/account/phone/remove"):                             (302, 302, 302, 302),
    ("GET", "/practice"):                                          (302, 200, 302, 302),  # enrolled: the modes
    ("GET", "/manifest.webmanifest"):                              (200, 200, 200, 200),
    ("GET", "/sw.js"):                                             (200, 200, 200, 200),
    ("GET", "/offline"):                                           (200, 200, 200, 200),
    ("GET", "/offline/lesson"):                                    (200, 200, 200, 200),
    ("POST", "/courses/<slug>/offline"):                           (302, 200, 404, 404),
    ("POST", "/lessons/<int:session_id>/sync"):                    (302, 400, 400, 400),  # likewise
    ("GET", "/progress/lesson-reward/<int:session_id>"):           (302, 200, 200, 200),  # one's own XP only
    ("GET", "/leagues"):                                           (302, 200, 200, 200),
    ("GET", "/progress"):                                          (302, 200, 200, 200),
    ("GET", "/achievements"):                                      (302, 200, 200, 200),
    ("GET", "/shop"):                                              (302, 200, 200, 200),
    ("POST", "/shop"):                                             (302, 302, 302, 302),
    # Stripe's webhook takes no login (its signature is the proof); Stripe is off here: tests/billing signs.
    ("POST", "/billing/stripe/webhook"):                           (404, 404, 404, 404),
    # Receipts stay readable with billing off: they are records of what was paid. Another's is not found.
    ("GET", "/billing/receipts"):                                  (302, 200, 200, 200),
    ("GET", "/billing/receipts/<int:invoice_id>.pdf"):             (302, 200, 404, 404),
    # Billing's pages are the learner's own; with billing off they are not there (billing_off), as the webhook.
    # With Stripe on, tests/billing checks them (another learner's checkout session is a 404 there).
    ("GET", "/plans"):                                             (302, 404, 404, 404),
    ("POST", "/billing/checkout"):                                 (302, 404, 404, 404),
    ("GET", "/billing/success"):                                   (302, 404, 404, 404),
    ("GET", "/billing/status"):                                    (302, 404, 404, 404),
    ("POST", "/billing/portal"):                                   (302, 404, 404, 404),
    # The family pages answer 404 with billing off (as here); tests/billing/test_family.py checks who may
    # manage which family with billing on.
    ("GET", "/billing/family"):                                    (302, 404, 404, 404),
    ("POST", "/billing/family/invitations"):                       (302, 404, 404, 404),
    ("POST", "/billing/family/invitations/<int:invitation_id>/cancel"): (302, 404, 404, 404),
    ("POST", "/billing/family/members/<int:membership_id>/remove"): (302, 404, 404, 404),
    ("POST", "/billing/family/leave"):                             (302, 404, 404, 404),
    ("GET", "/billing/family/join/<token>"):                       (404, 404, 404, 404),
    ("POST", "/billing/family/join/<token>"):                      (302, 404, 404, 404),
    # GDPR and devices (puchi/accounts/privacy_views.py): only ever the learner's own; a stranger's export
    # link or device is not found.
    ("GET", "/account/privacy"):                                   (302, 200, 200, 200),
    ("POST", "/account/export"):                                   (302, 302, 302, 302),
    ("GET", "/account/exports/<token>"):                           (302, 200, 404, 404),
    ("POST", "/account/exports/<token>"):                          (302, 200, 404, 404),  # the owner downloads
    ("POST", "/account/consents"):                                 (302, 302, 302, 302),
    ("POST", "/account/delete"):                                   (302, 422, 422, 422),
    ("POST", "/account/delete/cancel"):                            (302, 302, 302, 302),
    ("POST", "/account/sessions/<int:login_session_id>/sign-out"): (302, 302, 404, 404),
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_has_an_access_rule(app):
    # The admin routes have a table of their own, with a column for each staff role (tests/admin/access_table.py).
    missing = sorted(set(_routes(app)) - ACCESS.keys() - ADMIN_ACCESS.keys())
    assert missing == [], f"add these routes to ACCESS: {missing}"


# --- A small world of real objects ------------------------------------------------------------------
# Ana (the owner) is enrolled in Spanish with a lesson under way, a notification, a failed email to her, and
# emailed links of her own; Ben is her friend, with a message to her and an achievement in the feed. Carl
# (another learner) and an admin ask for the same objects. Every id in a URL is one of these.


@dataclass
class World:
    values: dict[str, str]  # URL placeholder → a real value
    tokens: dict[str, str]  # the first segment of a token route → Ana's real token for it
    clients: dict[str, Any]


@pytest.fixture
def world(app, client, logged_in, spanish) -> World:  # noqa: F811 - the fixture
    owner_client, ana = logged_in(email="ana@example.com", display_name="Ana")
    ben_client, ben = logged_in(email="ben@example.com", display_name="Ben")
    other_client, _ = logged_in(email="carl@example.com", display_name="Carl")
    admin_client, root = logged_in(email="root@example.com", display_name="Root", is_admin=True)
    prove_it_is_me(admin_client, enrol_totp(app, root.id))  # admins must use MFA
    with app.app_context():
        ana, ben = db.session.get(User, ana.id), db.session.get(User, ben.id)
        ana_name, ben_name = social.profile_of(ana).username, social.profile_of(ben).username
        social.follow(ana, ben_name)
        social.follow(ben, ana_name)
        message_id = messages.send(ben, ana_name, "Hola, Ana").id
        learning.enroll(ana, spanish)
        skill_id = db.session.scalar(select(Skill.id).join(Course).where(Course.slug == spanish,
                                                                         Skill.path_position == 0))
        session_id = lessons.start_lesson(ana, skill_id).id
        unit_id = db.session.scalar(select(Unit.id).join(Course).where(Course.slug == spanish)
                                    .order_by(Unit.position).offset(1).limit(1))  # a unit to jump to
        notification = db.session.scalars(select(Notification).where(Notification.user_id == ana.id)).first()
        assert notification is not None, "Ben's follow notified Ana"
        with action():
            receipt = Invoice(stripe_invoice_id="in_access_table", user_id=ana.id, stripe_customer_id="cus_ana",
                              status="paid", currency="eur", amount_due=699, amount_paid=699, state_at=now(),
                              paid_at=now(), number="PUCHI-0001")
            db.session.add(receipt)
            achievement = Event(name="achievement.unlocked", actor_id=ben.id, subject_type="user",
                                subject_id=ben.id, payload={"code": "first_lesson", "tier": 1}, created_at=now())
            failed = Delivery(key=f"{notification.source}:email", user_id=ana.id, channel="email",
                              kind=notification.kind, status="failed", attempts=4, last_error="SMTP 451")
            db.session.add_all([achievement, failed])
        accounts.request_email_change(ana, password=DEFAULT_PASSWORD, new_email="ana.new@example.com")
        with action():  # social login: Ana's Google account is linked, and another waits for her emailed link
            google = Identity(user_id=ana.id, provider="google", subject="ana-at-google", email="ana@example.com",
                              email_verified=True)
            db.session.add(google)
        link_claims = VerifiedIdentity(provider="google", subject="ana-second-google", email="ana@example.com",
                                       email_verified=True, name="Ana")
        # A second browser of Ana's (before her passkey: a password alone still logs her in there)
        export_token = _ready_export_of(ana)
        phone = app.test_client()
        assert post_form(phone, "/login", {"email": "ana@example.com", "password": DEFAULT_PASSWORD}).status_code == 302
        login_session_id = db.session.scalar(select(UserSession.id).where(UserSession.user_id == ana.id)
                                             .order_by(UserSession.id.desc()))
        with action():
            device = RememberedDevice(user_id=ana.id, token_hash="0" * 64, expires_at=now() + timedelta(days=30))
            passkey = Passkey(user_id=ana.id, credential_id="YW5hLXBob25l", public_key=b"key", name="Phone")
            db.session.add_all([device, passkey, RecoveryCode(user_id=ana.id, code_hash=recovery.digest(ANA_CODE))])
        # billing is off here: no family exists (invitation 1, membership 1 are placeholders)
        ids = {"notification_id": notification.id, "event_id": achievement.id, "delivery_id": failed.id,
               "invoice_id": receipt.id, "invitation_id": 1, "membership_id": 1, "identity_id": google.id,
               "device_id": device.id, "passkey_id": passkey.id,
               "login_session_id": login_session_id, "message_id": message_id, "unit_id": unit_id}
        tokens = {
            "verify-email": account_tokens.make_token(account_tokens.VERIFY_EMAIL, ana.id, "ana.new@example.com"),
            "reset-password": accounts.reset_token_for(ana),
            "unsubscribe": channels.unsubscribe_token(ana.id, notification.kind, "email"),
            "billing": "an-invitation-while-billing-is-off",
            "link-identity": identities.link_token(ana, link_claims),
            "account": export_token,
        }
    assert post_form(owner_client, "/account/security/confirm", {"code": ANA_CODE}).status_code == 302
    values = {"<slug>": spanish, "<int:skill_id>": str(skill_id), "<int:session_id>": str(session_id),
              "<username>": ben_name, "<any(followers, following):which>": "followers", "<provider>": "google",
              "<path:key>": "items/1/image-unknown.png",
              "<int:item_id>": "1", "<digest>": "0123456789abcdef01234567",
              **{f"<int:{name}>": str(value) for name, value in ids.items()}}
    return World(values=values, tokens=tokens,
                 clients={ANONYMOUS: client, OWNER: owner_client, OTHER: other_client, ADMIN: admin_client})


def _ready_export_of(user) -> str:
    """Ana's data export, built (the job runs inline here), with a link key the test knows."""
    export = exports.request_export(user)
    token = "ana-export-link-key"
    with action():
        db.session.get(DataExport, export.id).token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


def _url(world: World, rule: str) -> str:
    url = rule
    for placeholder, value in world.values.items():
        url = url.replace(placeholder, value)
    if "<token>" in url:
        url = url.replace("<token>", world.tokens[url.strip("/").split("/")[0]])
    return url


def _request(client, method, url):
    if method == "GET":
        return client.get(url)
    # Every POST carries a valid CSRF token and empty fields, as a browser submitting a blank form would.
    return post_form(client, "/forgot-password", {"step": "0"}, action=url)


# Those who cannot change the owner's objects go first, so each sees the world as it was made.
IN_TURN = (ANONYMOUS, OTHER, ADMIN, OWNER)


def _answers(world: World, method: str, rule: str) -> dict[str, int]:
    """The status each visitor gets for ``method rule``, with the checks every answer must pass."""
    url = _url(world, rule)
    seen = {}
    for who in IN_TURN:
        response = _request(world.clients[who], method, url)
        seen[who] = response.status_code
        if who == ANONYMOUS and response.status_code == 302 and rule not in {"/logout", "/language", "/",
                                                                              "/try/<slug>"}:
            assert response.headers["Location"].startswith("/login"), (rule, response.headers["Location"])
        assert response.status_code < 500, (rule, response.text[:500])
    return seen


def _expected(method: str, rule: str) -> dict[str, int]:
    return dict(zip(WHO, ACCESS[(method, rule)], strict=True))


# Pages change nothing (a fixture fails any test whose GET wrote), so one world serves them all: building it
# takes seconds, and there are dozens of pages.
def test_every_page_answers_each_visitor_as_the_table_says(world):
    pages = sorted(rule for method, rule in ACCESS if method == "GET")
    wrong = {rule: (seen, expected) for rule in pages
             if (seen := _answers(world, "GET", rule)) != (expected := _expected("GET", rule))}
    assert wrong == {}, "\n".join(f"GET {rule}: got {seen}, want {want}" for rule, (seen, want) in wrong.items())


# A form may change the world (the owner goes last, so the others see it as it was made): a world for each.
@pytest.mark.parametrize(("method", "rule"), sorted(rule for rule in ACCESS if rule[0] != "GET"))
def test_form_access(world, method, rule):
    assert _answers(world, method, rule) == _expected(method, rule)


@pytest.mark.parametrize("page", ["/home", "/account", "/account/preferences"])
def test_another_learner_sees_only_their_own_account(logged_in, page):
    ana_client, ana = logged_in(email="ana@example.com", display_name="Anastasia Quill")
    ben_client, ben = logged_in(email="ben@example.com", display_name="Benedikt Zorn")

    ana_page = ana_client.get(page).text
    ben_page = ben_client.get(page).text
    assert "ben@example.com" not in ana_page and "Benedikt" not in ana_page and ">BZ<" not in ana_page
    assert "ana@example.com" not in ben_page and "Anastasia" not in ben_page and ">AQ<" not in ben_page


def test_one_learners_change_never_touches_another(app, logged_in):
    ana_client, _ = logged_in(email="ana@example.com", display_name="Ana")
    ben_client, _ = logged_in(email="ben@example.com", display_name="Ben")

    post_form(ana_client, "/account", {"display_name": "Ana Maria", "avatar_color": "rose"},
              action="/account/profile")
    post_form(ana_client, "/account", {}, action="/account/sessions/revoke-others")
    assert "Ana Maria" not in ben_client.get("/account").text
    assert ben_client.get("/home").status_code == 200


@pytest.mark.parametrize(("method", "rule"), sorted(rule for rule in ACCESS if "<int:" in rule[1]))
def test_an_id_too_large_for_the_database_is_not_found_rather_than_an_error(logged_in, method, rule):
    import re

    client, _ = logged_in()
    url = re.sub(r"<int:\w+>", "99999999999999999999", rule)
    url = url.replace("<username>", "nobody_here").replace("<slug>", "no-such-course")
    response = client.get(url) if method == "GET" else post_form(client, "/forgot-password", {}, action=url)
    assert response.status_code == 404, response.text[:300]
