"""Staff of every role, each signed in with a second factor proved, as the admin pages' tests need them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.mfa_support import enrol_totp, prove_it_is_me


@pytest.fixture
def staff_client(app: Any, logged_in: Any) -> Any:
    """Factory: a client signed in as a new account of ``role`` ("editor", "support" or "admin"), with a
    second factor on and proved in that session; returns (client, user)."""

    def sign_in(role: str, email: str | None = None, display_name: str = "Staff") -> tuple[Any, Any]:
        client, user = logged_in(email=email or f"{role}@staff.example.com", display_name=display_name, role=role)
        prove_it_is_me(client, enrol_totp(app, user.id))
        return client, user

    return sign_in
