"""The Family plan: the owner invites up to five people by email; whoever accepts the emailed link gets the
owner's perks until the owner's plan ends, they leave, or the owner removes them; their progress stays
theirs. Six people at most, however many accept at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.billing import services
from puchi.billing.events import FamilyInvitationSent, FamilyMemberJoined, FamilyMemberLeft, FamilyMemberRemoved
from puchi.billing.models import FamilyInvitation, FamilyMembership
from puchi.core.db import db, now
from puchi.core.events import Event
from tests.billing.conftest import PRICE_FAMILY_YEARLY, PRICE_SUPER_MONTHLY, deliver, now_s
from tests.conftest import CSRF_RE, DEFAULT_PASSWORD, AuthActions, csrf_token, link_in, post_form
from tests.learning.conftest import spanish  # noqa: F401 - fixture
from tests.learning.test_concurrency import _at_once
from tests.learning.test_query_counts import counting_queries
from tests.progress.conftest import enrolled, finish_lesson, profile  # noqa: F401 - fixtures

JOIN = "/billing/family/join/"


# --- Helpers: a learner's steps ----------------------------------------------------------------------------

def subscribe(client, stripe_api, user_id: int, price: str = PRICE_FAMILY_YEARLY) -> dict:
    """The learner's subscription as Stripe's webhook tells it (active for 30 days)."""
    customer = stripe_api.customer(metadata={"puchi_user_id": str(user_id)})
    subscription = stripe_api.subscription(customer["id"], price, period_end=now_s() + 30 * 86400)
    response = deliver(client, stripe_api.event("customer.subscription.created", subscription, created=now_s() - 5))
    assert response.status_code == 200
    return subscription


def end_subscription(client, stripe_api, subscription: dict) -> None:
    subscription["status"] = "canceled"
    assert deliver(client, stripe_api.event("customer.subscription.deleted", subscription,
                                            created=now_s())).status_code == 200


def invite(client, email: str):
    return post_form(client, "/billing/family", {"email": email}, action="/billing/family/invitations")


def emailed_link(mailbox, email: str, count: int = 1) -> str:
    messages = mailbox.wait_for(email, count=count)
    assert len(messages) >= count, f"no invitation reached {email}"
    return link_in(messages[count - 1], JOIN)


def accept(client, link: str):
    """Open the link (a page with a button: a GET changes nothing) and press the button."""
    page = client.get(link)
    match = CSRF_RE.search(page.text)
    if match is None:
        return page
    return client.post(link, data={"csrf_token": match.group(1)})


def rights(app, user_id: int) -> services.Entitlements:
    with app.app_context():
        return services.entitlements(db.session.get(User, user_id))


def logged_in_client(app, user):
    client = app.test_client()
    assert AuthActions(client).log_in(user.email).status_code == 302
    return client


def recorded(app, event_class) -> list:
    with app.app_context():
        payloads = db.session.scalars(select(Event.payload).where(Event.name == event_class.name)
                                      .order_by(Event.id)).all()
    return [event_class.from_payload(payload) for payload in payloads]


def members_of(app, owner_id: int) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(FamilyMembership.member_id)
                                         .where(FamilyMembership.owner_id == owner_id)))


@pytest.fixture
def family(app, client, stripe_api, logged_in):
    """Ana, the owner of an active Family plan, logged in: (her client, her, the Stripe subscription)."""
    owner_client, owner = logged_in(email="ana@example.com", display_name="Ana")
    subscription = subscribe(client, stripe_api, owner.id)
    return owner_client, owner, subscription


# --- Joining ----------------------------------------------------------------------------------------------

def test_an_invited_learner_joins_by_the_emailed_link_and_plays_with_unlimited_hearts(
        app, client, mailbox, family, enrolled):  # noqa: F811 - the fixture
    owner_client, owner, _ = family
    ben = enrolled(email="ben@example.com", display_name="Ben")

    response = invite(owner_client, "Ben@Example.com")
    assert response.status_code == 302
    assert "ben@example.com" in owner_client.get("/billing/family").text  # among the pending invitations
    message = mailbox.wait_for("ben@example.com")[0]
    assert "Ana invites you to their Puchi family" in message["Subject"]
    link = emailed_link(mailbox, "ben@example.com")

    ben_client = logged_in_client(app, ben)
    page = ben_client.get(link)
    assert page.status_code == 200 and "Ana invites you to their family" in page.text
    assert rights(app, ben.id) == services.FREE  # opening the link changes nothing
    assert accept(ben_client, link).status_code == 302

    ben_rights, ana_rights = rights(app, ben.id), rights(app, owner.id)
    assert ben_rights.premium and ben_rights.family_member and ben_rights.family_owner_id == owner.id
    assert ben_rights.plan is services.Plan.FAMILY_YEARLY and ben_rights.until == ana_rights.until
    assert ben_rights.unlimited_hearts and ben_rights.unlimited_offline_downloads and ben_rights.extra_practice_modes
    assert not ana_rights.family_member and ana_rights.family_owner_id == owner.id
    finish_lesson(app, ben.id, mistakes=3)
    assert profile(app, ben.id).hearts == 5

    assert "Ben" in owner_client.get("/billing/family").text
    assert "You are in Ana's family" in ben_client.get("/billing/family").text
    account = ben_client.get("/account").text  # "Your plan" says where Super comes from and links the family
    assert "You have Super through a family plan." in account and 'href="/billing/family"' in account
    assert 'href="/billing/family"' in owner_client.get("/account").text
    [sent] = recorded(app, FamilyInvitationSent)
    [joined] = recorded(app, FamilyMemberJoined)
    assert (sent.owner_id, joined.owner_id, joined.member_id, joined.invitation_id) == (
        owner.id, owner.id, ben.id, sent.invitation_id)


def test_a_visitor_logs_in_from_the_invitation_and_comes_back_to_it(app, client, mailbox, family, make_user):
    owner_client, owner, _ = family
    carla = make_user(email="carla@example.com", display_name="Carla")
    invite(owner_client, "carla@example.com")
    link = emailed_link(mailbox, "carla@example.com")

    page = client.get(link)
    assert page.status_code == 200 and "Log in to join" in page.text and "Create an account" in page.text
    response = client.post(f"/login?next={link}", data={"csrf_token": csrf_token(client, f"/login?next={link}"),
                                                        "email": carla.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == link
    assert accept(client, link).status_code == 302
    assert members_of(app, owner.id) == [carla.id]


def test_an_invitation_email_speaks_the_owners_language(app, client, stripe_api, mailbox, logged_in):
    owner_client, owner = logged_in(email="eva@example.com", display_name="Eva", locale="es")
    subscribe(client, stripe_api, owner.id)
    invite(owner_client, "lola@example.com")
    [message] = mailbox.wait_for("lola@example.com")
    assert message["Content-Language"] == "es"
    assert "Eva te invita a su familia de Puchi" in message["Subject"]


# --- Seats --------------------------------------------------------------------------------------------------

def test_the_owner_has_five_seats_and_a_pending_invitation_holds_one(app, mailbox, family):
    owner_client, owner, _ = family
    for n in range(5):
        assert invite(owner_client, f"friend{n}@example.com").status_code == 302
    refused = invite(owner_client, "friend5@example.com")
    assert refused.status_code == 409 and "Your family is full" in refused.text
    assert 'id="invite_form"' in refused.text  # shown on the page, by the form

    with app.app_context():
        first = db.session.scalar(select(FamilyInvitation.id).order_by(FamilyInvitation.id))
    response = post_form(owner_client, "/billing/family", {}, action=f"/billing/family/invitations/{first}/cancel")
    assert response.status_code == 302
    assert invite(owner_client, "friend5@example.com").status_code == 302
    mailbox.wait_for("friend5@example.com")


def test_an_invitation_is_refused_kindly_when_the_address_is_wrong_or_taken(app, family):
    owner_client, owner, _ = family
    for address, words, status in [("", "Enter your email address.", 422),
                                   ("not-an-address", "Enter a valid email address", 422),
                                   ("ana@example.com", "That is your own address", 422)]:
        response = invite(owner_client, address)
        assert response.status_code == status and words in response.text
    assert invite(owner_client, "dora@example.com").status_code == 302
    again = invite(owner_client, "DORA@example.com")
    assert again.status_code == 422 and "You have already invited this address." in again.text


def test_only_the_owner_of_an_active_family_plan_can_invite(app, client, stripe_api, logged_in):
    free_client, _ = logged_in(email="free@example.com")
    super_client, super_user = logged_in(email="super@example.com")
    subscribe(client, stripe_api, super_user.id, price=PRICE_SUPER_MONTHLY)
    for learner_client in (free_client, super_client):
        response = invite(learner_client, "someone@example.com")
        assert response.status_code == 402 and "Only the owner of an active Family plan" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FamilyInvitation)) == 0


def test_invitations_sent_at_once_from_two_tabs_never_exceed_the_seats(app, family):
    owner_client, owner, _ = family
    tabs = [owner_client] + [logged_in_client(app, owner) for _ in range(6)]
    tokens = [csrf_token(tab, "/billing/family") for tab in tabs]
    replies = _at_once([lambda n=n: tabs[n].post("/billing/family/invitations",
                                                 data={"csrf_token": tokens[n], "email": f"kid{n}@example.com"})
                        for n in range(7)])
    assert sorted(r.status_code for r in replies) == [302] * 5 + [409] * 2, replies
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FamilyInvitation)) == 5


def test_accepts_at_once_fill_the_family_to_six_and_never_beyond(app, mailbox, family, make_user):
    owner_client, owner, _ = family
    people = [make_user(email=f"kid{n}@example.com", display_name=f"Kid {n}") for n in range(6)]
    for person in people[:5]:
        invite(owner_client, person.email)
    links = [emailed_link(mailbox, person.email) for person in people[:5]]
    # The sixth person got the first link forwarded, and presses at the same moment as its addressee.
    clients = [logged_in_client(app, person) for person in people]
    tokens = [csrf_token(c, link) for c, link in zip(clients, links + links[:1], strict=True)]
    replies = _at_once([lambda n=n: clients[n].post((links + links[:1])[n], data={"csrf_token": tokens[n]})
                        for n in range(6)])

    statuses = [r.status_code for r in replies]
    assert statuses[1:5] == [302] * 4, replies
    assert sorted([statuses[0], statuses[5]]) == [302, 410]  # one of the two; the other finds the link used
    assert len(members_of(app, owner.id)) == 5
    assert len(recorded(app, FamilyMemberJoined)) == 5


def test_a_learner_accepting_two_families_at_once_joins_one(app, client, stripe_api, mailbox, family, logged_in,
                                                             make_user):
    ana_client, ana, _ = family
    ben_client, ben = logged_in(email="ben@example.com", display_name="Ben")
    subscribe(client, stripe_api, ben.id)
    kid = make_user(email="kid@example.com")
    invite(ana_client, kid.email)
    invite(ben_client, kid.email)
    links = [link_in(message, JOIN) for message in mailbox.wait_for(kid.email, count=2)]
    tabs = [logged_in_client(app, kid), logged_in_client(app, kid)]
    tokens = [csrf_token(tab, link) for tab, link in zip(tabs, links, strict=True)]
    replies = _at_once([lambda n=n: tabs[n].post(links[n], data={"csrf_token": tokens[n]}) for n in range(2)])

    assert sorted(r.status_code for r in replies) == [302, 409], replies
    assert len(members_of(app, ana.id) + members_of(app, ben.id)) == 1


# --- Who may join ---------------------------------------------------------------------------------------------

def test_who_cannot_join_is_told_why(app, client, stripe_api, mailbox, family, logged_in):
    owner_client, owner, subscription = family
    for address in ("member@example.com", "payer@example.com", "late@example.com"):
        invite(owner_client, address)
    links = {address: emailed_link(mailbox, address)
             for address in ("member@example.com", "payer@example.com", "late@example.com")}

    own = accept(owner_client, links["member@example.com"])
    assert own.status_code == 409 and "your own family" in own.text

    other_client, other_owner = logged_in(email="olga@example.com", display_name="Olga")
    subscribe(client, stripe_api, other_owner.id)
    member_client, member = logged_in(email="member@example.com")
    invite(other_client, "member@example.com")
    assert accept(member_client, emailed_link(mailbox, "member@example.com", count=2)).status_code == 302
    already = accept(member_client, links["member@example.com"])
    assert already.status_code == 409 and "You are already in a family" in already.text

    payer_client, payer = logged_in(email="payer@example.com")
    subscribe(client, stripe_api, payer.id, price=PRICE_SUPER_MONTHLY)
    paying = accept(payer_client, links["payer@example.com"])
    assert paying.status_code == 409 and "You already have a plan of your own" in paying.text

    end_subscription(client, stripe_api, subscription)
    late_client, _ = logged_in(email="late@example.com")
    ended = accept(late_client, links["late@example.com"])
    assert ended.status_code == 409 and "plan has ended, so it cannot take new members" in ended.text, ended.text
    assert members_of(app, owner.id) == []


@pytest.mark.parametrize("case", ["used", "cancelled", "expired", "forged", "damaged", "another secret"])
def test_an_invitation_link_that_cannot_be_used_says_why(app, mailbox, family, logged_in, case):
    owner_client, owner, _ = family
    invite(owner_client, "zoe@example.com")
    link = emailed_link(mailbox, "zoe@example.com")
    zoe_client, zoe = logged_in(email="zoe@example.com")
    members = []
    travel = None
    if case == "used":
        assert accept(zoe_client, link).status_code == 302
        members = [zoe.id]
        zoe_client, _ = logged_in(email="yves@example.com")  # the link forwarded to someone else
    elif case == "cancelled":
        with app.app_context():
            invitation_id = db.session.scalar(select(FamilyInvitation.id))
        post_form(owner_client, "/billing/family", {}, action=f"/billing/family/invitations/{invitation_id}/cancel")
    elif case == "expired":
        travel = time_machine.travel(now() + timedelta(days=14, minutes=1))
        travel.start()
        zoe_client, _ = logged_in(email="zoe.later@example.com")  # a fresh log-in, two weeks on
    elif case == "forged":
        link = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    elif case == "damaged":
        link = link[: len(JOIN) + 10]
    else:
        from itsdangerous import URLSafeSerializer

        with app.app_context():
            invitation = db.session.scalar(select(FamilyInvitation))
            link = JOIN + URLSafeSerializer("not-our-secret", salt="puchi.family_invitation").dumps(
                {"i": invitation.id, "n": invitation.nonce})
    try:
        expected = {"used": (410, "This link does not work"), "cancelled": (410, "This link does not work"),
                    "expired": (410, "This link has expired")}.get(case, (400, "This link does not work"))
        for response in (zoe_client.get(link), zoe_client.post(link, data={
                "csrf_token": csrf_token(zoe_client, "/billing/family")})):
            assert (response.status_code, expected[1] in response.text) == (expected[0], True)
        problem = zoe_client.post(link, data={"csrf_token": csrf_token(zoe_client, "/billing/family")},
                                  headers={"Accept": "application/problem+json"})
        assert problem.status_code == expected[0]
    finally:
        if travel is not None:
            travel.stop()
    assert members_of(app, owner.id) == members


# --- Leaving, removal, the end of the plan ----------------------------------------------------------------

def _join(app, mailbox, owner_client, person, count: int = 1):
    invite(owner_client, person.email)
    assert accept(logged_in_client(app, person), emailed_link(mailbox, person.email, count=count)).status_code == 302


def test_the_owner_removes_a_member_who_keeps_their_progress(app, mailbox, family, enrolled):  # noqa: F811
    owner_client, owner, _ = family
    ben = enrolled(email="ben@example.com", display_name="Ben")
    _join(app, mailbox, owner_client, ben)
    finish_lesson(app, ben.id)
    xp = profile(app, ben.id).total_xp
    assert xp > 0

    with app.app_context():
        membership_id = db.session.scalar(select(FamilyMembership.id))
    response = post_form(owner_client, "/billing/family", {},
                         action=f"/billing/family/members/{membership_id}/remove")
    assert response.status_code == 302
    assert rights(app, ben.id) == services.FREE
    assert profile(app, ben.id).total_xp == xp
    [removed] = recorded(app, FamilyMemberRemoved)
    assert (removed.owner_id, removed.member_id) == (owner.id, ben.id)
    assert "Ben" not in owner_client.get("/billing/family").text


def test_a_member_leaves_and_keeps_their_progress_and_may_be_invited_again(app, mailbox, family, enrolled):  # noqa: F811
    owner_client, owner, _ = family
    ben = enrolled(email="ben@example.com", display_name="Ben")
    _join(app, mailbox, owner_client, ben)
    finish_lesson(app, ben.id)
    xp = profile(app, ben.id).total_xp
    ben_client = logged_in_client(app, ben)

    assert post_form(ben_client, "/billing/family", {}, action="/billing/family/leave").status_code == 302
    assert rights(app, ben.id) == services.FREE and profile(app, ben.id).total_xp == xp
    [left] = recorded(app, FamilyMemberLeft)
    assert (left.owner_id, left.member_id) == (owner.id, ben.id)
    assert post_form(ben_client, "/billing/family", {}, action="/billing/family/leave").status_code == 404

    _join(app, mailbox, owner_client, ben, count=2)
    assert rights(app, ben.id).family_member


def test_when_the_owners_subscription_ends_the_members_are_free_again(app, client, stripe_api, mailbox, family,
                                                                      enrolled):  # noqa: F811
    owner_client, owner, subscription = family
    ben = enrolled(email="ben@example.com", display_name="Ben")
    _join(app, mailbox, owner_client, ben)
    assert rights(app, ben.id).premium

    end_subscription(client, stripe_api, subscription)
    assert rights(app, ben.id) == services.FREE and rights(app, owner.id) == services.FREE
    assert "their plan has ended" in logged_in_client(app, ben).get("/billing/family").text
    finish_lesson(app, ben.id, mistakes=1)
    assert profile(app, ben.id).hearts == 4
    assert members_of(app, owner.id) == [ben.id]  # a renewed plan brings them back; the owner may remove them


def test_a_family_plan_switched_to_super_no_longer_reaches_the_members(app, client, stripe_api, mailbox, family,
                                                                      make_user):
    owner_client, owner, subscription = family
    ben = make_user(email="ben@example.com")
    _join(app, mailbox, owner_client, ben)
    subscription["items"]["data"][0]["price"]["id"] = PRICE_SUPER_MONTHLY
    deliver(client, stripe_api.event("customer.subscription.updated", subscription, created=now_s()))
    assert rights(app, owner.id).premium and rights(app, ben.id) == services.FREE


# --- Nobody manages another's family ------------------------------------------------------------------------

def test_another_learner_can_neither_see_nor_manage_a_family(app, client, stripe_api, mailbox, family, logged_in,
                                                             make_user):
    owner_client, owner, _ = family
    ben = make_user(email="ben@example.com", display_name="Benedikt")
    _join(app, mailbox, owner_client, ben)
    invite(owner_client, "pending@example.com")
    with app.app_context():
        membership_id = db.session.scalar(select(FamilyMembership.id))
        invitation_id = db.session.scalar(select(FamilyInvitation.id).where(FamilyInvitation.status == "pending"))
    ben_client = logged_in_client(app, ben)
    carl_client, _ = logged_in(email="carl@example.com")
    admin_client, _ = logged_in(email="root@example.com", is_admin=True)
    rival_client, rival = logged_in(email="rita@example.com")
    subscribe(client, stripe_api, rival.id)  # the owner of another family

    for outsider in (carl_client, admin_client, rival_client, ben_client):
        page = outsider.get("/billing/family").text
        assert "pending@example.com" not in page
        if outsider is not ben_client:
            assert "Benedikt" not in page and "ben@example.com" not in page
        assert post_form(outsider, "/billing/family", {},
                         action=f"/billing/family/members/{membership_id}/remove").status_code == 404
        assert post_form(outsider, "/billing/family", {},
                         action=f"/billing/family/invitations/{invitation_id}/cancel").status_code == 404
    assert invite(ben_client, "friend@example.com").status_code == 402  # a member cannot invite either
    assert members_of(app, owner.id) == [ben.id]
    assert "pending@example.com" in owner_client.get("/billing/family").text


# --- Entitlements stay one query ------------------------------------------------------------------------------

def test_entitlements_take_one_query_for_owners_members_and_everyone_else(app, mailbox, family, make_user):
    owner_client, owner, _ = family
    kids = [make_user(email=f"kid{n}@example.com") for n in range(3)]
    for kid in kids:
        _join(app, mailbox, owner_client, kid)
    free = make_user(email="free@example.com")
    for user_id in (owner.id, kids[0].id, kids[2].id, free.id):
        with app.app_context():
            user = db.session.get(User, user_id)
            with counting_queries(app) as statements:
                services.entitlements(user)
        assert len(statements) == 1, statements
