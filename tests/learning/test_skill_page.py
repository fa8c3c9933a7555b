"""A skill's page: its tips read in the course's source language, whatever the interface's direction."""

from __future__ import annotations

import re

from sqlalchemy import update

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.learning.models import Skill
from tests.learning.conftest import first_skill_id


def test_tips_keep_their_own_language_and_direction_in_an_arabic_interface(app, learner):
    client, user = learner
    skill_id = first_skill_id(app)
    with app.app_context():
        db.session.execute(update(Skill).where(Skill.id == skill_id)
                           .values(tips_markdown='"Hola" sounds like *OH-lah*. ¿Qué tal?'))
        db.session.execute(update(User).where(User.id == user.id).values(locale="ar"))
        db.session.commit()
    page = client.get(f"/skills/{skill_id}").text
    assert re.search(r'<html lang="ar" dir="rtl"', page)
    tips = re.search(r'<div class="tips-body" lang="([^"]+)" dir="([^"]+)">(.*?)</div>', page, re.S)
    assert tips is not None and tips.groups()[:2] == ("en", "ltr")  # the Spanish course for English speakers
    assert "<em>OH-lah</em>" in tips.group(3)
