"""What the second-factor features record in the event log (the audit trail). No payload ever holds a
secret: no TOTP seed, code, recovery code, device token or passkey challenge."""

from __future__ import annotations

from dataclasses import dataclass

from puchi.core.events import DomainEvent


@dataclass(frozen=True)
class SecondFactorEnabled(DomainEvent):
    name = "user.mfa_enabled"
    method: str  # "totp" or "passkey"


@dataclass(frozen=True)
class SecondFactorDisabled(DomainEvent):
    name = "user.mfa_disabled"
    method: str


@dataclass(frozen=True)
class SecondFactorFailed(DomainEvent):
    """A wrong or replayed code at the second step, or when confirming it is really them."""

    name = "user.mfa_failed"
    purpose: str  # "log_in", "step_up", "disable", "enrol"


@dataclass(frozen=True)
class SecondFactorVerified(DomainEvent):
    name = "user.mfa_verified"
    method: str  # "totp", "recovery_code", "passkey"
    purpose: str


@dataclass(frozen=True)
class RecoveryCodesIssued(DomainEvent):
    name = "user.recovery_codes_issued"
    count: int


@dataclass(frozen=True)
class DeviceRemembered(DomainEvent):
    name = "user.device_remembered"
    device_id: int


@dataclass(frozen=True)
class DeviceForgotten(DomainEvent):
    name = "user.device_forgotten"
    count: int


@dataclass(frozen=True)
class PasskeyAdded(DomainEvent):
    name = "user.passkey_added"
    passkey_id: int


@dataclass(frozen=True)
class PasskeyRemoved(DomainEvent):
    name = "user.passkey_removed"
    passkey_id: int


@dataclass(frozen=True)
class PasskeyRenamed(DomainEvent):
    name = "user.passkey_renamed"
    passkey_id: int
