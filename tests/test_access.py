"""Who may open what: one table for every route, checked for a visitor, a learner and another learner.

A new route fails ``test_every_route_has_an_access_rule`` until it is added to ACCESS below.
"""

import pytest

from tests.conftest import post_form

ANONYMOUS, LEARNER, ADMIN = "anonymous", "learner", "admin"

# (method, rule) → expected status for a visitor and for a signed-in learner. 302 to /login means
# "log in first"; 302 elsewhere is the normal redirect after a form or for someone already signed in.
ACCESS: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/"): {ANONYMOUS: 200, LEARNER: 302},
    ("GET", "/home"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/healthz"): {ANONYMOUS: 200, LEARNER: 200},
    ("POST", "/language"): {ANONYMOUS: 302, LEARNER: 302},
    ("GET", "/readyz"): {ANONYMOUS: 200, LEARNER: 200},
    ("GET", "/signup"): {ANONYMOUS: 200, LEARNER: 302},
    ("POST", "/signup"): {ANONYMOUS: 422, LEARNER: 302},
    ("GET", "/login"): {ANONYMOUS: 200, LEARNER: 302},
    ("POST", "/login"): {ANONYMOUS: 422, LEARNER: 302},
    ("POST", "/logout"): {ANONYMOUS: 302, LEARNER: 302},
    ("GET", "/verify-email/<token>"): {ANONYMOUS: 400, LEARNER: 400},
    ("POST", "/verify-email/<token>"): {ANONYMOUS: 400, LEARNER: 400},
    ("POST", "/verify-email/resend"): {ANONYMOUS: 302, LEARNER: 302},
    ("GET", "/forgot-password"): {ANONYMOUS: 200, LEARNER: 200},
    ("POST", "/forgot-password"): {ANONYMOUS: 422, LEARNER: 422},
    ("GET", "/reset-password/<token>"): {ANONYMOUS: 400, LEARNER: 400},
    ("POST", "/reset-password/<token>"): {ANONYMOUS: 400, LEARNER: 400},
    ("GET", "/account"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/account/profile"): {ANONYMOUS: 302, LEARNER: 422},
    ("POST", "/account/email"): {ANONYMOUS: 302, LEARNER: 422},
    ("POST", "/account/email/cancel"): {ANONYMOUS: 302, LEARNER: 302},
    ("POST", "/account/password"): {ANONYMOUS: 302, LEARNER: 422},
    ("POST", "/account/sessions/revoke-others"): {ANONYMOUS: 302, LEARNER: 302},
    ("GET", "/account/preferences"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/account/preferences"): {ANONYMOUS: 302, LEARNER: 422},
    ("GET", "/courses"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/courses/<slug>/enroll"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/courses/<slug>"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/courses/<slug>/practice"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/skills/<int:skill_id>"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/skills/<int:skill_id>/lessons"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/lessons/<int:session_id>"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/lessons/<int:session_id>/answer"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/dictionary"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/continue"): {ANONYMOUS: 302, LEARNER: 302},
    ("GET", "/people"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/messages"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/messages/<username>"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/messages/<username>"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/messages/<username>/read"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/u/<username>/cheer"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/u/<username>/nudge"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/feed"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/feed/<int:event_id>/cheer"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/ws"): {ANONYMOUS: 400, LEARNER: 400},  # a plain GET is no WebSocket handshake
    ("GET", "/u/<username>"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/u/<username>/<any(followers, following):which>"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/u/<username>/follow"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/u/<username>/unfollow"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/u/<username>/block"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/u/<username>/unblock"): {ANONYMOUS: 302, LEARNER: 404},
    ("GET", "/account/social"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/account/social"): {ANONYMOUS: 302, LEARNER: 422},
    ("GET", "/notifications"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/account/notifications"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/account/notifications"): {ANONYMOUS: 302, LEARNER: 302},
    ("POST", "/account/notifications/schedule"): {ANONYMOUS: 302, LEARNER: 422},
    ("GET", "/admin/deliveries"): {ANONYMOUS: 302, LEARNER: 403, ADMIN: 200},
    ("POST", "/admin/deliveries/<int:delivery_id>/retry"): {ANONYMOUS: 302, LEARNER: 403, ADMIN: 302},
    ("GET", "/unsubscribe/<token>"): {ANONYMOUS: 200, LEARNER: 200},
    ("POST", "/unsubscribe/<token>"): {ANONYMOUS: 404, LEARNER: 404},
    ("POST", "/notifications/<int:notification_id>/read"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/notifications/read-all"): {ANONYMOUS: 302, LEARNER: 302},
    ("POST", "/push/subscriptions"): {ANONYMOUS: 302, LEARNER: 400},  # a form, not the JSON it takes
    ("POST", "/push/subscriptions/delete"): {ANONYMOUS: 302, LEARNER: 400},
    ("GET", "/account/phone"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/account/phone"): {ANONYMOUS: 302, LEARNER: 422},
    ("POST", "/account/phone/verify"): {ANONYMOUS: 302, LEARNER: 422},
    ("POST", "/account/phone/resend"): {ANONYMOUS: 302, LEARNER: 422},
    ("POST", "/account/phone/remove"): {ANONYMOUS: 302, LEARNER: 302},
    ("GET", "/practice"): {ANONYMOUS: 302, LEARNER: 302},
    ("GET", "/manifest.webmanifest"): {ANONYMOUS: 200, LEARNER: 200},
    ("GET", "/sw.js"): {ANONYMOUS: 200, LEARNER: 200},
    ("GET", "/offline"): {ANONYMOUS: 200, LEARNER: 200},
    ("GET", "/offline/lesson"): {ANONYMOUS: 200, LEARNER: 200},
    ("POST", "/courses/<slug>/offline"): {ANONYMOUS: 302, LEARNER: 404},
    ("POST", "/lessons/<int:session_id>/sync"): {ANONYMOUS: 302, LEARNER: 400},  # likewise
    ("GET", "/progress/lesson-reward/<int:session_id>"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/leagues"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/progress"): {ANONYMOUS: 302, LEARNER: 200},
    ("GET", "/shop"): {ANONYMOUS: 302, LEARNER: 200},
    ("POST", "/shop"): {ANONYMOUS: 302, LEARNER: 302},
}
PUBLIC_ONLY_FOR_LOGGED_OUT = {"/", "/signup", "/login"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_has_an_access_rule(app):
    missing = sorted(set(_routes(app)) - ACCESS.keys())
    assert missing == [], f"add these routes to ACCESS: {missing}"


def _request(client, method, rule):
    url = (rule.replace("<token>", "not-a-real-token").replace("<slug>", "no-such-course")
           .replace("<int:skill_id>", "999999").replace("<int:session_id>", "999999")
           .replace("<username>", "nobody_here").replace("<any(followers, following):which>", "followers")
           .replace("<int:notification_id>", "999999").replace("<int:delivery_id>", "999999")
           .replace("<int:event_id>", "999999"))
    if method == "GET":
        return client.get(url)
    # Every POST carries a valid CSRF token and empty fields, as a browser submitting a blank form would.
    return post_form(client, "/forgot-password", {"step": "0"}, action=url)


# Every route for a visitor and a learner; routes with an admin rule for an admin too.
CASES = [(method, rule, who) for (method, rule), expected in sorted(ACCESS.items()) for who in expected]


@pytest.mark.parametrize(("method", "rule", "who"), CASES)
def test_route_access(client, logged_in, method, rule, who):
    if who == LEARNER:
        client, _ = logged_in()
    elif who == ADMIN:
        client, _ = logged_in(is_admin=True)
    response = _request(client, method, rule)

    assert response.status_code == ACCESS[(method, rule)][who], response.text[:500]
    location = response.headers.get("Location", "")
    needs_login = who == ANONYMOUS and response.status_code == 302 and rule not in {"/logout", "/language", "/"}
    if needs_login:
        assert location.startswith("/login"), location


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
