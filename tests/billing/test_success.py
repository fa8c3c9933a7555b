"""Back from Stripe: the success page grants nothing by itself. It says "confirming…" and polls a small
fragment until Stripe's webhook has made the plan the learner's; another learner's session shows nothing."""

from __future__ import annotations

from tests.billing.checkout_steps import choose, deliver_outgoing, session_id_of, subscribe


def test_the_success_page_confirms_only_once_the_webhook_has_landed(app, stripe_api, logged_in, htmx):
    client, _ = logged_in()
    session_id = session_id_of(choose(client, "super_monthly"))
    stripe_api.pay(session_id)  # paid at Stripe; the webhooks are on their way

    page = client.get(f"/billing/success?session_id={session_id}")

    assert page.status_code == 200
    assert "Confirming your payment…" in page.text and "Unlimited hearts" not in page.text
    assert 'hx-get="/billing/status"' in page.text and 'hx-trigger="every 2s"' in page.text
    assert 'aria-live="polite"' in page.text
    polled = client.get("/billing/status", headers={"HX-Request": "true"})
    assert polled.text.lstrip().startswith('<div id="plan_status"') and "Confirming" in polled.text

    deliver_outgoing(client, stripe_api)

    polled = client.get("/billing/status", headers={"HX-Request": "true"})
    assert "Your plan is confirmed: Super, monthly." in polled.text and "Unlimited hearts" in polled.text
    assert "hx-trigger" not in polled.text  # the poll stops
    assert "Your free trial ends on" in polled.text
    assert "Your plan is confirmed" in client.get(f"/billing/success?session_id={session_id}").text


def test_another_learners_session_id_shows_nothing_of_theirs(stripe_api, logged_in):
    ana, _ = logged_in()
    subscribe(ana, stripe_api, "family_yearly")
    [session_id] = stripe_api.checkout_sessions
    ben, _ = logged_in()

    response = ben.get(f"/billing/success?session_id={session_id}")

    assert response.status_code == 404
    assert "Family" not in response.text and "confirmed" not in response.text
    assert "Family" not in ben.get("/billing/status").text  # the fragment only ever shows one's own plan


def test_a_session_id_that_is_malformed_or_unknown_is_not_found(stripe_api, logged_in):
    client, _ = logged_in()
    for query in ("", "?session_id=", "?session_id=cs_test_nothing", "?session_id=../v1/customers",
                  "?session_id=" + "cs_" + "a" * 300):
        assert client.get(f"/billing/success{query}").status_code == 404, query


def test_with_stripe_down_the_page_still_shows_the_learners_own_plan(stripe_api, logged_in):
    client, _ = logged_in()
    session_id = session_id_of(choose(client, "super_monthly"))
    stripe_api.fail_with = 500

    response = client.get(f"/billing/success?session_id={session_id}")

    assert response.status_code == 200 and "Confirming your payment…" in response.text


def test_a_visitor_is_sent_to_log_in_first(client, stripe_api):
    for url in ("/plans", "/billing/success?session_id=cs_test_x", "/billing/status"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert stripe_api.requests == []


def test_a_checkout_left_before_paying_says_nothing_was_charged_and_does_not_wait(stripe_api, logged_in):
    client, _ = logged_in()
    session_id = session_id_of(choose(client, "super_monthly"))  # the learner came back without paying

    page = client.get(f"/billing/success?session_id={session_id}").text

    assert "This payment was not completed, so nothing was charged." in page
    assert "hx-trigger" not in page and "Thank you" not in page


def test_hostile_session_ids_and_plans_are_refused_never_a_500(stripe_api, logged_in):
    client, _ = logged_in()
    for value in ("cs_" + "x" * 10_000, "cs_١٢٣", "cs_test_a\u202eb", "cs_test_%00", "cs_test_a/../../v1/prices"):
        assert client.get("/billing/success", query_string={"session_id": value}).status_code in (400, 404), value
    for plan in ("x" * 10_000, "super_monthly ", "ｓｕｐｅｒ_monthly", "[]"):
        assert choose(client, plan).status_code in (400, 422), plan
    assert stripe_api.asked("POST", "/v1/checkout/sessions") == []
