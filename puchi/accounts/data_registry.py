"""Accounts' tables in the personal-data registry (puchi/core/personal_data.py): export and erasure rules."""

from __future__ import annotations

from flask import Flask

from puchi.accounts import deletion, exports
from puchi.accounts.events import EmailChanged, EmailChangeRequested
from puchi.accounts.mfa_models import Passkey, RecoveryCode, RememberedDevice, TotpAuthenticator
from puchi.accounts.models import Identity, UsedToken, User, UserSession
from puchi.accounts.privacy_models import Consent, DataExport
from puchi.core import personal_data
from puchi.core.db import db
from puchi.core.personal_data import Rule


def register(app: Flask) -> None:
    def export_user(user_id: int) -> list[personal_data.Row]:
        user = db.session.get(User, user_id)
        return [personal_data.serialize(user, exclude=("password_hash",))] if user else []

    personal_data.register(
        app, User.__tablename__, rule=Rule.ANONYMISE, order=100, export=export_user, erase=deletion.anonymise_user,
        why="profile and preferences: the row stays as an anonymous stub (\"Deleted user\", no email, no password) "
            "so the messages other learners keep still point somewhere")
    personal_data.register_owned(app, UserSession, exclude=("key_hash",),
                                 why="signed-in devices: deleting them signs every device out")
    personal_data.register_owned(app, UsedToken)
    personal_data.register_owned(app, Identity, why="social log-in: a provider's account and its address")
    # Second factors: exported as what exists and when it was used, never the secrets that make them work.
    personal_data.register_owned(app, TotpAuthenticator, exclude=("secret_encrypted",))
    personal_data.register_owned(app, RecoveryCode, exclude=("code_hash",))
    personal_data.register_owned(app, RememberedDevice, exclude=("token_hash",))
    personal_data.register_owned(app, Passkey, exclude=("public_key",))
    personal_data.register_owned(app, Consent)

    def erase_exports(user_id: int) -> None:
        for file_name in db.session.scalars(db.select(DataExport.file_name).where(DataExport.user_id == user_id)):
            exports.delete_file(file_name)
        personal_data.delete_where(DataExport, DataExport.user_id)(user_id)

    personal_data.register(app, DataExport.__tablename__, rule=Rule.ERASE,
                           export=personal_data.rows_where(DataExport, DataExport.user_id, exclude=("token_hash",)),
                           erase=erase_exports)
    # The log keeps these events (anonymised) for the numbers, without the addresses they carried.
    personal_data.add_event_fields(app, EmailChanged.name, "old", "new")
    personal_data.add_event_fields(app, EmailChangeRequested.name, "new")
