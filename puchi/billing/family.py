"""The Family plan: its owner invites up to five people by email; each who accepts gets the owner's perks
(``services.entitlements`` reads the membership) until the owner's plan ends or they leave or are removed.

Seats: the owner and five more. A pending invitation holds a seat until it is accepted, cancelled or
expires, so the owner never promises more places than there are. Every change to a family first locks the
row of the owner's Family subscription (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's actions take the
write lock up front), so two invitations or two accepts at once are counted one after the other; and a
learner's membership is unique, so two families accepted at once make one.

An invitation's link carries the invitation's id and a random nonce, signed with the app's secret. It is
refused in the same words and codes as accounts' emailed links: damaged or forged, ``BadRequest``
``link_invalid``; too old, ``Gone`` ``link_expired``; accepted or cancelled already, ``Gone`` ``link_used``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select

from puchi.accounts import services as accounts
from puchi.billing import services
from puchi.billing.events import FamilyInvitationSent, FamilyMemberJoined, FamilyMemberLeft, FamilyMemberRemoved
from puchi.billing.models import FamilyInvitation, FamilyMembership, Subscription
from puchi.core import events, mail, outbox
from puchi.core.db import action, db, now
from puchi.core.errors import BadRequest, Conflict, Gone, Invalid, NotFound, PaymentRequired
from puchi.core.upserts import insert_if_missing

if TYPE_CHECKING:
    from puchi.accounts.models import User

SEATS = 5  # people besides the owner
EMAIL_MAX = 254
PENDING, ACCEPTED, CANCELLED = "pending", "accepted", "cancelled"
SEND_JOB = "billing.send_family_invitation"
_SALT = "puchi.family_invitation"


# --- Refusals ---------------------------------------------------------------------------------------------

def link_invalid() -> BadRequest:
    return BadRequest(_l("This link does not work"), code="link_invalid")


def link_used() -> Gone:
    return Gone(_l("This link does not work"), code="link_used")


def link_expired() -> Gone:
    return Gone(_l("This link has expired"), code="link_expired")


def _require_billing() -> None:
    """With billing off (no Stripe secrets) there are no families: their pages are not found."""
    if not services.configured():
        raise NotFound(code="billing_off")


def _no_family_plan() -> PaymentRequired:
    return PaymentRequired(_l("Only the owner of an active Family plan can invite people."),
                           code="family_plan_required")


# --- What a learner sees ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    membership_id: int
    user_id: int
    display_name: str
    email: str
    joined_at: datetime


@dataclass(frozen=True)
class Family:
    """The family page's state for one learner: the family they own or are in (or neither)."""

    owner: bool  # the learner owns an active Family plan
    member: bool  # the learner is in someone's family
    active: bool  # the family's plan grants its perks now
    owner_name: str = ""
    until: datetime | None = None
    members: tuple[Person, ...] = ()
    invitations: tuple[FamilyInvitation, ...] = ()

    @property
    def seats_left(self) -> int:
        return max(0, SEATS - len(self.members) - len(self.invitations))


def family_of(user: User) -> Family:
    """Who is in the family ``user`` owns or belongs to, and who is invited. A handful of queries, whatever
    the family (at most six people). :raises NotFound: billing is off."""
    _require_billing()
    rights = services.entitlements(user)
    membership = db.session.scalar(select(FamilyMembership).where(FamilyMembership.member_id == user.id))
    if membership is not None:
        owner = accounts.get_user(membership.owner_id)
        return Family(owner=False, member=True, active=rights.family_member, owner_name=owner.public_name,
                      until=rights.until if rights.family_member else None)
    owns_plan = rights.plan is services.Plan.FAMILY_YEARLY and not rights.family_member
    rows = db.session.scalars(select(FamilyMembership).where(FamilyMembership.owner_id == user.id)
                              .order_by(FamilyMembership.joined_at, FamilyMembership.id)).all()
    if not owns_plan and not rows:
        return Family(owner=False, member=False, active=False)
    people = []
    for row in rows:  # five at most
        person = accounts.get_user(row.member_id)
        people.append(Person(membership_id=row.id, user_id=person.id, display_name=person.public_name,
                             email=person.email, joined_at=row.joined_at))
    return Family(owner=True, member=False, active=owns_plan, until=rights.until if owns_plan else None,
                  members=tuple(people), invitations=tuple(_pending_invitations(user.id, now())))


def _pending_invitations(owner_id: int, at: datetime) -> list[FamilyInvitation]:
    return list(db.session.scalars(select(FamilyInvitation).where(
        FamilyInvitation.owner_id == owner_id, FamilyInvitation.status == PENDING,
        FamilyInvitation.expires_at > at).order_by(FamilyInvitation.id)))


# --- The owner's actions ----------------------------------------------------------------------------------

def _lock_family(owner_id: int) -> None:
    """Take the family's lock: the owner's Family subscription rows, locked (see the module's docstring)."""
    db.session.scalars(select(Subscription.id).where(
        Subscription.user_id == owner_id, Subscription.plan == services.Plan.FAMILY_YEARLY.value)
        .order_by(Subscription.id).with_for_update()).all()


def _owns_active_plan(user: User) -> bool:
    rights = services.entitlements(user)
    return rights.plan is services.Plan.FAMILY_YEARLY and not rights.family_member


def _clean_email(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value:
        raise Invalid(fields={"email": [str(_l("Enter your email address."))]})
    try:
        if len(value) > EMAIL_MAX:
            raise EmailNotValidError
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise Invalid(fields={"email": [str(_l("Enter a valid email address, like name@example.com."))]}) from error


@action
def invite(owner: User, email: str | None) -> FamilyInvitation:
    """Invite ``email`` into the owner's family; the invitation email goes out after the commit.

    :raises PaymentRequired: ``family_plan_required``, the learner owns no active Family plan.
    :raises Invalid: the address is missing or not one, is the owner's own, or is invited already.
    :raises Conflict: ``family_full``, every seat is taken or promised.
    """
    _require_billing()
    address = _clean_email(email)
    _lock_family(owner.id)
    if not _owns_active_plan(owner):
        raise _no_family_plan()
    if address == owner.email.lower():
        raise Invalid(fields={"email": [str(_l("That is your own address: invite someone else."))]})
    at = now()
    pending = _pending_invitations(owner.id, at)
    if any(invitation.email == address for invitation in pending):
        raise Invalid(fields={"email": [str(_l("You have already invited this address."))]})
    members = db.session.scalar(select(func.count()).select_from(FamilyMembership)
                                .where(FamilyMembership.owner_id == owner.id)) or 0
    if members + len(pending) >= SEATS:
        raise Conflict(_l("Your family is full: remove someone or cancel an invitation first."), code="family_full")
    invitation = FamilyInvitation(owner_id=owner.id, email=address, nonce=secrets.token_hex(16), status=PENDING,
                                  created_at=at, expires_at=at + timedelta(days=current_app.config[
                                      "FAMILY_INVITATION_DAYS"]))
    db.session.add(invitation)
    db.session.flush()
    events.record(FamilyInvitationSent(owner_id=owner.id, invitation_id=invitation.id), actor_id=owner.id,
                  subject=("billing_family_invitation", invitation.id))
    outbox.add(SEND_JOB, {"invitation": invitation.id})
    return invitation


@action
def cancel_invitation(owner: User, invitation_id: int) -> None:
    """Withdraw a pending invitation (its link stops working). :raises NotFound: not the owner's, or not
    pending any more."""
    _require_billing()
    invitation = db.session.scalar(select(FamilyInvitation).where(
        FamilyInvitation.id == invitation_id, FamilyInvitation.owner_id == owner.id,
        FamilyInvitation.status == PENDING).with_for_update())
    if invitation is None:
        raise NotFound
    invitation.status, invitation.responded_at = CANCELLED, now()


@action
def remove_member(owner: User, membership_id: int) -> None:
    """Take a member out of the owner's family. Only the membership goes: their progress stays theirs.
    :raises NotFound: no such member in this learner's family."""
    _require_billing()
    _lock_family(owner.id)
    membership = db.session.scalar(select(FamilyMembership).where(
        FamilyMembership.id == membership_id, FamilyMembership.owner_id == owner.id))
    if membership is None:
        raise NotFound
    member_id = membership.member_id
    db.session.execute(delete(FamilyMembership).where(FamilyMembership.id == membership.id))
    events.record(FamilyMemberRemoved(owner_id=owner.id, member_id=member_id), actor_id=owner.id,
                  subject=("user", member_id))


@action
def leave(member: User) -> None:
    """Leave the family one is in; one's progress stays. :raises NotFound: the learner is in no family."""
    _require_billing()
    membership = db.session.scalar(select(FamilyMembership).where(FamilyMembership.member_id == member.id))
    if membership is None:
        raise NotFound(code="not_in_family")
    owner_id = membership.owner_id
    db.session.execute(delete(FamilyMembership).where(FamilyMembership.id == membership.id))
    events.record(FamilyMemberLeft(owner_id=owner_id, member_id=member.id), actor_id=member.id,
                  subject=("user", owner_id))


# --- The invitation's link --------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token_for(invitation: FamilyInvitation) -> str:
    return _serializer().dumps({"i": invitation.id, "n": invitation.nonce})


def _claims(token: str) -> tuple[int, str]:
    try:
        payload: Any = _serializer().loads(token)
    except BadSignature as error:
        raise link_invalid() from error
    if not (isinstance(payload, dict) and isinstance(payload.get("i"), int) and isinstance(payload.get("n"), str)
            and 0 < payload["i"] < 2**31):
        raise link_invalid()
    return payload["i"], payload["n"]


def _usable(invitation: FamilyInvitation | None, nonce: str, at: datetime) -> FamilyInvitation:
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        raise link_invalid()
    if invitation.status != PENDING:
        raise link_used()
    if invitation.expires_at <= at:
        raise link_expired()
    return invitation


@dataclass(frozen=True)
class InvitationView:
    owner_name: str
    email: str
    expires_at: datetime


def check_invitation(token: str) -> InvitationView:
    """What the link's page shows before the invitee accepts (reads only).

    :raises NotFound: billing is off. :raises BadRequest: ``link_invalid``. :raises Gone: ``link_used``,
        ``link_expired``.
    """
    _require_billing()
    invitation_id, nonce = _claims(token)
    invitation = _usable(db.session.get(FamilyInvitation, invitation_id), nonce, now())
    owner = accounts.get_user(invitation.owner_id)
    return InvitationView(owner_name=owner.public_name, email=invitation.email, expires_at=invitation.expires_at)


@action
def accept(user: User, token: str) -> FamilyMembership:
    """Join the family the link invites to.

    :raises BadRequest: ``link_invalid``. :raises Gone: ``link_used``, ``link_expired``.
    :raises Conflict: ``family_own`` (one's own invitation), ``family_already_member`` (in a family already),
        ``family_already_subscribed`` (paying for a plan of one's own), ``family_plan_ended``, ``family_full``.
    """
    _require_billing()
    invitation_id, nonce = _claims(token)
    owner_id = db.session.scalar(select(FamilyInvitation.owner_id).where(FamilyInvitation.id == invitation_id))
    if owner_id is None:
        raise link_invalid()
    _lock_family(owner_id)
    at = now()
    invitation = _usable(db.session.scalar(select(FamilyInvitation).where(FamilyInvitation.id == invitation_id)
                                           .with_for_update()), nonce, at)
    if user.id == owner_id:
        raise Conflict(_l("This is an invitation to your own family: send it to the person you invited."),
                       code="family_own")
    if db.session.scalar(select(FamilyMembership.id).where(FamilyMembership.member_id == user.id)) is not None:
        raise Conflict(_l("You are already in a family. Leave it first to join this one."),
                       code="family_already_member")
    if services.entitlements(user).premium:
        raise Conflict(_l("You already have a plan of your own, so you cannot join a family. You can join once "
                          "your plan has ended."), code="family_already_subscribed")
    if not _owns_active_plan(accounts.get_user(owner_id)):
        raise Conflict(_l("This family's plan has ended, so it cannot take new members."),
                       code="family_plan_ended")
    members = db.session.scalar(select(func.count()).select_from(FamilyMembership)
                                .where(FamilyMembership.owner_id == owner_id)) or 0
    if members >= SEATS:
        raise Conflict(_l("This family is full."), code="family_full")
    if not insert_if_missing(FamilyMembership, {"member_id": user.id}, owner_id=owner_id, joined_at=at):
        # Another family's invitation was accepted by this learner at the same moment.
        raise Conflict(_l("You are already in a family. Leave it first to join this one."),
                       code="family_already_member")
    invitation.status, invitation.accepted_by, invitation.responded_at = ACCEPTED, user.id, at
    membership = db.session.scalars(select(FamilyMembership).where(FamilyMembership.member_id == user.id)).one()
    events.record(FamilyMemberJoined(owner_id=owner_id, member_id=user.id, invitation_id=invitation.id),
                  actor_id=user.id, subject=("user", owner_id))
    return membership


def send_invitation(invitation_id: int) -> None:
    """The outbox job's work: email the invitation's link (made here, so no link waits in the outbox)."""
    invitation = db.session.get(FamilyInvitation, invitation_id)
    if invitation is None or invitation.status != PENDING or invitation.expires_at <= now():
        return  # cancelled, accepted or lapsed before the email went: nothing to send
    owner = accounts.get_user(invitation.owner_id)
    link = mail.absolute_url("billing_family.join", token=token_for(invitation))
    mail.send(mail.render_message("family_invitation", to=invitation.email, locale=owner.locale,
                                  owner_name=owner.public_name, link=link,
                                  days=current_app.config["FAMILY_INVITATION_DAYS"]))
