"""Social login in a real browser: "Continue with Google" through the local OpenID Connect provider, the
callback page's self-submitting form under the strict CSP, and axe on every social login page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import log_in_on_page
from tests.e2e.test_accessibility import axe_violations
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, User, running_provider

pytestmark = pytest.mark.e2e


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def app_settings(provider: OidcProvider) -> dict[str, Any]:
    return {"OIDC_PROVIDERS": {"google": {"issuer": provider.issuer, "client_id": CLIENT_ID,
                                          "secret": CLIENT_SECRET, "name": ""}}}


def test_a_newcomer_continues_with_google_and_lands_home(page, provider):
    provider.approve(User(subject="g-e2e-1", email="nadia@example.com", name="Nadia Quispe"))

    page.goto("/signup")
    page.get_by_role("button", name="Continue with Google").click()

    page.wait_for_url(re.compile(r"/home$"))  # provider → callback → the form posts itself → home
    assert "Welcome to Puchi! Your account is ready." in page.content()


def test_the_social_login_pages_pass_axe(page, provider, make_user):
    make_user(email="ana@example.com", display_name="Ana")
    failures: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            failures[name] = violations

    page.goto("/login")
    check("log in with buttons")
    provider.down = True  # before any discovery document is cached
    page.get_by_role("button", name="Continue with Google").click()
    page.wait_for_url(re.compile(r"/login/oidc/google$"))
    assert "Google is not answering" in page.content()
    check("provider down")
    provider.down = False
    provider.approve(User(subject="g-e2e-ana", email="ana@example.com"))
    page.goto("/login")
    page.get_by_role("button", name="Continue with Google").click()
    page.wait_for_url(re.compile(r"/login/oidc/link$"))
    check("is this your account?")
    log_in_on_page(page, "ana@example.com")
    page.goto("/account")
    check("account with linked accounts")

    assert failures == {}
