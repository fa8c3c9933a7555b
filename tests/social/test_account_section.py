"""The account page shows the learner their public profile: their username, who can see it, and the way to it."""

from __future__ import annotations

import re

from tests.social.conftest import set_visibility, username_of


def test_the_account_page_leads_to_the_learners_own_profile_and_its_settings(app, logged_in):
    client, user = logged_in(display_name="Ana López")
    name = username_of(app, user.id)
    page = client.get("/account").text
    section = re.search(r'<section class="card" aria-labelledby="public-profile-title".*?</section>', page, re.S)
    assert section is not None
    assert f"Your username is @{name}." in section.group() and "Everyone can see your profile." in section.group()
    assert f'href="/u/{name}"' in section.group() and 'href="/account/social"' in section.group()
    profile = client.get(f"/u/{name}")
    assert profile.status_code == 200 and "Ana López" in profile.text


def test_it_says_who_can_see_the_profile(app, logged_in):
    client, user = logged_in()
    set_visibility(app, user.id, "friends")
    assert "Only your friends can see your profile." in client.get("/account").text
    set_visibility(app, user.id, "private")
    assert "Only you can see your profile." in client.get("/account").text
