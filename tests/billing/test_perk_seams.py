"""Premium's perks reach learning through its seams (learning asks; billing's wiring answers): more lessons
kept for offline play and the practice hub's extra modes, for subscribers and their family alike; and Super is
offered on the out-of-hearts sheet and the practice page."""

from __future__ import annotations

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.learning import lessons
from puchi.learning import services as learning
from tests.billing.conftest import PRICE_SUPER_MONTHLY
from tests.billing.test_family import accept, emailed_link, invite, logged_in_client, subscribe
from tests.conftest import csrf_token, post_form
from tests.learning.conftest import SPANISH, spanish  # noqa: F401 - fixture


def _download(client) -> list[dict]:
    token = csrf_token(client, f"/courses/{SPANISH}")
    response = client.post(f"/courses/{SPANISH}/offline", headers={"X-CSRFToken": token,
                                                                   "Accept": "application/json"})
    assert response.status_code == 200, response.text[:300]
    return response.json["lessons"]


def _enrolled_client(logged_in, email: str):
    client, user = logged_in(email=email)
    assert post_form(client, "/courses", {}, action=f"/courses/{SPANISH}/enroll").status_code == 302
    return client, user


def out_of_hearts_sheet(app, logged_in) -> str:
    """The page a learner with no hearts left gets on starting a lesson."""
    from datetime import UTC, datetime

    from sqlalchemy import select, update

    from puchi.learning.models import Skill
    from puchi.progress import services as progress
    from puchi.progress.models import ProgressProfile

    client, user = _enrolled_client(logged_in, "heartless@example.com")
    with app.app_context():
        progress.profile_for(user.id)
        db.session.execute(update(ProgressProfile).where(ProgressProfile.user_id == user.id)
                           .values(hearts=0, hearts_updated_at=datetime.now(UTC)))
        db.session.commit()
        skill_id = db.session.scalar(select(Skill.id).order_by(Skill.id).limit(1))
    response = post_form(client, f"/skills/{skill_id}", {}, action=f"/skills/{skill_id}/lessons")
    assert response.status_code == 200 and "Refill for 30 gems" in response.text
    return response.text


def test_the_out_of_hearts_sheet_offers_super_and_its_plans_page(app, client, logged_in,
                                                                  spanish):  # noqa: F811 - the fixture
    sheet = out_of_hearts_sheet(app, logged_in)
    assert "Unlimited hearts with Super" in sheet and 'href="/plans"' in sheet
    assert client.get("/plans").status_code in (200, 302)  # there (302: sign in first)


def _asks(app, user_id: int) -> tuple[bool, bool]:
    with app.app_context():
        user = db.session.get(User, user_id)
        return learning.unlimited_offline_downloads(user), learning.extra_practice_modes(user)


def test_a_free_learner_keeps_two_lessons_offline_and_a_subscriber_ten(app, client, stripe_api, logged_in,
                                                                        spanish):  # noqa: F811 - the fixture
    free_client, free = _enrolled_client(logged_in, "free@example.com")
    paying_client, paying = _enrolled_client(logged_in, "paying@example.com")
    subscribe(client, stripe_api, paying.id, price=PRICE_SUPER_MONTHLY)

    assert len(_download(free_client)) == lessons.OFFLINE_LESSONS == 2
    assert len(_download(free_client)) == 2  # the same two again: nothing more until they are played
    assert len(_download(paying_client)) == lessons.OFFLINE_LESSONS_UNLIMITED == 10
    assert _asks(app, free.id) == (False, False)
    assert _asks(app, paying.id) == (True, True)


def test_a_family_member_gets_the_same_perks_as_the_owner(app, client, stripe_api, mailbox, logged_in,
                                                          spanish):  # noqa: F811 - the fixture
    owner_client, owner = logged_in(email="ana@example.com", display_name="Ana")
    subscribe(client, stripe_api, owner.id)
    member_client, member = _enrolled_client(logged_in, "ben@example.com")
    invite(owner_client, member.email)
    assert accept(logged_in_client(app, member), emailed_link(mailbox, member.email)).status_code == 302

    assert _asks(app, member.id) == (True, True)
    assert len(_download(member_client)) == 10


def test_with_billing_off_learning_asks_and_nobody_answers_yes(app, logged_in, spanish):  # noqa: F811
    app.config.update(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None)
    free_client, free = _enrolled_client(logged_in, "free@example.com")
    assert _asks(app, free.id) == (False, False)
    assert len(_download(free_client)) == 2


def test_the_seams_hold_each_check_once_per_app(app):
    def always(_user) -> bool:
        return True

    learning.add_extra_practice_modes_check(app, always)
    learning.add_extra_practice_modes_check(app, always)
    assert app.extensions["puchi.learning.extra_practice_modes_checks"].count(always) == 1


def test_the_practice_page_opens_the_extra_modes_to_subscribers_and_shows_the_plans_to_others(
        app, client, stripe_api, logged_in, spanish):  # noqa: F811 - the fixture
    free_client, _free = _enrolled_client(logged_in, "free@example.com")
    page = free_client.get("/practice").text
    assert "More ways to practise" in page and 'href="/plans"' in page and "Your mistakes" not in page
    paying_client, paying = _enrolled_client(logged_in, "paying@example.com")
    subscribe(client, stripe_api, paying.id, price=PRICE_SUPER_MONTHLY)
    page = paying_client.get("/practice").text
    assert "Your mistakes" in page and "Hardest words" in page and "More ways to practise" not in page
