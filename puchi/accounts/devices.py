"""Signed-in devices: what the account page calls each session (browser and OS from its user agent, an
approximate place when a local GeoIP database is configured), signing one out, and an email when a sign-in
comes from a device this account has not used before.

Only the families are kept (no IP address): the place, when configured, is looked up at sign-in and stored
as a city and country name, never the address it came from.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from puchi.accounts.events import LoggedIn, SessionSignedOut
from puchi.accounts.models import User, UserSession
from puchi.core import events, outbox
from puchi.core.db import action, db, now, rowcount
from puchi.core.errors import NotFound

log = logging.getLogger(__name__)

UNKNOWN = "Other"  # ua-parser's family for what it does not recognise


@functools.lru_cache(maxsize=1024)
def describe(user_agent: str) -> tuple[str, str]:
    """The browser and OS families of a user agent ("Chrome", "Android"); "" for what is not recognised."""
    from ua_parser import parse

    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent else UNKNOWN
    system = result.os.family if result.os else UNKNOWN
    return ("" if browser == UNKNOWN else browser[:60]), ("" if system == UNKNOWN else system[:60])


def place_of(address: str | None) -> str | None:
    """"City, Country" (or the country alone) for an IP address, from the GeoIP database in ``GEOIP_DB``;
    None without one, for an address it does not know, or if it cannot be read."""
    path = current_app.config.get("GEOIP_DB")
    if not path or not address:
        return None
    try:
        reader = _reader(path)
        city = reader.city(address)
    except Exception:  # an unknown or private address, a missing or damaged file: no place, never an error
        return None
    parts = [name for name in (city.city.name, city.country.name) if name]
    return ", ".join(parts)[:120] or None


@functools.lru_cache(maxsize=4)
def _reader(path: str) -> Any:
    import geoip2.database

    return geoip2.database.Reader(path)


def label(session: UserSession) -> str:
    """How the account page names a device: "Firefox on Ubuntu", or what is known of it."""
    browser, system = session.browser, session.os
    if not browser and not system and session.user_agent:
        browser, system = describe(session.user_agent)  # sessions from before families were stored
    if browser and system:
        return str(_l("%(browser)s on %(os)s", browser=browser, os=system))
    return browser or system or str(_l("Unknown browser"))


def on_logged_in(row: events.Event, _event: LoggedIn) -> None:
    """In the log-in's transaction: name the new session's device, note its place, and tell the learner
    by email when this browser and OS pair is new for the account."""
    if row.actor_id is None:
        return
    sessions = list(db.session.scalars(select(UserSession).where(UserSession.user_id == row.actor_id)
                                       .order_by(UserSession.id.desc()).limit(200)))  # the recent ones
    if not sessions:
        return
    newest, earlier = sessions[0], sessions[1:]
    newest.browser, newest.os = describe(newest.user_agent)
    newest.place = place_of(request.remote_addr if has_request_context() else None)
    known = {(s.browser, s.os) if (s.browser or s.os) else describe(s.user_agent) for s in earlier}
    if earlier and (newest.browser, newest.os) not in known:
        outbox.add("accounts.new_device_email", {"user_id": row.actor_id, "session_id": newest.id})


@action
def sign_out(user: User, session_id: int) -> None:
    """Sign one of the learner's own devices out. Commits.

    :raises NotFound: no live session of this learner has that id (another learner's is not theirs to see).
    """
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now()))
    if rowcount(result) != 1:
        raise NotFound(_l("That device is not signed in to your account."), code="session_not_found")
    events.record(SessionSignedOut(session_id=session_id), actor_id=user.id, subject=("user", user.id))
